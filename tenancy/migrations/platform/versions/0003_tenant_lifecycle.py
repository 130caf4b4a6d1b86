"""tenant lifecycle: plans and trials, email verification, delete with grace period; platform audit
log, usage cache, one-time tokens, recorded mail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_columns() -> tuple[sa.Column, ...]:
    # Fresh Column objects per call: alembic attaches each to a table of its own.
    return (
        sa.Column("suspended_reason", sa.String(length=20), nullable=True),
        sa.Column("plan", sa.String(length=20), server_default="trial", nullable=False),
        sa.Column("trial_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_before_delete", sa.String(length=16), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    )


def upgrade() -> None:
    for column in _tenant_columns():
        op.add_column("tenants", column, schema="public")
    # Tenants from before plans existed: verified (they have been logging in all along), on a
    # trial that starts now rather than one that ended long ago.
    op.execute(
        "UPDATE public.tenants SET email_verified_at = created_at, "
        "trial_ends_at = now() + interval '14 days', "
        "suspended_reason = CASE WHEN status = 'suspended' THEN 'operator' END"
    )

    op.create_table(
        "platform_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("operator_id", sa.UUID(), nullable=True),
        sa.Column("operator_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("tenant_slug", sa.String(length=30), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("ip", postgresql.INET(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit")),
        schema="public",
    )
    op.create_index("ix_platform_audit_at", "platform_audit", ["at"], schema="public")
    op.create_index(
        "ix_platform_audit_tenant_slug_at", "platform_audit", ["tenant_slug", "at"], schema="public"
    )
    op.create_index("ix_platform_audit_action_at", "platform_audit", ["action", "at"], schema="public")
    # Append-only: what operators did stays on record, whoever has the database password.
    op.execute(
        """
        CREATE FUNCTION public.platform_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'platform_audit is append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER platform_audit_append_only BEFORE UPDATE OR DELETE ON public.platform_audit "
        "FOR EACH ROW EXECUTE FUNCTION public.platform_audit_append_only()"
    )

    op.create_table(
        "tenant_usage",
        sa.Column("tenant_slug", sa.String(length=30), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("customers", sa.Integer(), nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=True),
        sa.Column("api_calls_today", sa.Integer(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_backup_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("support_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_slug", name=op.f("pk_tenant_usage")),
        schema="public",
    )

    op.create_table(
        "one_time_tokens",
        sa.Column("jti", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("tenant_slug", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_one_time_tokens")),
        schema="public",
    )
    op.create_index(
        "ix_one_time_tokens_tenant_slug_purpose",
        "one_time_tokens",
        ["tenant_slug", "purpose"],
        schema="public",
    )

    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("tenant_slug", sa.String(length=30), nullable=True),
        sa.Column("to_addr", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("transport", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
        schema="public",
    )
    op.create_index("ix_outbox_mail_created_at", "outbox_mail", ["created_at"], schema="public")
    op.create_index("ix_outbox_mail_to_addr", "outbox_mail", ["to_addr"], schema="public")


def downgrade() -> None:
    op.drop_index("ix_outbox_mail_to_addr", table_name="outbox_mail", schema="public")
    op.drop_index("ix_outbox_mail_created_at", table_name="outbox_mail", schema="public")
    op.drop_table("outbox_mail", schema="public")
    op.drop_index("ix_one_time_tokens_tenant_slug_purpose", table_name="one_time_tokens", schema="public")
    op.drop_table("one_time_tokens", schema="public")
    op.drop_table("tenant_usage", schema="public")
    op.execute("DROP TRIGGER platform_audit_append_only ON public.platform_audit")
    op.execute("DROP FUNCTION public.platform_audit_append_only()")
    op.drop_index("ix_platform_audit_action_at", table_name="platform_audit", schema="public")
    op.drop_index("ix_platform_audit_tenant_slug_at", table_name="platform_audit", schema="public")
    op.drop_index("ix_platform_audit_at", table_name="platform_audit", schema="public")
    op.drop_table("platform_audit", schema="public")
    for column in reversed(_tenant_columns()):
        op.drop_column("tenants", column.name, schema="public")
