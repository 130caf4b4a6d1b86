"""tenant security settings, TOTP second factor, session stage, password-change time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.common import tenant_schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tenant_settings")),
        schema="tenant",
    )
    op.add_column(
        "user_sessions",
        sa.Column("stage", sa.String(length=16), server_default="active", nullable=False),
        schema=tenant_schema(),
    )
    op.add_column(
        "users",
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        schema=tenant_schema(),
    )
    op.add_column(
        "users", sa.Column("totp_secret", sa.String(length=200), nullable=True), schema=tenant_schema()
    )
    op.add_column(
        "users",
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
        schema=tenant_schema(),
    )
    op.add_column(
        "users",
        sa.Column(
            "recovery_code_hashes",
            postgresql.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
        schema=tenant_schema(),
    )


def downgrade() -> None:
    op.drop_column("users", "recovery_code_hashes", schema=tenant_schema())
    op.drop_column("users", "totp_enabled_at", schema=tenant_schema())
    op.drop_column("users", "totp_secret", schema=tenant_schema())
    op.drop_column("users", "password_changed_at", schema=tenant_schema())
    op.drop_column("user_sessions", "stage", schema=tenant_schema())
    op.drop_table("tenant_settings", schema="tenant")
