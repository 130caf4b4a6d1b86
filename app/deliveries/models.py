"""Tenant tables of delivery and installation booking: appointments and each team's capacity."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase
from app.deliveries.fields import BookingKind, BookingStatus, TimeSlot
from app.kit.model import RecordMixin


class Booking(RecordMixin, TenantBase):
    """One visit to a customer: deliver and/or install what an order sold, in a slot, by a team."""

    __tablename__ = "bookings"

    number: Mapped[str] = mapped_column(String(30))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(12))
    scheduled_on: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(12))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    technician_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    address_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer_addresses.id"))
    # The address as it was booked (the customer may edit theirs later; the visit went here).
    address: Mapped[str] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # Photos taken on site: [{"name", "file", "size", "type"}] under the tenant's "booking-photos".
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_bookings_number", "number", unique=True),
        Index("ix_bookings_slot", "team_id", "scheduled_on", "slot"),
        Index("ix_bookings_scheduled_on", "scheduled_on", "id"),
        Index("ix_bookings_order_id", "order_id"),
        Index("ix_bookings_customer_id", "customer_id"),
        Index("ix_bookings_technician_ids", "technician_ids", postgresql_using="gin"),
        BookingKind.check_constraint("kind", name="kind_allowed", nullable=False),
        TimeSlot.check_constraint("slot", name="slot_allowed", nullable=False),
        BookingStatus.check_constraint("status", name="status_allowed", nullable=False),
    )


class TeamSlotCapacity(TenantBase):
    """How many visits a team takes per slot (absent: the configured default). Its row is also the
    lock that makes two bookings of the last place in a slot take turns."""

    __tablename__ = "team_slot_capacity"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    per_slot: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("per_slot IS NULL OR per_slot >= 0", name="per_slot_not_negative"),)
