"""Visits on their customer's timeline: each audited change of a visit (booked, rescheduled, on
the way, done or failed), named by the visit's number and date."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select

from app.audit.models import AuditRecord
from app.deliveries.models import Booking
from app.kit.enums import N_
from app.timeline.registry import EntryKind, TimelineSource, register_kind, register_source
from app.timeline.sources import entry_id

KIND = "booking"


def _booking_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    named = func.jsonb_build_object("number", Booking.number, "scheduled_on", Booking.scheduled_on)
    return (
        select()
        .select_from(AuditRecord)
        .join(Booking, cast(Booking.id, String) == AuditRecord.entity_id)
        .where(AuditRecord.entity == KIND, Booking.customer_id == customer_id)
        .add_columns(
            entry_id("booking:", AuditRecord.id).label("id"),
            AuditRecord.at.label("at"),
            literal(KIND).label("kind"),
            AuditRecord.actor_id.label("actor_id"),
            AuditRecord.actor_label.label("actor_label"),
            func.jsonb_build_object(
                "entity",
                AuditRecord.entity,
                "entity_id",
                AuditRecord.entity_id,
                "action",
                AuditRecord.action,
                "before",
                AuditRecord.before.op("||")(named),
                "after",
                AuditRecord.after.op("||")(named),
            ).label("data"),
        )
    )


register_source(TimelineSource("bookings", _booking_rows))
register_kind(EntryKind(KIND, N_("Deliveries and installations"), "truck", source="bookings", order=55))
