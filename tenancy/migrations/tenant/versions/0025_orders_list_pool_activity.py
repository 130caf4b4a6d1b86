"""the order list's indexes and each customer's last activity (helper H7: issues #10, #11)

- ``ix_orders_live_status_created_at_id``, ``ix_orders_live_owner_created_at_id``,
  ``ix_orders_live_owner_status_created_at_id`` (live orders only) and
  ``ix_orders_customer_created_at_id`` (replacing ``ix_orders_customer_id``): the order list filtered
  by stage, in a salesperson's own scope (by stage there too), or of one customer reads its page
  newest first straight from an index and counts (capped) from it, at a million orders as at a
  hundred.
- ``customers.last_activity_at``: the newest live follow-up, order or claim from a pool, kept by
  statement-level triggers on ``follow_ups``, ``orders`` and ``pool_entries`` (a frozen copy of
  ``app.leads.activity``), back-filled here in batches of customers; ``ix_customers_idle`` gives the
  pool's return rule the owned live customers by how long they have been idle.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 5000
# The order list's indexes of live orders: by stage, a salesperson's own, a salesperson's by stage.
LIST_INDEXES = {
    "ix_orders_live_status_created_at_id": ["status", "created_at", "id"],
    "ix_orders_live_owner_created_at_id": ["owner_id", "created_at", "id"],
    "ix_orders_live_owner_status_created_at_id": ["owner_id", "status", "created_at", "id"],
}
ACTIVITY_TABLES = ("follow_ups", "orders", "pool_entries")

# Frozen copy of app.leads.activity as of this revision.
REFRESH_SQL = """
UPDATE {schema}.customers c SET last_activity_at = a.at
FROM (
    SELECT x.id, GREATEST(
        (SELECT max(f.happened_at) FROM {schema}.follow_ups f
          WHERE f.customer_id = x.id AND f.deleted_at IS NULL),
        (SELECT max(o.created_at) FROM {schema}.orders o WHERE o.customer_id = x.id),
        (SELECT p.claimed_at FROM {schema}.pool_entries p WHERE p.customer_id = x.id)
    ) AS at
    FROM unnest({ids}) AS x(id)
) a
WHERE c.id = a.id AND c.last_activity_at IS DISTINCT FROM a.at
"""
ACTIVITY_FUNCTION = (
    """
CREATE OR REPLACE FUNCTION {schema}.customer_activity_refresh() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT customer_id) INTO ids FROM changed_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT customer_id) INTO ids FROM removed_rows;
    ELSE
        SELECT array_agg(DISTINCT customer_id) INTO ids
        FROM (SELECT customer_id FROM changed_rows UNION SELECT customer_id FROM removed_rows) u;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format($q$"""
    + REFRESH_SQL.format(schema="%1$I", ids="$1")
    + """$q$, TG_TABLE_SCHEMA) USING ids;
    RETURN NULL;
END
$fn$
"""
)
TRIGGER_EVENTS = (
    ("INSERT", "NEW TABLE AS changed_rows"),
    ("UPDATE", "OLD TABLE AS removed_rows NEW TABLE AS changed_rows"),
    ("DELETE", "OLD TABLE AS removed_rows"),
)


def _schema() -> str:
    return '"' + tenant_schema().replace('"', '""') + '"'


def upgrade() -> None:
    live = sa.text("deleted_at IS NULL")
    for name, columns in LIST_INDEXES.items():
        op.create_index(name, "orders", columns, schema="tenant", postgresql_where=live)
    op.create_index(
        "ix_orders_customer_created_at_id", "orders", ["customer_id", "created_at", "id"], schema="tenant"
    )
    op.drop_index("ix_orders_customer_id", table_name="orders", schema="tenant")

    op.add_column(
        "customers",
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        schema=tenant_schema(),
    )
    schema = _schema()
    op.execute(ACTIVITY_FUNCTION.format(schema=schema))
    for table in ACTIVITY_TABLES:
        for event, tables in TRIGGER_EVENTS:
            op.execute(
                f"CREATE TRIGGER customer_activity_{event.lower()} AFTER {event} ON {schema}.{table} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {schema}.customer_activity_refresh()"
            )
    # Back-fill a batch of customers at a time (keyset by id): bounded statements on a big tenant.
    bind = op.get_bind()
    refresh = sa.text(REFRESH_SQL.format(schema=schema, ids="CAST(:ids AS uuid[])"))
    first = sa.text(f"SELECT id FROM {schema}.customers ORDER BY id LIMIT :n")
    after = sa.text(f"SELECT id FROM {schema}.customers WHERE id > :after ORDER BY id LIMIT :n")
    ids = [r[0] for r in bind.execute(first, {"n": BACKFILL_BATCH})]
    while ids:
        bind.execute(refresh, {"ids": ids})
        ids = [r[0] for r in bind.execute(after, {"after": ids[-1], "n": BACKFILL_BATCH})]
    op.create_index(
        "ix_customers_idle",
        "customers",
        [sa.text("GREATEST(created_at, last_activity_at)"), "id"],
        schema="tenant",
        postgresql_where=sa.text("owner_id IS NOT NULL AND deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_idle", table_name="customers", schema="tenant")
    schema = _schema()
    for table in ACTIVITY_TABLES:
        for event, _tables in TRIGGER_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS customer_activity_{event.lower()} ON {schema}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.customer_activity_refresh()")
    op.drop_column("customers", "last_activity_at", schema=tenant_schema())
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"], schema="tenant")
    op.drop_index("ix_orders_customer_created_at_id", table_name="orders", schema="tenant")
    for name in LIST_INDEXES:
        op.drop_index(name, table_name="orders", schema="tenant")
