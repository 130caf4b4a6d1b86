"""stocktake, delivery and installation booking, ERP sync (helper E: issue #10 items 2, 6, 7)

Count sheets and their lines (variances against the ledger at a snapshot); visits (bookings) with
each team's capacity per slot; messages to customers (SMS) of the notification centre; webhook
endpoints and their delivery log; external ids of records upserted by an ERP. The new
permissions (deliveries:*, integrations:manage) are granted to existing roles by template key,
as app/accounts/permissions.py grants them to new tenants.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import record_columns_v1
from tenancy.migrations.tenant.helpers import (
    S,
    drop_tables,
    grant_permissions,
    revoke_permissions,
)

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "deliveries:read": ("owner", "admin", "manager", "sales", "service", "technician", "viewer"),
    "deliveries:create": ("owner", "admin", "manager", "sales", "service"),
    "deliveries:edit": ("owner", "admin", "manager", "service", "technician"),
    "deliveries:manage": ("owner", "admin", "manager"),
    "integrations:manage": ("owner", "admin"),
}
TABLES = (
    "stock_count_lines",
    "stock_counts",
    "bookings",
    "team_slot_capacity",
    "customer_messages",
    "webhook_deliveries",
    "webhook_endpoints",
    "external_refs",
)


def upgrade() -> None:
    op.create_table(
        "external_refs",
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("entity", "external_id", name=op.f("pk_external_refs")),
        schema=S,
    )
    op.create_index("ix_external_refs_record_id", "external_refs", ["record_id"], unique=False, schema=S)
    op.create_table(
        "webhook_endpoints",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=300), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *record_columns_v1(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        schema=S,
    )
    op.create_index(
        "ix_webhook_endpoints_created_at_id",
        "webhook_endpoints",
        ["created_at", "id"],
        unique=False,
        schema=S,
    )
    op.create_table(
        "team_slot_capacity",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("per_slot", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "per_slot IS NULL OR per_slot >= 0", name=op.f("ck_team_slot_capacity_per_slot_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            [f"{S}.teams.id"],
            name=op.f("fk_team_slot_capacity_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_slot_capacity")),
        schema=S,
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("endpoint_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_webhook_deliveries_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            [f"{S}.webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        schema=S,
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        schema=S,
        postgresql_where="status = 'pending'",
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint", "webhook_deliveries", ["endpoint_id", "id"], unique=False, schema=S
    )
    op.create_table(
        "customer_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("to", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_customer_messages_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_customer_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_customer_messages_dedupe_key")),
        schema=S,
    )
    op.create_index(
        "ix_customer_messages_customer_id", "customer_messages", ["customer_id", "id"], unique=False, schema=S
    )
    op.create_index(
        "ix_customer_messages_due",
        "customer_messages",
        ["next_attempt_at"],
        unique=False,
        schema=S,
        postgresql_where="status = 'pending'",
    )
    op.create_table(
        "stock_counts",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("warehouse_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("snapshot_movement_id", sa.BigInteger(), nullable=False),
        sa.Column("snapshot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("adjustment_batches", postgresql.ARRAY(sa.UUID()), nullable=False),
        *record_columns_v1(),
        sa.CheckConstraint(
            "status IN ('open', 'approved', 'cancelled')", name=op.f("ck_stock_counts_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            [f"{S}.product_categories.id"],
            name=op.f("fk_stock_counts_category_id_product_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], [f"{S}.warehouses.id"], name=op.f("fk_stock_counts_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_counts")),
        schema=S,
    )
    op.create_index(
        "ix_stock_counts_warehouse_id", "stock_counts", ["warehouse_id", "created_at"], unique=False, schema=S
    )
    op.create_index("uq_stock_counts_number", "stock_counts", ["number"], unique=True, schema=S)
    op.create_table(
        "bookings",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=12), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("technician_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("address_id", sa.UUID(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("photos", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *record_columns_v1(),
        sa.CheckConstraint(
            "kind IN ('delivery', 'installation', 'both')", name=op.f("ck_bookings_kind_allowed")
        ),
        sa.CheckConstraint(
            "slot IN ('morning', 'afternoon', 'evening')", name=op.f("ck_bookings_slot_allowed")
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'rescheduled', 'on_the_way', 'done', 'failed', 'cancelled')",
            name=op.f("ck_bookings_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["address_id"],
            [f"{S}.customer_addresses.id"],
            name=op.f("fk_bookings_address_id_customer_addresses"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_bookings_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], [f"{S}.orders.id"], name=op.f("fk_bookings_order_id_orders")),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_bookings_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        schema=S,
    )
    op.create_index("ix_bookings_customer_id", "bookings", ["customer_id"], unique=False, schema=S)
    op.create_index("ix_bookings_order_id", "bookings", ["order_id"], unique=False, schema=S)
    op.create_index("ix_bookings_scheduled_on", "bookings", ["scheduled_on", "id"], unique=False, schema=S)
    op.create_index(
        "ix_bookings_slot", "bookings", ["team_id", "scheduled_on", "slot"], unique=False, schema=S
    )
    op.create_index(
        "ix_bookings_technician_ids",
        "bookings",
        ["technician_ids"],
        unique=False,
        schema=S,
        postgresql_using="gin",
    )
    op.create_index("uq_bookings_number", "bookings", ["number"], unique=True, schema=S)
    op.create_table(
        "stock_count_lines",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("count_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=True),
        sa.Column("expected_serials", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("counted_serials", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["count_id"],
            [f"{S}.stock_counts.id"],
            name=op.f("fk_stock_count_lines_count_id_stock_counts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_stock_count_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_count_lines")),
        sa.UniqueConstraint("count_id", "product_id", name="uq_stock_count_lines_product"),
        schema=S,
    )

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables(*TABLES)
