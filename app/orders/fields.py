"""Enumerations of orders and payments, declared once."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum
from app.kit.lines import LineKind  # a line of a sale: the kit's, shared with quotes

__all__ = ["InvoiceType", "LineKind", "PaymentMethod", "PlanKind", "StockState"]


class InvoiceType(LabeledEnum):
    NONE = "none", N_("No invoice")
    NORMAL = "normal", N_("Ordinary VAT invoice")
    SPECIAL = "special", N_("Special VAT invoice")


class StockState(LabeledEnum):
    """Where the order's goods stand in the ledger (what a move must do, whatever the tenant named
    its stages): nothing yet, reserved (approved), shipped, back in stock."""

    NONE = "none", N_("Not reserved")
    RESERVED = "reserved", N_("Reserved")
    SHIPPED = "shipped", N_("Shipped")
    RETURNED = "returned", N_("Returned to stock")


class PaymentMethod(LabeledEnum):
    CASH = "cash", N_("Cash")
    BANK = "bank", N_("Bank transfer")
    WECHAT = "wechat", N_("WeChat Pay")
    ALIPAY = "alipay", N_("Alipay")
    CARD = "card", N_("Card")


class PlanKind(LabeledEnum):
    DEPOSIT = "deposit", N_("Deposit")
    INSTALMENT = "instalment", N_("Instalment")
    BALANCE = "balance", N_("Balance")
