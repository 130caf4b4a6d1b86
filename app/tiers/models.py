"""The tenant's tier rules (one row): the switch, the rules per tier, and the nightly pass's day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, Integer, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase


class TierRules(TenantBase):
    """Tier rules as data: ``rules`` maps a tier above normal to its conditions over completed
    orders (``app.tiers.rules``); ``enabled`` off (the default) leaves every tier as people set it.
    ``run_on`` is the tenant's day the nightly pass claimed (once per day); ``run_*`` its outcome."""

    __tablename__ = "tier_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    rules: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    run_on: Mapped[date | None] = mapped_column(Date)
    run_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_customers: Mapped[int | None] = mapped_column(Integer)
    run_changed: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
