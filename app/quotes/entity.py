"""Quotes, declared to the entity kit: labels, page, navigation, permissions, and the workflow every
tenant starts with (草稿 → 已发送 → 已接受 / 已拒绝 / 已过期)."""

from __future__ import annotations

from typing import Any

from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register
from app.quotes.models import Quote

QUOTES_READ = "quotes:read"
QUOTES_EDIT = "quotes:edit"

MODULE = register_module("quotes", N_("Quotes"), ("read", "create", "edit", "delete"))

# (key, zh-CN label, English label, category), in order.
STAGES = (
    ("draft", "草稿", "Draft", "open"),
    ("sent", "已发送", "Sent", "open"),
    ("accepted", "已接受", "Accepted", "done"),
    ("rejected", "已拒绝", "Rejected", "cancelled"),
    ("expired", "已过期", "Expired", "cancelled"),
)
MOVES = (
    ("draft", "sent"),
    ("sent", "draft"),  # taken back for changes
    ("sent", "accepted"),
    ("sent", "rejected"),
    ("sent", "expired"),
    ("draft", "expired"),
)
# Stages a quote may be converted to an order from (a sent quote is accepted on the way).
CONVERTIBLE = ("sent", "accepted")
ACCEPTED = "accepted"


def default_quote_workflow() -> dict[str, Any]:
    """The quote workflow as a definition document."""
    return {
        "states": [
            {"key": key, "label": {"zh_CN": zh, "en": en}, "category": category, "position": i}
            for i, (key, zh, en, category) in enumerate(STAGES)
        ],
        "transitions": [{"from": a, "to": b} for a, b in MOVES],
    }


QUOTE = register(
    EntitySpec(
        key="quote",
        label=N_("Quote"),
        plural=N_("Quotes"),
        module="quotes",
        model=Quote,
        fields={
            "number": N_("Quote number"),
            "customer_id": N_("Customer"),
            "price_list_id": N_("Price list"),
            "status": N_("Quote status"),
            "valid_until": N_("Valid until"),
            "lines": N_("Quote lines"),
            "total": N_("Quote total"),
            "tax_rate": N_("VAT rate (%)"),
            "tax": N_("VAT included"),
            "max_discount": N_("Largest discount (%)"),
            "note": N_("Note"),
            "order_id": N_("Order"),
            "owner_id": N_("Salesperson"),
        },
        errors={
            "unknown_customer": N_("Choose a customer you can see."),
            "unknown_product": N_("Choose a product from the catalog."),
            "no_lines": N_("A quote needs at least one product line."),
            "no_price": N_("This product has no price; enter a unit price."),
            "negative_total": N_("Trade-ins cannot exceed what the quote offers."),
            "not_editable": N_("Only a draft quote's lines and customer can change."),
            "unknown_price_list": N_("Choose a price list from the list."),
            "price_list_expired": N_("This price list is not valid on this date."),
            "not_convertible": N_("Only a sent or accepted quote becomes an order."),
            "already_converted": N_("This quote has already become an order."),
            "quote_expired": N_("This quote is past its validity date."),
            "in_the_past": N_("The validity date is in the past."),
            "invalid_amount": N_("Enter an amount in yuan, such as 3999.00."),
            "invalid_number": N_("Enter a number."),
            "invalid_image": N_("The logo must be a PNG or JPEG image."),
            "too_large": N_("The logo must be at most 200 KB."),
        },
        actions={"convert": N_("Convert to an order")},
        page="/quotes/{id}",
        nav=NavItem("quotes", N_("Quotes"), "/quotes", QUOTES_READ, order=24),
        customizable=True,
        workflow_field="status",
        default_workflow=default_quote_workflow,
        title=lambda q: q.number,
    )
)
