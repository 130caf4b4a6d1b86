"""Isolation cases of orders and payments (回款).

B holds a draft order for its secret customer, its invoice titled with the marker, with one payment
on it; nothing A does with B's ids reads the order, moves it, pays it or plans it (B's ids name no
record in A: an attack is an unknown order, customer or warehouse)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.service import ProductService
from app.inventory.service import WarehouseService
from app.orders.models import Order, Payment
from app.orders.payments import PaymentService
from app.orders.service import OrderService

_ORDER_PAGE = "/orders/{order_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/orders"): RouteCase(TENANT),
    ("GET", _ORDER_PAGE): RouteCase(TENANT),
    ("POST", f"{_ORDER_PAGE}/move"): RouteCase(TENANT, {"to": "cancelled", "version": "2"}),
    ("POST", f"{_ORDER_PAGE}/payments"): RouteCase(TENANT, {"amount": "1", "method": "cash"}),
}

_ORDER = "query($id: ID!) { order(id: $id) { __typename ... on Order { number invoiceTitle note } } }"

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "orders": (
        "query($q: String) { orders(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { number invoiceTitle note } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "order": (_ORDER, lambda w: {"id": w.extra["order_id"]}),
    "orderPayments": (
        "query($id: ID!) { orderPayments(orderId: $id) { __typename "
        "... on OrderPayments { payments { reference amount } } } }",
        lambda w: {"id": w.extra["order_id"]},
    ),
    "receivables": ("{ receivables { customerName balance } }", lambda w: {}),
    "createOrder": (
        "mutation($c: ID!, $w: ID!, $p: ID!) { createOrder(input: {customerId: $c, warehouseId: $w, "
        "lines: [{productId: $p, quantity: 1}]}) { __typename ... on ValidationError { fields { code } } } }",
        lambda w: {
            "c": str(w.b_customer),
            "w": w.extra["order_warehouse_id"],
            "p": w.extra["order_product_id"],
        },
    ),
    "updateOrder": (
        'mutation($id: ID!) { updateOrder(input: {id: $id, version: 1, note: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["order_id"]},
    ),
    "transitionOrder": (
        'mutation($id: ID!) { transitionOrder(id: $id, to: "cancelled", version: 1) { __typename } }',
        lambda w: {"id": w.extra["order_id"]},
    ),
    "recordPayment": (
        'mutation($id: ID!) { recordPayment(input: {orderId: $id, amount: "1", method: CASH}) '
        "{ __typename } }",
        lambda w: {"id": w.extra["order_id"]},
    ),
    "setPaymentPlan": (
        "mutation($id: ID!) { setPaymentPlan(input: {orderId: $id, version: 2, "
        'lines: [{kind: DEPOSIT, dueOn: "2026-12-01", amount: "1"}]}) { __typename } }',
        lambda w: {"id": w.extra["order_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    product = await ProductService(session, b_owner).create(
        {"sku": f"BO-{MARKER_MOBILE}", "name": MARKER_NAME, "list_price": "8888"}
    )
    warehouse = await WarehouseService(session, b_owner).create(
        {"code": f"BO{MARKER_MOBILE}", "name": MARKER_NAME, "kind": "shop"}
    )
    order = await OrderService(session, b_owner).create(
        {
            "customer_id": world.b_customer,
            "warehouse_id": warehouse.id,
            "lines": [{"product_id": product.id, "quantity": 1}],
            "invoice_type": "normal",
            "invoice_title": MARKER_NAME,
            "note": MARKER_NAME,
        }
    )
    await PaymentService(session, b_owner).record_payment(
        order.id, {"amount": "100", "method": "wechat", "reference": MARKER_MOBILE}
    )
    return {
        "order_id": str(order.id),
        "order_product_id": str(product.id),
        "order_warehouse_id": str(warehouse.id),
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    order = await session.get(Order, uuid.UUID(world.extra["order_id"]))
    if order is None or (order.version, order.status, order.paid, order.note) != (
        2,
        "draft",
        Decimal("100.00"),
        MARKER_NAME,
    ):
        problems.append("B's order changed")
    if await session.scalar(select(func.count()).select_from(Payment)) != 1:
        problems.append("B's payments changed")
    return problems
