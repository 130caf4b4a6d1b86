"""price lists and quotes (helper D: issue #10)

Price lists are kit records (validity dates, the customer tier they serve) with a price per product;
quotes are kit records on a workflow (the default one lives in app/quotes/entity.py and is not
stored until a tenant edits it) with their lines, linked to the order they became. The quotes
permissions are granted to existing roles by template key, as app/accounts/permissions.py grants
them to new tenants (price lists are managed with the catalog's permissions).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.tenant.frozen import owned_search_columns_v1, owner_key_v1, record_columns_v1
from tenancy.migrations.tenant.helpers import (
    S,
    drop_tables,
    grant_permissions,
    revoke_permissions,
)

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "quotes:read": ("owner", "admin", "manager", "sales", "service", "viewer"),
    "quotes:create": ("owner", "admin", "manager", "sales", "service"),
    "quotes:edit": ("owner", "admin", "manager", "sales", "service"),
    "quotes:delete": ("owner", "admin", "manager"),
}


def upgrade() -> None:
    op.create_table(
        "price_lists",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        *record_columns_v1(),
        sa.CheckConstraint(
            "kind IN ('retail', 'member', 'wholesale', 'custom')", name=op.f("ck_price_lists_kind_allowed")
        ),
        sa.CheckConstraint(
            "tier IS NULL OR tier IN ('normal', 'silver', 'gold', 'vip')",
            name=op.f("ck_price_lists_tier_allowed"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_price_lists_valid_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        schema=S,
    )
    op.create_index("ix_price_lists_created_at_id", "price_lists", ["created_at", "id"], schema=S)

    op.create_table(
        "price_list_items",
        sa.Column("price_list_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_price_list_items_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            [f"{S}.price_lists.id"],
            name=op.f("fk_price_list_items_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_price_list_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("price_list_id", "product_id", name=op.f("pk_price_list_items")),
        schema=S,
    )
    op.create_index("ix_price_list_items_product_id", "price_list_items", ["product_id"], schema=S)

    op.create_table(
        "quotes",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("price_list_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("max_discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        *owned_search_columns_v1(),
        sa.CheckConstraint("total >= 0", name=op.f("ck_quotes_total_not_negative")),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name=op.f("ck_quotes_tax_rate_in_range")),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_quotes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"], [f"{S}.price_lists.id"], name=op.f("fk_quotes_price_list_id_price_lists")
        ),
        sa.ForeignKeyConstraint(["order_id"], [f"{S}.orders.id"], name=op.f("fk_quotes_order_id_orders")),
        owner_key_v1("quotes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        schema=S,
    )
    op.create_index(op.f("ix_quotes_owner_id"), "quotes", ["owner_id"], schema=S)
    op.create_index("ix_quotes_customer_id", "quotes", ["customer_id"], schema=S)
    op.create_index("ix_quotes_created_at_id", "quotes", ["created_at", "id"], schema=S)
    op.create_index("uq_quotes_number", "quotes", ["number"], unique=True, schema=S)
    op.create_index("ix_quotes_search_grams", "quotes", ["search_grams"], schema=S, postgresql_using="gin")

    op.create_table(
        "quote_lines",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("kind IN ('product', 'trade_in')", name=op.f("ck_quote_lines_kind_allowed")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quote_lines_quantity_positive")),
        sa.CheckConstraint(
            "discount >= 0 AND discount <= 100", name=op.f("ck_quote_lines_discount_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], [f"{S}.quotes.id"], name=op.f("fk_quote_lines_quote_id_quotes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_quote_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
        schema=S,
    )
    op.create_index("ix_quote_lines_quote_id", "quote_lines", ["quote_id", "position"], schema=S)

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables("quote_lines", "quotes", "price_list_items", "price_lists")
