"""contract expiry reminders (helper H5: issue #11 item 6)

``contracts.expiry_reminded_on``: the end date the contract's owner was last told about. The
reminder sweep picks signed contracts ending within the tenant's notice period whose end date is not
this one (through ``ix_contracts_ends_on``), and sets it in the same transaction as the
notification: each end date is reminded once, across restarts; a contract extended to a new end
date is reminded again when that one nears. Contracts have carried their attachments' column since
0022; the files themselves live per tenant on disk (``FILES_DIR/<schema>/contracts/``).

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Column-level operations name the real schema: the placeholder ``tenant`` is not rendered for them
# (tenancy/migrations/tenant/env.py).
def upgrade() -> None:
    op.add_column(
        "contracts", sa.Column("expiry_reminded_on", sa.Date(), nullable=True), schema=tenant_schema()
    )


def downgrade() -> None:
    op.drop_column("contracts", "expiry_reminded_on", schema=tenant_schema())
