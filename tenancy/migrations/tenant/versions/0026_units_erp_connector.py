"""units registered to customers, the ERP connector and its sync log (helper H8: issue #10 items 6-8)

A unit is an appliance a customer owns (a child record of the customer on the kit, under the
customers permissions: no new permission to grant). The ERP connector is one settings row per tenant
under the existing integrations:manage permission; every run of it writes one sync-log row.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import record_columns_v1
from tenancy.migrations.tenant.helpers import S, drop_tables

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("order_line_id", sa.UUID(), nullable=True),
        sa.Column("bought_on", sa.Date(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("installation_address", sa.String(length=300), nullable=True),
        sa.Column("warranty_ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        *record_columns_v1(),
        sa.CheckConstraint(
            "status IN ('in_use', 'replaced', 'scrapped')", name=op.f("ck_units_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_units_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_units_product_id_products")
        ),
        sa.ForeignKeyConstraint(["order_id"], [f"{S}.orders.id"], name=op.f("fk_units_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            [f"{S}.order_lines.id"],
            name=op.f("fk_units_order_line_id_order_lines"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        schema=S,
    )
    op.create_index("ix_units_customer_id", "units", ["customer_id", "created_at"], schema=S)
    op.create_index("ix_units_order_id", "units", ["order_id"], schema=S)
    op.create_index(
        "ix_units_serial_number",
        "units",
        ["serial_number"],
        schema=S,
        postgresql_where=sa.text("serial_number IS NOT NULL"),
    )
    op.create_index(
        "uq_units_serial_in_use",
        "units",
        ["product_id", "serial_number"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("serial_number IS NOT NULL AND deleted_at IS NULL AND status = 'in_use'"),
    )
    op.create_index(
        "uq_units_order_line_serial",
        "units",
        ["order_line_id", "serial_number"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("order_line_id IS NOT NULL AND serial_number IS NOT NULL"),
    )
    op.create_table(
        "erp_connector",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("mode", sa.String(length=8), server_default="http", nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("token", sa.String(length=500), nullable=True),
        sa.Column("csv_folder", sa.String(length=500), nullable=True),
        sa.Column(
            "product_mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "stock_mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("products_cursor", sa.String(length=64), nullable=True),
        sa.Column("stock_cursor", sa.String(length=64), nullable=True),
        sa.Column("orders_cursor", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_erp_connector_single_row")),
        sa.CheckConstraint("mode IN ('http', 'csv')", name=op.f("ck_erp_connector_mode_allowed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_connector")),
        schema=S,
    )
    op.create_table(
        "erp_sync_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("products_created", sa.Integer(), nullable=False),
        sa.Column("products_updated", sa.Integer(), nullable=False),
        sa.Column("products_unchanged", sa.Integer(), nullable=False),
        sa.Column("stock_updated", sa.Integer(), nullable=False),
        sa.Column("stock_unchanged", sa.Integer(), nullable=False),
        sa.Column("orders_pushed", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'partial', 'failed')", name=op.f("ck_erp_sync_runs_status_allowed")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_runs")),
        schema=S,
    )
    op.create_index("ix_erp_sync_runs_started_at", "erp_sync_runs", ["started_at"], schema=S)


def downgrade() -> None:
    drop_tables("erp_sync_runs", "erp_connector", "units")
