"""leads, public web forms, assignment rules, the shared customer pool (helper F: issue #11)

Leads are kit records (owned, searchable); assignment rules, pools and each customer's pool entry
are plain tables. The leads and pools permissions are granted to existing roles by template key, as
app/accounts/permissions.py grants them to new tenants.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.tenant.frozen import owned_search_columns_v1, owner_key_v1
from tenancy.migrations.tenant.helpers import (
    S,
    drop_tables,
    grant_permissions,
    revoke_permissions,
)

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# permission → template keys whose roles get it (as app.accounts.permissions.DEFAULT_ROLES has them).
GRANTS: dict[str, tuple[str, ...]] = {
    "leads:read": ("owner", "admin", "manager", "sales", "service", "marketing", "viewer"),
    "leads:create": ("owner", "admin", "manager", "sales", "service", "marketing"),
    "leads:edit": ("owner", "admin", "manager", "sales", "service"),
    "leads:delete": ("owner", "admin", "manager"),
    "leads:import": ("owner", "admin", "manager", "marketing"),
    "leads:manage": ("owner", "admin", "manager"),
    "pools:read": ("owner", "admin", "manager", "sales", "service"),
    "pools:manage": ("owner", "admin", "manager"),
}


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("company", sa.String(length=100), nullable=True),
        sa.Column("province", sa.String(length=30), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("district", sa.String(length=30), nullable=True),
        sa.Column("product_category", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        *owned_search_columns_v1(),
        sa.CheckConstraint(
            "source IN ('admin', 'import', 'web_form', 'api')", name=op.f("ck_leads_source_allowed")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'converted', 'disqualified')",
            name=op.f("ck_leads_status_allowed"),
        ),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_leads_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["customer_id"], [f"{S}.customers.id"], name=op.f("fk_leads_customer_id_customers")
        ),
        owner_key_v1("leads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        schema=S,
    )
    op.create_index(op.f("ix_leads_owner_id"), "leads", ["owner_id"], schema=S)
    op.create_index("ix_leads_created_at_id", "leads", ["created_at", "id"], schema=S)
    op.create_index("ix_leads_status", "leads", ["status"], schema=S)
    op.create_index("ix_leads_search_grams", "leads", ["search_grams"], schema=S, postgresql_using="gin")
    op.create_index(
        "ix_leads_respond_by_open",
        "leads",
        ["respond_by"],
        schema=S,
        postgresql_where=sa.text(
            "responded_at IS NULL AND overdue_notified_at IS NULL AND deleted_at IS NULL "
            "AND respond_by IS NOT NULL"
        ),
    )

    op.create_table(
        "lead_rules",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("strategy", sa.String(length=12), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("province", sa.String(length=30), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("product_category", sa.String(length=60), nullable=True),
        sa.Column("last_user_id", sa.UUID(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "strategy IN ('round_robin', 'load')", name=op.f("ck_lead_rules_strategy_allowed")
        ),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_lead_rules_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_rules")),
        schema=S,
    )

    op.create_table(
        "pools",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("province", sa.String(length=30), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_pools_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_pools_name")),
        schema=S,
    )

    op.create_table(
        "pool_entries",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("pool_id", sa.UUID(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_for", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{S}.customers.id"],
            name=op.f("fk_pool_entries_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], [f"{S}.pools.id"], name=op.f("fk_pool_entries_pool_id_pools"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"], [f"{S}.users.id"], name=op.f("fk_pool_entries_claimed_by_users")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_pool_entries")),
        schema=S,
    )
    op.create_index("ix_pool_entries_pool_id", "pool_entries", ["pool_id"], schema=S)
    op.create_index("ix_pool_entries_claimed_by", "pool_entries", ["claimed_by"], schema=S)

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    drop_tables("pool_entries", "pools", "lead_rules", "leads")
