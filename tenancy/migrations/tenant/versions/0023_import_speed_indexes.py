"""indexes for the import, home counts and duplicate scan (helper H: issues #8, #9)

- ``ix_customers_live_status_owner``: the home page counts live customers by stage, in the viewer's
  scope and the viewer's own, from this index alone (an index-only scan) instead of every wide row.
- ``ix_customers_live_mobile`` replaces ``ix_customers_mobile``: the same lookups for the duplicate
  check on create, edit and import (the check only ever asks for live customers), and the
  likely-duplicates scan's "same mobile" groups read in key order with the columns it needs.
- ``ix_customers_live_name_place``: the scan's "same name in the same district" groups, likewise.
- ``ix_customers_live_company_key`` replaces ``ix_customers_company_key``: company names for the check
  and the scan's "same company" groups, index-only (``name`` included for the expression).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCAN_COLUMNS = ["created_at", "id", "owner_id"]
# Frozen copy of app.duplicates.models.COMPANY_KEY_PATTERN as of this revision.
COMPANY_KEY_PATTERN = r"有限责任公司|股份有限公司|有限公司|[[:space:]()（）\[\]【】]"
COMPANY_KEY = f"regexp_replace(lower(name), '{COMPANY_KEY_PATTERN}', '', 'g')"


def upgrade() -> None:
    op.create_index(
        "ix_customers_live_status_owner",
        "customers",
        ["status", "owner_id"],
        schema="tenant",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_customers_live_mobile",
        "customers",
        ["mobile"],
        schema="tenant",
        postgresql_include=_SCAN_COLUMNS,
        postgresql_where=sa.text("deleted_at IS NULL AND mobile IS NOT NULL"),
    )
    op.drop_index("ix_customers_mobile", table_name="customers", schema="tenant")
    op.create_index(
        "ix_customers_live_name_place",
        "customers",
        ["name", "province", "city", "district"],
        schema="tenant",
        postgresql_include=_SCAN_COLUMNS,
        postgresql_where=sa.text("deleted_at IS NULL AND district IS NOT NULL"),
    )
    op.create_index(
        "ix_customers_live_company_key",
        "customers",
        [sa.text(COMPANY_KEY)],
        schema="tenant",
        postgresql_include=["name", *_SCAN_COLUMNS],
        postgresql_where=sa.text("kind = 'company' AND deleted_at IS NULL"),
    )
    op.drop_index("ix_customers_company_key", table_name="customers", schema="tenant")


def downgrade() -> None:
    op.create_index(
        "ix_customers_company_key",
        "customers",
        [sa.text(COMPANY_KEY)],
        schema="tenant",
        postgresql_where=sa.text("kind = 'company'"),
    )
    op.drop_index("ix_customers_live_company_key", table_name="customers", schema="tenant")
    op.drop_index("ix_customers_live_name_place", table_name="customers", schema="tenant")
    op.create_index(
        "ix_customers_mobile",
        "customers",
        ["mobile"],
        schema="tenant",
        postgresql_where=sa.text("mobile IS NOT NULL"),
    )
    op.drop_index("ix_customers_live_mobile", table_name="customers", schema="tenant")
    op.drop_index("ix_customers_live_status_owner", table_name="customers", schema="tenant")
