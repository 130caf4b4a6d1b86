"""Enumerations of stocktake, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class CountStatus(LabeledEnum):
    OPEN = "open", N_("Counting")
    APPROVED = "approved", N_("Approved")
    CANCELLED = "cancelled", N_("Cancelled")
