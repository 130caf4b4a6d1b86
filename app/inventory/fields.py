"""Enumerations of stock keeping, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class WarehouseKind(LabeledEnum):
    SHOP = "shop", N_("Shop")
    CENTRAL = "central", N_("Central warehouse")
    VAN = "van", N_("Technician van")


class MovementKind(LabeledEnum):
    """What a ledger line records. ``on_hand`` changes with the goods; ``reserved`` with promises."""

    RECEIVE = "receive", N_("Received")
    SHIP = "ship", N_("Shipped")
    TRANSFER_OUT = "transfer_out", N_("Transferred out")
    TRANSFER_IN = "transfer_in", N_("Transferred in")
    ADJUST = "adjust", N_("Adjusted")
    RETURN = "return", N_("Returned")
    CONSUME = "consume", N_("Used in service")
    RESERVE = "reserve", N_("Reserved")
    RELEASE = "release", N_("Reservation released")


class SerialStatus(LabeledEnum):
    IN_STOCK = "in_stock", N_("In stock")
    SHIPPED = "shipped", N_("Shipped")
    CONSUMED = "consumed", N_("Used in service")
    WRITTEN_OFF = "written_off", N_("Written off")
