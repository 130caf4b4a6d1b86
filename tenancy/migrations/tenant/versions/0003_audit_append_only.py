"""audit log is append-only: a trigger refuses UPDATE and DELETE

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from tenancy.migrations.tenant.helpers import quoted_schema

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Frozen copies of app/audit/models.py's statements as of this revision (new tenants get the trigger
# from there, with the table): a migration never imports live code, which may change after it ran.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TRIGGER = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {schema}.audit_log "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.audit_log_append_only()"
)


def upgrade() -> None:
    op.execute(APPEND_ONLY_FUNCTION.format(schema=quoted_schema()))
    op.execute(APPEND_ONLY_TRIGGER.format(schema=quoted_schema()))


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS audit_log_append_only ON {quoted_schema()}.audit_log")
    op.execute(f"DROP FUNCTION IF EXISTS {quoted_schema()}.audit_log_append_only()")
