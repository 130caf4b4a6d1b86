"""auth hardening: pending TOTP secret and last accepted step, second-factor failures per half-login,
login locks per (account, source), token expiry and scopes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import quoted_schema

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = tenant_schema()
    op.add_column(
        "users", sa.Column("totp_pending_secret", sa.String(length=200), nullable=True), schema=schema
    )
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True), schema=schema)
    op.add_column(
        "user_sessions",
        sa.Column("second_factor_failures", sa.Integer(), server_default="0", nullable=False),
        schema=schema,
    )
    op.add_column(
        "api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True), schema=schema
    )
    # Tokens made before scopes and expiry existed keep working as they did (read and write) but no
    # longer forever: they expire 90 days after this upgrade, the default for new tokens.
    op.execute(
        f"UPDATE {quoted_schema()}.api_tokens SET scopes = ARRAY['read', 'write']::varchar(60)[] "
        "WHERE cardinality(scopes) = 0"
    )
    op.execute(
        f"UPDATE {quoted_schema()}.api_tokens SET expires_at = now() + interval '90 days' "
        "WHERE expires_at IS NULL"
    )
    op.create_table(
        "login_locks",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_failure_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["tenant.users.id"], name=op.f("fk_login_locks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "source", name=op.f("pk_login_locks")),
        schema="tenant",
    )


def downgrade() -> None:
    schema = tenant_schema()
    op.drop_table("login_locks", schema="tenant")
    op.drop_column("api_tokens", "expires_at", schema=schema)
    op.drop_column("user_sessions", "second_factor_failures", schema=schema)
    op.drop_column("users", "totp_last_step", schema=schema)
    op.drop_column("users", "totp_pending_secret", schema=schema)
