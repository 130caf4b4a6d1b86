"""audit log is append-only: a trigger refuses UPDATE and DELETE

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from app.audit.models import APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER
from tenancy.migrations.common import tenant_schema

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str:
    return '"' + tenant_schema().replace('"', '""') + '"'


def upgrade() -> None:
    op.execute(APPEND_ONLY_FUNCTION.format(schema=_schema()))
    op.execute(APPEND_ONLY_TRIGGER.format(schema=_schema()))


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS audit_log_append_only ON {_schema()}.audit_log")
    op.execute(f"DROP FUNCTION IF EXISTS {_schema()}.audit_log_append_only()")
