"""opportunities, pipelines, contracts, targets (helper G: issue #11)

Opportunities are kit records on the pipeline workflow (the default one lives in
app/opportunities/entity.py and is not stored until a tenant edits it), with their products of
interest; contracts are kit records on the contract workflow; sales targets are a month's amount
for one salesperson or one team. The permissions are granted to existing roles by template key, as
app/accounts/permissions.py grants them to new tenants.

Revision ID: 0022
Revises: 0021
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

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "opportunities:read": ("owner", "admin", "manager", "sales", "service", "viewer"),
    "opportunities:create": ("owner", "admin", "manager", "sales"),
    "opportunities:edit": ("owner", "admin", "manager", "sales"),
    "opportunities:delete": ("owner", "admin", "manager"),
    "opportunities:manage": ("owner", "admin", "manager"),
    "contracts:read": ("owner", "admin", "manager", "sales", "service", "viewer"),
    "contracts:create": ("owner", "admin", "manager", "sales"),
    "contracts:edit": ("owner", "admin", "manager", "sales"),
    "contracts:delete": ("owner", "admin", "manager"),
}


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("lost_reason", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column(
            "stage_entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        *owned_search_columns_v1(),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunities_amount_not_negative")),
        sa.CheckConstraint(
            "probability IS NULL OR probability BETWEEN 0 AND 100",
            name=op.f("ck_opportunities_probability_range"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_opportunities_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], [f"{S}.orders.id"], name=op.f("fk_opportunities_order_id_orders")
        ),
        owner_key_v1("opportunities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        schema=S,
    )
    op.create_index(op.f("ix_opportunities_owner_id"), "opportunities", ["owner_id"], schema=S)
    op.create_index("ix_opportunities_customer_id", "opportunities", ["customer_id"], schema=S)
    op.create_index(
        "ix_opportunities_stage",
        "opportunities",
        ["stage"],
        schema=S,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_opportunities_expected_close", "opportunities", ["expected_close"], schema=S)
    op.create_index("ix_opportunities_created_at_id", "opportunities", ["created_at", "id"], schema=S)
    op.create_index(
        "ix_opportunities_search_grams", "opportunities", ["search_grams"], schema=S, postgresql_using="gin"
    )

    op.create_table(
        "opportunity_products",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_opportunity_products_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_opportunity_products_unit_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            [f"{S}.opportunities.id"],
            name=op.f("fk_opportunity_products_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{S}.products.id"], name=op.f("fk_opportunity_products_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_products")),
        schema=S,
    )
    op.create_index(
        "ix_opportunity_products_opportunity_id",
        "opportunity_products",
        ["opportunity_id", "position"],
        schema=S,
    )

    op.create_table(
        "contracts",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *owned_search_columns_v1(),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_contracts_amount_not_negative")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_contracts_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_contracts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            [f"{S}.opportunities.id"],
            name=op.f("fk_contracts_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(["order_id"], [f"{S}.orders.id"], name=op.f("fk_contracts_order_id_orders")),
        owner_key_v1("contracts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        schema=S,
    )
    op.create_index(op.f("ix_contracts_owner_id"), "contracts", ["owner_id"], schema=S)
    op.create_index(
        "uq_contracts_number",
        "contracts",
        ["number"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_contracts_customer_id", "contracts", ["customer_id"], schema=S)
    op.create_index("ix_contracts_ends_on", "contracts", ["ends_on"], schema=S)
    op.create_index("ix_contracts_created_at_id", "contracts", ["created_at", "id"], schema=S)
    op.create_index(
        "ix_contracts_search_grams", "contracts", ["search_grams"], schema=S, postgresql_using="gin"
    )

    op.create_table(
        "sales_targets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_sales_targets_one_holder")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_sales_targets_amount_not_negative")),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name=op.f("ck_sales_targets_month_first_day")),
        sa.ForeignKeyConstraint(["user_id"], [f"{S}.users.id"], name=op.f("fk_sales_targets_user_id_users")),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_sales_targets_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_targets")),
        schema=S,
    )
    op.create_index(
        "uq_sales_targets_user_month",
        "sales_targets",
        ["user_id", "month"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_sales_targets_team_month",
        "sales_targets",
        ["team_id", "month"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("team_id IS NOT NULL"),
    )
    op.create_index("ix_sales_targets_month", "sales_targets", ["month"], schema=S)

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables("sales_targets", "contracts", "opportunity_products", "opportunities")
