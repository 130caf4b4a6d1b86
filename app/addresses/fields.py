"""What an address is for."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class AddressKind(LabeledEnum):
    DELIVERY = "delivery", N_("Delivery")
    INSTALLATION = "installation", N_("Installation")
    BILLING = "billing", N_("Billing")
