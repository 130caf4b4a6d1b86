"""Enumerations of delivery and installation booking, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class BookingKind(LabeledEnum):
    DELIVERY = "delivery", N_("Delivery")
    INSTALLATION = "installation", N_("Installation")
    BOTH = "both", N_("Delivery and installation")


class TimeSlot(LabeledEnum):
    """The windows a customer can choose; a team takes a set number of jobs per window."""

    MORNING = "morning", N_("Morning 9:00-12:00")
    AFTERNOON = "afternoon", N_("Afternoon 13:00-17:00")
    EVENING = "evening", N_("Evening 18:00-20:00")


class BookingStatus(LabeledEnum):
    BOOKED = "booked", N_("Booked")
    RESCHEDULED = "rescheduled", N_("Rescheduled")
    ON_THE_WAY = "on_the_way", N_("On the way")
    DONE = "done", N_("Done")
    FAILED = "failed", N_("Failed")
    CANCELLED = "cancelled", N_("Cancelled")


# Bookings that hold a place in their slot.
ACTIVE_STATUSES = (
    BookingStatus.BOOKED.value,
    BookingStatus.RESCHEDULED.value,
    BookingStatus.ON_THE_WAY.value,
)
