"""Merges of customers (kept for undo) and the indexes duplicate checks read on ``customers``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, func, literal, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.addresses.models import Address
from app.contacts.models import Contact
from app.customers.models import Customer
from app.db import TenantBase, created_at_col, uuid_pk

# A company name with its legal-form words, brackets and spaces taken out, lower-cased: 青岛海尔
# 电器（集团）有限公司 and 青岛海尔电器集团 are one company. Frozen in migration 0013 (the index).
COMPANY_KEY_PATTERN = r"有限责任公司|股份有限公司|有限公司|[[:space:]()（）\[\]【】]"


def company_key(column: Any) -> Any:
    # Constants, not bound parameters: the planner matches the expression index only when the
    # query's expression is the index's, constants included.
    return func.regexp_replace(
        func.lower(column), *(literal(v, literal_execute=True) for v in (COMPANY_KEY_PATTERN, "", "g"))
    )


_customers = Customer.__table__.c
# Declared here, on the customers table: the duplicate checks on create and edit are index lookups,
# and the likely-duplicates scan (app.duplicates.scan) reads its groups from covering indexes of live
# customers in key order (an index-only scan, no sort, none of the wide rows; migration 0023).
_SCAN_COLUMNS = ["created_at", "id", "owner_id"]
Index(
    "ix_customers_live_mobile",
    _customers.mobile,
    postgresql_include=_SCAN_COLUMNS,
    postgresql_where=text("deleted_at IS NULL AND mobile IS NOT NULL"),
)
Index(
    "ix_customers_live_name_place",
    _customers.name,
    _customers.province,
    _customers.city,
    _customers.district,
    postgresql_include=_SCAN_COLUMNS,
    postgresql_where=text("deleted_at IS NULL AND district IS NOT NULL"),
)
Index(
    "ix_customers_email_lower",
    func.lower(_customers.email),
    postgresql_where=_customers.email.is_not(None),
)
# Company names (the check and the scan's "same company" groups); ``name`` included so that an
# index-only scan can stand for the expression (the planner asks for the columns it is made of).
Index(
    "ix_customers_live_company_key",
    company_key(_customers.name),
    postgresql_include=["name", *_SCAN_COLUMNS],
    postgresql_where=text("kind = 'company' AND deleted_at IS NULL"),
)

Index(
    "ix_contacts_mobile", Contact.__table__.c.mobile, postgresql_where=Contact.__table__.c.mobile.is_not(None)
)
Index(
    "ix_customer_addresses_phone",
    Address.__table__.c.phone,
    postgresql_where=Address.__table__.c.phone.is_not(None),
)


class CustomerMerge(TenantBase):
    """One merge: what moved from the merged customer to the kept one, for undo within 30 days."""

    __tablename__ = "customer_merges"

    id: Mapped[uuid.UUID] = uuid_pk()
    kept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # What moved, by mover ("contact": [ids], "tags": [tag ids]...), and kept-customer fields the
    # merge filled in from the merged one (field -> [before, after]).
    moved: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    filled: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    merged_at: Mapped[datetime] = created_at_col()
    merged_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_label: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (
        Index("ix_customer_merges_kept_id", "kept_id", "merged_at"),
        Index("ix_customer_merges_merged_id", "merged_id"),
    )
