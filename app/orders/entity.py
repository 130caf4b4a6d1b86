"""Orders, declared to the entity kit: labels, choices, page, navigation, permissions, and the
workflow every tenant starts with (草稿 → 已提交 → 已审批 → 已发货 → 已送达 → 已完成, 已取消, 已退货)."""

from __future__ import annotations

from typing import Any

from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register
from app.orders.fields import InvoiceType, StockState
from app.orders.models import Order

ORDERS_READ = "orders:read"
ORDERS_EDIT = "orders:edit"
# Approves what a salesperson may not: a discount over 10 % or a total over ¥50,000 (guards below).
ORDERS_APPROVE = "orders:approve"

MODULE = register_module(
    "orders",
    N_("Orders"),
    ("read", "create", "edit", "delete", "approve"),
    {"edit": N_("Edit orders and record payments"), "approve": N_("Approve large or discounted orders")},
)

# Approval rules every tenant starts with; the workflow editor changes them.
APPROVAL_TOTAL = 50000
APPROVAL_DISCOUNT = 10

# (key, zh-CN label, English label, category), in order.
STAGES = (
    ("draft", "草稿", "Draft", "open"),
    ("submitted", "已提交", "Submitted", "open"),
    ("approved", "已审批", "Approved", "open"),
    ("shipped", "已发货", "Shipped", "open"),
    ("delivered", "已送达", "Delivered", "open"),
    ("completed", "已完成", "Completed", "done"),
    ("cancelled", "已取消", "Cancelled", "cancelled"),
    ("returned", "已退货", "Returned", "cancelled"),
)
MOVES = (
    ("draft", "submitted"),
    ("draft", "cancelled"),
    ("submitted", "draft"),  # sent back for changes
    ("submitted", "approved"),
    ("submitted", "cancelled"),
    ("approved", "shipped"),
    ("approved", "cancelled"),
    ("shipped", "delivered"),
    ("shipped", "returned"),
    ("delivered", "completed"),
    ("delivered", "returned"),
    ("completed", "returned"),
)


def approval_guards() -> list[dict[str, Any]]:
    needs_manager = {"kind": "role", "permission": ORDERS_APPROVE}
    return [
        {**needs_manager, "when": {"field": "max_discount", "op": ">", "value": APPROVAL_DISCOUNT}},
        {**needs_manager, "when": {"field": "total", "op": ">", "value": APPROVAL_TOTAL}},
    ]


# What entering a stage does to the order's stock (entry actions registered by app.orders.stock).
STOCK_ACTIONS = {
    "approved": "stock.reserve",
    "shipped": "stock.issue",
    "cancelled": "stock.release",
    "returned": "stock.return",
}


# Re-rate the customer's tier when an order completes or comes back (registered by app.tiers.actions).
TIER_ACTION_CATEGORIES = ("done", "cancelled")


def _entry_actions(key: str, category: str) -> list[dict[str, str]]:
    actions = [{"kind": STOCK_ACTIONS[key]}] if key in STOCK_ACTIONS else []
    return actions + ([{"kind": "tier.recompute"}] if category in TIER_ACTION_CATEGORIES else [])


def default_order_workflow() -> dict[str, Any]:
    """The order workflow as a definition document; approval guarded by ``approval_guards``, the
    stock moving with the stages through their entry actions (``STOCK_ACTIONS``)."""
    return {
        "states": [
            {
                "key": key,
                "label": {"zh_CN": zh, "en": en},
                "category": category,
                "position": i,
                **({"on_enter": _entry_actions(key, category)} if _entry_actions(key, category) else {}),
            }
            for i, (key, zh, en, category) in enumerate(STAGES)
        ],
        "transitions": [
            {"from": a, "to": b, **({"guards": approval_guards()} if b == "approved" else {})}
            for a, b in MOVES
        ],
    }


ORDER = register(
    EntitySpec(
        key="order",
        # Not "Order": that msgid is also the position and sort-direction columns (顺序).
        label=N_("Sales order"),
        plural=N_("Orders"),
        module="orders",
        model=Order,
        fields={
            "number": N_("Order number"),
            "customer_id": N_("Customer"),
            "warehouse_id": N_("Ships from"),
            "status": N_("Order status"),
            "lines": N_("Order lines"),
            "total": N_("Order total"),
            "max_discount": N_("Largest discount (%)"),
            "paid": N_("Paid"),
            "stock": N_("Stock"),
            "invoice_type": N_("Invoice type"),
            "invoice_title": N_("Invoice title"),
            "invoice_tax_no": N_("Taxpayer ID"),
            "note": N_("Note"),
            "owner_id": N_("Salesperson"),
        },
        choices={"invoice_type": InvoiceType, "stock": StockState},
        errors={
            "unknown_customer": N_("Choose a customer you can see."),
            "unknown_product": N_("Choose a product from the catalog."),
            "unknown_warehouse": N_("Choose a warehouse from the list."),
            "unknown_address": N_("Choose one of the customer's addresses."),
            "no_lines": N_("An order needs at least one product line."),
            "no_price": N_("This product has no list price; enter a unit price."),
            "negative_total": N_("Trade-ins cannot exceed what the order sells."),
            "not_editable": N_("Only a draft order's lines and customer can change."),
            "invoice_details": N_("An invoice needs its title and the taxpayer ID."),
            "insufficient_stock": N_("Not enough stock available."),
            "serial_not_in_stock": N_("This serial number is not in stock in this warehouse."),
            "overpayment": N_("More than the order still owes; mark it as an overpayment to accept it."),
            "nothing_owed": N_("This order cannot take payments in its current stage."),
        },
        actions={"payment": N_("Record a payment"), "plan": N_("Set the payment plan")},
        page="/orders/{id}",
        nav=NavItem("orders", N_("Orders"), "/orders", ORDERS_READ, order=25),
        customizable=True,
        workflow_field="status",
        default_workflow=default_order_workflow,
        title=lambda o: o.number,
    )
)

# Orders on their customer's timeline (registered once the declaration exists).
# The stock entry actions the default workflow names (registered once the declaration exists).
from app.orders import stock as _stock  # noqa: E402,F401
from app.orders import timeline as _timeline  # noqa: E402,F401
