"""contract notice periods and the kit's sweep of lost background jobs (helper H4: issues 11, 9)

Contracts: the tenant setting ``contracts`` becomes a list of notice periods
(``{"remind_days": N}`` becomes ``{"notice_days": [N]}``: a tenant that chose a period keeps exactly
that one; tenants that never chose get the new default, 30 and 7 days, from the code).
``contracts.expiry_notice_days`` is the shortest period the owner was told about for the end date in
``expiry_reminded_on``: a contract already reminded under the old single period is recorded as told
for that period, so only the shorter ones are still to come.

Background jobs (``app/kit/jobs.py``): batch jobs and data-subject exports get the heartbeat the
sweep judges a run by (``heartbeat_at``), and batch jobs count the sweep's rescues (``attempts``).

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import quoted_schema

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = tenant_schema()
    q = quoted_schema()
    op.add_column(
        "contracts", sa.Column("expiry_notice_days", sa.SmallInteger(), nullable=True), schema=schema
    )
    op.execute(
        f"UPDATE {q}.contracts SET expiry_notice_days = COALESCE(("
        f"SELECT (value->>'remind_days')::int FROM {q}.tenant_settings "
        "WHERE key = 'contracts' AND jsonb_typeof(value->'remind_days') = 'number'), 30) "
        "WHERE expiry_reminded_on IS NOT NULL"
    )
    op.execute(
        f"UPDATE {q}.tenant_settings SET value = (value - 'remind_days') || "
        "jsonb_build_object('notice_days', jsonb_build_array(value->'remind_days')) "
        "WHERE key = 'contracts' AND jsonb_typeof(value->'remind_days') = 'number'"
    )
    for table in ("batch_jobs", "subject_exports"):
        op.add_column(
            table, sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True), schema=schema
        )
    op.add_column(
        "batch_jobs",
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    schema = tenant_schema()
    q = quoted_schema()
    op.drop_column("batch_jobs", "attempts", schema=schema)
    for table in ("subject_exports", "batch_jobs"):
        op.drop_column(table, "heartbeat_at", schema=schema)
    # The longest period was the one the single setting meant (the first notice).
    op.execute(
        f"UPDATE {q}.tenant_settings SET value = (value - 'notice_days') || "
        "jsonb_build_object('remind_days', "
        "(SELECT max(d::int) FROM jsonb_array_elements_text(value->'notice_days') AS d)) "
        "WHERE key = 'contracts' AND jsonb_typeof(value->'notice_days') = 'array' "
        "AND jsonb_array_length(value->'notice_days') > 0"
    )
    op.drop_column("contracts", "expiry_notice_days", schema=schema)
