"""custom fields: the definitions table, and a GIN index on customers.custom for equality filters

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_field_definitions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label_zh", sa.String(length=60), nullable=False),
        sa.Column("label_en", sa.String(length=60), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("validation", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("default", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("filterable", sa.Boolean(), nullable=False),
        sa.Column("show_in_list", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=60), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_definitions")),
        sa.UniqueConstraint("entity", "key", name=op.f("uq_custom_field_definitions_entity_key")),
        schema="tenant",
    )
    op.create_index(
        "ix_customers_custom",
        "customers",
        ["custom"],
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
        schema="tenant",
    )


def downgrade() -> None:
    op.drop_index("ix_customers_custom", table_name="customers", schema="tenant")
    op.drop_table("custom_field_definitions", schema="tenant")
