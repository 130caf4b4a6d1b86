"""Enumerations of the catalog, declared once (labels, form choices, GraphQL enums, checks)."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class ProductKind(LabeledEnum):
    APPLIANCE = "appliance", N_("Appliance")
    CONSUMABLE = "consumable", N_("Consumable")
    ACCESSORY = "accessory", N_("Accessory")
    SERVICE = "service", N_("Service item")


class EnergyGrade(LabeledEnum):
    """China energy label grades (中国能效标识): 1 is the most efficient."""

    GRADE_1 = "1", N_("Grade 1")
    GRADE_2 = "2", N_("Grade 2")
    GRADE_3 = "3", N_("Grade 3")
    GRADE_4 = "4", N_("Grade 4")
    GRADE_5 = "5", N_("Grade 5")


class LinkKind(LabeledEnum):
    CONSUMABLE = "consumable", N_("Consumable")
    ACCESSORY = "accessory", N_("Accessory")
