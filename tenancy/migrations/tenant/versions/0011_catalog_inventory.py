"""products, warehouses and the stock ledger (catalog and inventory, issue #10 items 1-3)

Categories and brands are the tenant's reference data (seeded from app/reference/data/appliances by
``dealercrm catalog seed`` or at signup); products and warehouses are kit entities; the ledger
``stock_movements`` is append-only (a trigger, frozen below as app/inventory/models.py had it), and
``stock_levels`` holds its sums. The catalog and inventory permissions are granted to existing roles
by template key, as revision 0006 set out.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import record_columns_v1
from tenancy.migrations.tenant.helpers import (
    drop_tables,
    grant_permissions,
    quoted_schema,
    revoke_permissions,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "catalog:read": ("owner", "admin", "manager", "sales", "service", "technician", "marketing", "viewer"),
    "catalog:create": ("owner", "admin", "manager"),
    "catalog:edit": ("owner", "admin", "manager"),
    "catalog:delete": ("owner", "admin", "manager"),
    "inventory:read": ("owner", "admin", "manager", "sales", "service", "technician", "viewer"),
    "inventory:create": ("owner", "admin", "manager", "service", "technician"),
    "inventory:manage": ("owner", "admin", "manager"),
}

LEDGER_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.stock_movements_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
LEDGER_TRIGGER = (
    "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON {schema}.stock_movements "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.stock_movements_append_only()"
)


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
        schema="tenant",
    )
    op.create_table(
        "product_categories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=True),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("serial_tracked", sa.Boolean(), nullable=False),
        sa.Column("installation", sa.Boolean(), nullable=False),
        sa.Column("warranty_whole_months", sa.Integer(), nullable=False),
        sa.Column("warranty_main_parts_months", sa.Integer(), nullable=False),
        sa.Column("main_parts", sa.String(length=40), nullable=True),
        sa.Column("safe_use_years", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["tenant.product_categories.id"],
            name=op.f("fk_product_categories_parent_id_product_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_product_categories_code")),
        schema="tenant",
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("brand_id", sa.UUID(), nullable=True),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("serial_tracked", sa.Boolean(), nullable=False),
        sa.Column("energy_grade", sa.String(length=2), nullable=True),
        sa.Column("specs", sa.Text(), nullable=True),
        sa.Column("replacement_months", sa.Integer(), nullable=True),
        sa.Column("search_grams", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        *record_columns_v1(),
        sa.CheckConstraint(
            "energy_grade IS NULL OR energy_grade IN ('1', '2', '3', '4', '5')",
            name=op.f("ck_products_energy_grade_allowed"),
        ),
        sa.CheckConstraint(
            "kind IN ('appliance', 'consumable', 'accessory', 'service')",
            name=op.f("ck_products_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["tenant.brands.id"], name=op.f("fk_products_brand_id_brands")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["tenant.product_categories.id"],
            name=op.f("fk_products_category_id_product_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        schema="tenant",
    )
    op.create_index("ix_products_category_id", "products", ["category_id"], unique=False, schema="tenant")
    op.create_index(
        "ix_products_created_at_id", "products", ["created_at", "id"], unique=False, schema="tenant"
    )
    op.create_index(
        "ix_products_search_grams",
        "products",
        ["search_grams"],
        unique=False,
        schema="tenant",
        postgresql_using="gin",
    )
    op.create_index(
        "uq_products_sku_live",
        "products",
        ["sku"],
        unique=True,
        schema="tenant",
        postgresql_where="deleted_at IS NULL",
    )
    op.create_table(
        "product_links",
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("linked_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('consumable', 'accessory')", name=op.f("ck_product_links_kind_allowed")),
        sa.ForeignKeyConstraint(
            ["linked_id"],
            ["tenant.products.id"],
            name=op.f("fk_product_links_linked_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["tenant.products.id"],
            name=op.f("fk_product_links_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "linked_id", name=op.f("pk_product_links")),
        schema="tenant",
    )
    op.create_index(
        "ix_product_links_linked_id", "product_links", ["linked_id"], unique=False, schema="tenant"
    )
    op.create_table(
        "warehouses",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("keeper_id", sa.UUID(), nullable=True),
        *record_columns_v1(),
        sa.CheckConstraint("kind IN ('shop', 'central', 'van')", name=op.f("ck_warehouses_kind_allowed")),
        sa.ForeignKeyConstraint(
            ["keeper_id"], ["tenant.users.id"], name=op.f("fk_warehouses_keeper_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        schema="tenant",
    )
    op.create_index(
        "ix_warehouses_created_at_id", "warehouses", ["created_at", "id"], unique=False, schema="tenant"
    )
    op.create_index(
        "uq_warehouses_code_live",
        "warehouses",
        ["code"],
        unique=True,
        schema="tenant",
        postgresql_where="deleted_at IS NULL",
    )
    op.create_table(
        "serial_units",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warehouse_id", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'in_stock') = (warehouse_id IS NOT NULL)",
            name=op.f("ck_serial_units_in_stock_has_a_warehouse"),
        ),
        sa.CheckConstraint(
            "status IN ('in_stock', 'shipped', 'consumed', 'written_off')",
            name=op.f("ck_serial_units_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["tenant.products.id"], name=op.f("fk_serial_units_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["tenant.warehouses.id"], name=op.f("fk_serial_units_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_units")),
        sa.UniqueConstraint("product_id", "serial_number", name="uq_serial_units_product_serial"),
        schema="tenant",
    )
    op.create_index(
        "ix_serial_units_serial_number", "serial_units", ["serial_number"], unique=False, schema="tenant"
    )
    op.create_index(
        "ix_serial_units_warehouse_id",
        "serial_units",
        ["warehouse_id", "product_id"],
        unique=False,
        schema="tenant",
    )
    op.create_table(
        "stock_levels",
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("warehouse_id", sa.UUID(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand_not_negative")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand", name=op.f("ck_stock_levels_reserved_within_on_hand")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["tenant.products.id"], name=op.f("fk_stock_levels_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["tenant.warehouses.id"], name=op.f("fk_stock_levels_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("product_id", "warehouse_id", name=op.f("pk_stock_levels")),
        schema="tenant",
    )
    op.create_index(
        "ix_stock_levels_warehouse_id", "stock_levels", ["warehouse_id"], unique=False, schema="tenant"
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("warehouse_id", sa.UUID(), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("serial_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("source_type", sa.String(length=30), nullable=True),
        sa.Column("source_id", sa.String(length=60), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('receive', 'ship', 'transfer_out', 'transfer_in', 'adjust', 'return', "
            "'consume', 'reserve', 'release')",
            name=op.f("ck_stock_movements_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["tenant.products.id"], name=op.f("fk_stock_movements_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["serial_id"], ["tenant.serial_units.id"], name=op.f("fk_stock_movements_serial_id_serial_units")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["tenant.warehouses.id"],
            name=op.f("fk_stock_movements_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
        schema="tenant",
    )
    op.create_index("ix_stock_movements_at", "stock_movements", ["at"], unique=False, schema="tenant")
    op.create_index(
        "ix_stock_movements_level",
        "stock_movements",
        ["product_id", "warehouse_id", "id"],
        unique=False,
        schema="tenant",
    )
    op.create_index(
        "ix_stock_movements_serial_id", "stock_movements", ["serial_id"], unique=False, schema="tenant"
    )
    op.create_index(
        "ix_stock_movements_source",
        "stock_movements",
        ["source_type", "source_id"],
        unique=False,
        schema="tenant",
    )
    op.create_index(
        "ix_stock_movements_warehouse_id",
        "stock_movements",
        ["warehouse_id", "id"],
        unique=False,
        schema="tenant",
    )

    op.execute(LEDGER_FUNCTION.format(schema=quoted_schema()))
    op.execute(LEDGER_TRIGGER.format(schema=quoted_schema()))
    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables(
        "stock_movements",
        "stock_levels",
        "serial_units",
        "warehouses",
        "product_links",
        "products",
        "product_categories",
        "brands",
    )
    op.execute(f"DROP FUNCTION IF EXISTS {quoted_schema()}.stock_movements_append_only()")
