"""A customer's last activity, kept on the customer (``customers.last_activity_at``) by PostgreSQL.

The pool's return rule asks "which owned customers have been idle N days?" over the whole tenant.
Computed live (the newest follow-up, order and claim of every customer) that is a scan of every
customer with three lookups each; kept on the row it is a range of one partial index
(``ix_customers_idle``), so a sweep reads only the customers due.

The meaning is the return rule's own: the newest of

- a live follow-up's ``happened_at`` (a deleted one no longer counts),
- an order's ``created_at`` (any order, as placed),
- the claim from a pool (``pool_entries.claimed_at``),

and NULL when there is none; the rule compares ``GREATEST(created_at, last_activity_at)``
(``idle_since()``), so a new customer counts from its creation.

Statement-level triggers on ``follow_ups``, ``orders`` and ``pool_entries`` recompute it for the
customers a statement touched (their transition tables), so every way of writing those tables
keeps it: the services, imports, bulk loads, restores. A bulk load costs one recomputation per
statement, not per row. The function finds its tables through the schema of the table that fired
it, so a schema renamed by a restore keeps working. Created with the tables for new tenants (the
``after_create`` listener below) and by tenant migration 0025 for existing ones (its frozen copy).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func

from app.customers.models import Customer
from app.db import TenantBase
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

# The tables whose writes are activity, each with its own three statement triggers.
ACTIVITY_TABLES = ("follow_ups", "orders", "pool_entries")

# Recompute for the customer ids in $1 (only rows whose value changes are written).
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

ACTIVITY_TRIGGERS = [
    f"CREATE TRIGGER customer_activity_{event_name.lower()} AFTER {event_name} ON {{schema}}.{table} "
    f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.customer_activity_refresh()"
    for table in ACTIVITY_TABLES
    for event_name, tables in (
        ("INSERT", "NEW TABLE AS changed_rows"),
        ("UPDATE", "OLD TABLE AS removed_rows NEW TABLE AS changed_rows"),
        ("DELETE", "OLD TABLE AS removed_rows"),
    )
]


def install_statements(schema: str) -> list[str]:
    """The DDL that makes PostgreSQL keep ``last_activity_at`` in ``schema`` (quoted here)."""
    quoted = '"' + schema.replace('"', '""') + '"'
    return [ACTIVITY_FUNCTION.format(schema=quoted)] + [t.format(schema=quoted) for t in ACTIVITY_TRIGGERS]


def idle_since() -> Any:
    """What the return rule compares: the last activity, or the creation when there was none yet
    (the expression of ``ix_customers_idle``)."""
    return func.greatest(Customer.created_at, Customer.last_activity_at)


@event.listens_for(TenantBase.metadata, "after_create")
def _install(target: Any, connection: Any, **kw: Any) -> None:
    created = {t.name for t in kw.get("tables") or target.tables.values()}
    if not {"customers", *ACTIVITY_TABLES} <= created:
        return
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(TENANT_SCHEMA_PLACEHOLDER, TENANT_SCHEMA_PLACEHOLDER)
    for statement in install_statements(schema):
        connection.exec_driver_sql(statement)
