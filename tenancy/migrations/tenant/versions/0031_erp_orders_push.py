"""H2 (issue 10): the ERP connector pushes orders in CSV mode too

The connector gains ``outbound_folder`` (where CSV mode writes the orders changed since the last
push, one file per run and chunk) and ``order_mapping`` (CSV header → our order field: the columns
and their names, 订单号 and so on); a sync run gains ``files`` (the names of the files it wrote).
The batch stock adjustment needs no schema change.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenancy.migrations.common import tenant_schema

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "erp_connector",
        sa.Column("outbound_folder", sa.String(length=500), nullable=True),
        schema=tenant_schema(),
    )
    op.add_column(
        "erp_connector",
        sa.Column(
            "order_mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        schema=tenant_schema(),
    )
    op.add_column(
        "erp_sync_runs",
        sa.Column("files", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        schema=tenant_schema(),
    )


def downgrade() -> None:
    op.drop_column("erp_sync_runs", "files", schema=tenant_schema())
    op.drop_column("erp_connector", "order_mapping", schema=tenant_schema())
    op.drop_column("erp_connector", "outbound_folder", schema=tenant_schema())
