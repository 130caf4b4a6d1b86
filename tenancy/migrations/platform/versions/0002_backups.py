"""backups and platform alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backups",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("tenant_slug", sa.String(length=30), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="running", nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("schema_revision", sa.String(length=32), nullable=True),
        sa.Column("source_tables", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("verification", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
        schema="public",
    )
    op.create_index("ix_backups_status", "backups", ["status"], unique=False, schema="public")
    op.create_index(
        "ix_backups_tenant_slug_created_at",
        "backups",
        ["tenant_slug", "created_at"],
        unique=False,
        schema="public",
    )
    op.create_table(
        "platform_alerts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("tenant_slug", sa.String(length=30), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_alerts")),
        schema="public",
    )
    # One open alert per kind and tenant: raising it again only refreshes last_seen_at.
    op.create_index(
        "uq_platform_alerts_open",
        "platform_alerts",
        ["kind", sa.text("coalesce(tenant_slug, '')")],
        unique=True,
        schema="public",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_platform_alerts_open",
        table_name="platform_alerts",
        schema="public",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_table("platform_alerts", schema="public")
    op.drop_index("ix_backups_tenant_slug_created_at", table_name="backups", schema="public")
    op.drop_index("ix_backups_status", table_name="backups", schema="public")
    op.drop_table("backups", schema="public")
