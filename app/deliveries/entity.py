"""Bookings, declared to the entity kit; the deliveries permissions; the notification and timeline
kinds they raise."""

from __future__ import annotations

from app.deliveries.fields import BookingKind, BookingStatus, TimeSlot
from app.deliveries.models import Booking
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register
from app.notifications.kinds import Kind, register_kind

DELIVERIES_READ = "deliveries:read"
DELIVERIES_CREATE = "deliveries:create"
# Moving a visit along (on the way, done, failed), notes and photos: the technicians' right.
DELIVERIES_EDIT = "deliveries:edit"
# Team capacities.
DELIVERIES_MANAGE = "deliveries:manage"

MODULE = register_module(
    "deliveries",
    N_("Deliveries and installations"),
    ("read", "create", "edit", "manage"),
    {"edit": N_("Work on visits"), "manage": N_("Manage team capacity")},
)

BOOKING_ASSIGNED = register_kind(
    Kind("booking.assigned", N_("A visit is assigned to me"), module="deliveries")
)

BOOKING = register(
    EntitySpec(
        key="booking",
        label=N_("Visit"),
        plural=N_("Deliveries and installations"),
        module="deliveries",
        model=Booking,
        fields={
            "number": N_("Visit number"),
            "order_id": N_("Order"),
            "customer_id": N_("Customer"),
            "kind": N_("Visit type"),
            "scheduled_on": N_("Date"),
            "slot": N_("Time slot"),
            "team_id": N_("Team"),
            "technician_ids": N_("Technicians"),
            "address_id": N_("Address"),
            "address": N_("Address"),
            "status": N_("Visit status"),
            "failure_reason": N_("Why it failed"),
            "notes": N_("Notes"),
            "photos": N_("Photos"),
            "per_slot": N_("Visits per slot"),
        },
        choices={"kind": BookingKind, "slot": TimeSlot, "status": BookingStatus},
        errors={
            "unknown_order": N_("Choose an order you can see."),
            "order_not_bookable": N_("Only an approved or shipped order can be booked."),
            "unknown_team": N_("Choose a team from the list."),
            "technician_not_in_team": N_("This technician is not in the chosen team."),
            "unknown_address": N_("Choose one of the customer's addresses."),
            "no_address": N_("The customer has no address yet; add one first."),
            "slot_full": N_("This slot is full for the team; choose another slot or day."),
            "in_the_past": N_("Choose today or a later day."),
            "not_allowed_status": N_("The visit cannot move to this status now."),
            "reason_required": N_("Say why the visit failed."),
            "file_too_large": N_("The photo is too large (at most 10 MB)."),
            "not_an_image": N_("Upload a photo (JPEG, PNG or WebP)."),
        },
        actions={
            "status": N_("Visit status changed"),
            "reschedule": N_("Rescheduled"),
            "photo": N_("Photo added"),
        },
        page="/deliveries/{id}",
        nav=NavItem("deliveries", N_("Deliveries"), "/deliveries", DELIVERIES_READ, order=27),
        title=lambda b: b.number,
        staff_fields=("technician_ids",),
    )
)

# Visits on their customer's timeline (registered once the declaration exists).
from app.deliveries import timeline as _timeline  # noqa: E402,F401
