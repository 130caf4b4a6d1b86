"""the customer timeline, notes and duplicate control

Quick notes on a customer (text, @mentions, attachments), the merges of customers kept for undo,
and the indexes that make the duplicate checks on create and edit index lookups (mobile, e-mail,
company name without its legal form, brackets and spaces).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.tenant.frozen import record_columns_v1

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of app.duplicates.models.COMPANY_KEY_PATTERN as of this revision.
COMPANY_KEY_PATTERN = r"有限责任公司|股份有限公司|有限公司|[[:space:]()（）\[\]【】]"


def upgrade() -> None:
    op.create_table(
        "customer_notes",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *record_columns_v1(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["tenant.customers.id"],
            name=op.f("fk_customer_notes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
        schema="tenant",
    )
    op.create_index(
        "ix_customer_notes_customer_id", "customer_notes", ["customer_id", "created_at"], schema="tenant"
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kept_id", sa.UUID(), nullable=False),
        sa.Column("merged_id", sa.UUID(), nullable=False),
        sa.Column("moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("filled", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("merged_by", sa.UUID(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.UUID(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_id"],
            ["tenant.customers.id"],
            name=op.f("fk_customer_merges_kept_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["tenant.customers.id"],
            name=op.f("fk_customer_merges_merged_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
        schema="tenant",
    )
    op.create_index(
        "ix_customer_merges_kept_id", "customer_merges", ["kept_id", "merged_at"], schema="tenant"
    )
    op.create_index("ix_customer_merges_merged_id", "customer_merges", ["merged_id"], schema="tenant")
    op.create_index(
        "ix_customers_mobile",
        "customers",
        ["mobile"],
        schema="tenant",
        postgresql_where=sa.text("mobile IS NOT NULL"),
    )
    op.create_index(
        "ix_customers_email_lower",
        "customers",
        [sa.text("lower(email)")],
        schema="tenant",
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "ix_customers_company_key",
        "customers",
        [sa.text(f"regexp_replace(lower(name), '{COMPANY_KEY_PATTERN}', '', 'g')")],
        schema="tenant",
        postgresql_where=sa.text("kind = 'company'"),
    )
    # Phones held on contacts and addresses count as the customer's for the mobile check.
    op.create_index(
        "ix_contacts_mobile",
        "contacts",
        ["mobile"],
        schema="tenant",
        postgresql_where=sa.text("mobile IS NOT NULL"),
    )
    op.create_index(
        "ix_customer_addresses_phone",
        "customer_addresses",
        ["phone"],
        schema="tenant",
        postgresql_where=sa.text("phone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customer_addresses_phone", table_name="customer_addresses", schema="tenant")
    op.drop_index("ix_contacts_mobile", table_name="contacts", schema="tenant")
    op.drop_index("ix_customers_company_key", table_name="customers", schema="tenant")
    op.drop_index("ix_customers_email_lower", table_name="customers", schema="tenant")
    op.drop_index("ix_customers_mobile", table_name="customers", schema="tenant")
    op.drop_index("ix_customer_merges_merged_id", table_name="customer_merges", schema="tenant")
    op.drop_index("ix_customer_merges_kept_id", table_name="customer_merges", schema="tenant")
    op.drop_table("customer_merges", schema="tenant")
    op.drop_index("ix_customer_notes_customer_id", table_name="customer_notes", schema="tenant")
    op.drop_table("customer_notes", schema="tenant")
