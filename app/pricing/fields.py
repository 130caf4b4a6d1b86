"""Enumerations of price lists, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class PriceListKind(LabeledEnum):
    RETAIL = "retail", N_("Retail")
    MEMBER = "member", N_("Member")
    WHOLESALE = "wholesale", N_("Wholesale")
    CUSTOM = "custom", N_("Tenant-defined")
