"""Tenant tables of leads and pools: the lead (a kit record), assignment rules, pools and each
customer's place in them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk
from app.kit.model import OwnedMixin, RecordMixin, SearchMixin, search_index
from app.leads.fields import LeadSource, LeadStatus, RuleStrategy


class Lead(OwnedMixin, SearchMixin, RecordMixin, TenantBase):
    """Someone who showed interest, not yet a customer: from staff, an import, the web form or the API."""

    __tablename__ = "leads"

    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    company: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(30))
    district: Mapped[str | None] = mapped_column(String(30))
    product_category: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default=LeadSource.ADMIN.value)
    status: Mapped[str] = mapped_column(String(16), default=LeadStatus.NEW.value)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first-response timer: the owner should have answered by then; set on assignment.
    respond_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the owner was told the lead is overdue (once per assignment).
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    # The opportunity conversion opened (app.opportunities, when that module is installed).
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        search_index("leads"),
        Index("ix_leads_created_at_id", "created_at", "id"),
        Index("ix_leads_status", "status"),
        Index(
            "ix_leads_respond_by_open",
            "respond_by",
            postgresql_where="responded_at IS NULL AND overdue_notified_at IS NULL AND deleted_at IS NULL "
            "AND respond_by IS NOT NULL",
        ),
        LeadSource.check_constraint("source", name="source_allowed", nullable=False),
        LeadStatus.check_constraint("status", name="status_allowed", nullable=False),
    )


class LeadRule(TenantBase):
    """An assignment rule: leads matching its region and product category (empty: any) go to one of
    its candidates (the team's active members, or every active salesperson), round robin or to whoever
    has the fewest open leads. Rules are tried in ``position`` order; the first that matches wins."""

    __tablename__ = "lead_rules"

    id: Mapped[uuid.UUID] = uuid_pk()
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(60))
    strategy: Mapped[str] = mapped_column(String(12), default=RuleStrategy.ROUND_ROBIN.value)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    province: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(30))
    product_category: Mapped[str | None] = mapped_column(String(60))
    # Round robin's place: the member who got the last lead through this rule.
    last_user_id: Mapped[uuid.UUID | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (RuleStrategy.check_constraint("strategy", name="strategy_allowed", nullable=False),)


class Pool(TenantBase):
    """A shared customer pool (公海): one per team or region, as the tenant defines them."""

    __tablename__ = "pools"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # Customers of this team's members return here; else those of this province; else the first pool.
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    province: Mapped[str | None] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_col()


class PoolEntry(TenantBase):
    """A customer's place in the pools: the pool it sits in (``owner_id`` NULL) or came from, who
    claimed it when, and the return deadline its owner was last warned about."""

    __tablename__ = "pool_entries"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    pool_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pools.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    warned_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_pool_entries_pool_id", "pool_id"),
        Index("ix_pool_entries_claimed_by", "claimed_by"),
    )


# PostgreSQL keeps customers.last_activity_at (its triggers are created with the tables).
from app.leads import activity as _activity  # noqa: E402, F401
