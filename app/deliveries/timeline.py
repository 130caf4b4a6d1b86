"""Visits on their customer's timeline: each audited change of a visit (booked, rescheduled, on
the way, done or failed), named by the visit's number and date."""

from __future__ import annotations

from app.deliveries.models import Booking
from app.kit.enums import N_
from app.timeline.sources import register_audited

KIND = "booking"

register_audited(
    KIND,
    Booking,
    source="bookings",
    label=N_("Deliveries and installations"),
    icon="truck",
    order=55,
    named={"number": Booking.number, "scheduled_on": Booking.scheduled_on},
)
