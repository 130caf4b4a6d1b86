"""Enumerations of customers' units, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class UnitStatus(LabeledEnum):
    IN_USE = "in_use", N_("In use")
    REPLACED = "replaced", N_("Replaced")
    SCRAPPED = "scrapped", N_("Scrapped")
