"""orders with their lines, payment plans and payments (回款) (issue #10 items 4-5)

Orders are kit records on a workflow (the default one lives in app/orders/entity.py and is not
stored until a tenant edits it); lines, plan lines and payments belong to an order. The orders
permissions are granted to existing roles by template key, as app/accounts/permissions.py grants
them to new tenants.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import owned_search_columns_v1, owner_key_v1
from tenancy.migrations.tenant.helpers import (
    S,
    drop_tables,
    grant_permissions,
    revoke_permissions,
)

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "orders:read": ("owner", "admin", "manager", "sales", "service", "viewer"),
    "orders:create": ("owner", "admin", "manager", "sales", "service"),
    "orders:edit": ("owner", "admin", "manager", "sales", "service"),
    "orders:delete": ("owner", "admin", "manager"),
    "orders:approve": ("owner", "admin", "manager"),
}


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("warehouse_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("max_discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("paid", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("stock", sa.String(length=10), nullable=False),
        sa.Column("invoice_type", sa.String(length=10), nullable=False),
        sa.Column("invoice_title", sa.String(length=100), nullable=True),
        sa.Column("invoice_tax_no", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *owned_search_columns_v1(),
        sa.CheckConstraint(
            "invoice_type IN ('none', 'normal', 'special')", name=op.f("ck_orders_invoice_type_allowed")
        ),
        sa.CheckConstraint(
            "stock IN ('none', 'reserved', 'shipped', 'returned')", name=op.f("ck_orders_stock_allowed")
        ),
        sa.CheckConstraint("paid >= 0", name=op.f("ck_orders_paid_not_negative")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], [f"{S}.warehouses.id"], name=op.f("fk_orders_warehouse_id_warehouses")
        ),
        owner_key_v1("orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        schema=S,
    )
    op.create_index(op.f("ix_orders_owner_id"), "orders", ["owner_id"], schema=S)
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"], schema=S)
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"], schema=S)
    op.create_index("uq_orders_number", "orders", ["number"], unique=True, schema=S)
    op.create_index("ix_orders_search_grams", "orders", ["search_grams"], schema=S, postgresql_using="gin")

    op.create_table(
        "order_lines",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("serial_numbers", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.CheckConstraint("kind IN ('product', 'trade_in')", name=op.f("ck_order_lines_kind_allowed")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "discount >= 0 AND discount <= 100", name=op.f("ck_order_lines_discount_in_range")
        ),
        sa.CheckConstraint(
            "(kind = 'product' AND product_id IS NOT NULL AND amount >= 0)"
            " OR (kind = 'trade_in' AND amount <= 0)",
            name=op.f("ck_order_lines_amount_sign"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], [f"{S}.orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        schema=S,
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id", "position"], schema=S)

    op.create_table(
        "payment_plan_lines",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint(
            "kind IN ('deposit', 'instalment', 'balance')", name=op.f("ck_payment_plan_lines_kind_allowed")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_plan_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            [f"{S}.orders.id"],
            name=op.f("fk_payment_plan_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plan_lines")),
        schema=S,
    )
    op.create_index(
        "ix_payment_plan_lines_order_id", "payment_plan_lines", ["order_id", "position"], schema=S
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("overpayment", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "method IN ('cash', 'bank', 'wechat', 'alipay', 'card')", name=op.f("ck_payments_method_allowed")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(["order_id"], [f"{S}.orders.id"], name=op.f("fk_payments_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["created_by"], [f"{S}.users.id"], name=op.f("fk_payments_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        schema=S,
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"], schema=S)
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"], schema=S)

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables("payments", "payment_plan_lines", "order_lines", "orders")
