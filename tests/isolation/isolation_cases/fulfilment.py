"""Isolation cases of stocktake, visits and webhooks.

B holds an approved order for its secret customer with a visit booked (its notes the marker), an
open count sheet of its marked warehouse, a webhook endpoint named with the marker and a delivery
in its log; nothing A does with B's ids reads, moves, counts, approves, replays or edits them (B's
ids name no record in A)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select, update

from app.accounts.models import Team, User
from app.catalog.service import ProductService
from app.deliveries.models import Booking
from app.deliveries.service import BookingService, today
from app.erp.models import WebhookDelivery, WebhookEndpoint
from app.erp.webhooks import WebhookEndpointService, relay
from app.inventory.service import WarehouseService
from app.orders.models import Order
from app.orders.service import OrderService
from app.stocktake.models import StockCount
from app.stocktake.service import StockCountService

_VISIT = "/deliveries/{booking_id:uuid}"
_SHEET = "/inventory/counts/{count_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/deliveries"): RouteCase(TENANT),
    ("GET", "/deliveries/my-day"): RouteCase(TENANT),
    ("GET", _VISIT): RouteCase(TENANT),
    ("POST", f"{_VISIT}/status"): RouteCase(TENANT, {"status": "cancelled", "version": "1"}),
    ("POST", f"{_VISIT}/notes"): RouteCase(TENANT, {"notes": "被篡改"}),
    ("POST", f"{_VISIT}/photos"): RouteCase(TENANT, {"photo": "x"}),
    ("GET", f"{_VISIT}/photos/{{index:int}}"): RouteCase(TENANT),
    ("GET", "/inventory/counts"): RouteCase(TENANT),
    ("POST", "/inventory/counts"): RouteCase(TENANT, {"warehouse_id": "b-warehouse"}),
    ("GET", _SHEET): RouteCase(TENANT),
    ("POST", f"{_SHEET}/scan"): RouteCase(TENANT, {"serial_numbers": "X"}),
    ("POST", f"{_SHEET}/count"): RouteCase(TENANT, {"product_id": "x", "quantity": "0"}),
    ("POST", f"{_SHEET}/approve"): RouteCase(TENANT, {"version": "1"}),
}

_COUNT = (
    "query($id: ID!) { stockCount(id: $id) "
    "{ __typename ... on StockCount { number note lines { expected } } } }"
)

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "stockCounts": ("{ stockCounts { number note } }", lambda w: {}),
    "stockCount": (_COUNT, lambda w: {"id": w.extra["count_id"]}),
    "openStockCount": (
        "mutation($w: ID!) { openStockCount(input: {warehouseId: $w}) { __typename } }",
        lambda w: {"w": w.extra["count_warehouse_id"]},
    ),
    "countStock": (
        "mutation($c: ID!, $p: ID!) { countStock(input: {countId: $c, productId: $p, quantity: 0}) "
        "{ __typename } }",
        lambda w: {"c": w.extra["count_id"], "p": w.extra["count_product_id"]},
    ),
    "scanStockCount": (
        'mutation($c: ID!) { scanStockCount(input: {countId: $c, serialNumbers: ["X"]}) { __typename } }',
        lambda w: {"c": w.extra["count_id"]},
    ),
    "approveStockCount": (
        "mutation($c: ID!) { approveStockCount(id: $c, version: 1) { __typename } }",
        lambda w: {"c": w.extra["count_id"]},
    ),
    "bookings": ('{ bookings(from: "2020-01-01", to: "2020-01-31") { number notes address } }', lambda w: {}),
    "booking": (
        "query($id: ID!) { booking(id: $id) { __typename ... on Booking { number notes address } } }",
        lambda w: {"id": w.extra["booking_id"]},
    ),
    "bookDelivery": (
        "mutation($o: ID!, $t: ID!, $p: ID!, $d: Date!) { bookDelivery(input: {orderId: $o, scheduledOn: $d, "
        "slot: MORNING, teamId: $t, technicianIds: [$p]}) "
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {
            "o": w.extra["booking_order_id"],
            "t": w.extra["booking_team_id"],
            "p": str(w.b.people["technician"]),
            "d": (today() + timedelta(days=2)).isoformat(),
        },
    ),
    "rescheduleBooking": (
        "mutation($id: ID!, $d: Date!) { rescheduleBooking(input: {id: $id, version: 1, scheduledOn: $d, "
        "slot: EVENING}) { __typename } }",
        lambda w: {"id": w.extra["booking_id"], "d": (today() + timedelta(days=3)).isoformat()},
    ),
    "setBookingStatus": (
        "mutation($id: ID!) { setBookingStatus(input: {id: $id, version: 1, status: CANCELLED}) "
        "{ __typename } }",
        lambda w: {"id": w.extra["booking_id"]},
    ),
    "webhookEvents": ("{ webhookEvents { name } }", lambda w: {}),
    "webhookEndpoints": ("{ webhookEndpoints { name url } }", lambda w: {}),
    "webhookDeliveries": ("{ webhookDeliveries { id event } }", lambda w: {}),
    "createWebhookEndpoint": (
        'mutation { createWebhookEndpoint(input: {name: "x", url: "ftp://x", events: []}) { __typename } }',
        lambda w: {},
    ),
    "updateWebhookEndpoint": (
        'mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id, version: 1, active: false, name: "改"}) '
        "{ __typename } }",
        lambda w: {"id": w.extra["endpoint_id"]},
    ),
    "replayWebhookDelivery": (
        "mutation($id: ID!) { replayWebhookDelivery(id: $id) { __typename } }",
        lambda w: {"id": w.extra["delivery_id"]},
    ),
    "upsertProducts": (
        "mutation($e: String!) { upsertProducts(input: [{externalId: $e}]) { __typename "
        "... on UpsertPayload { rows { status } } } }",
        lambda w: {"e": w.extra["external_id"]},
    ),
    "upsertStockLevels": (
        "mutation($e: String!, $w: String!) { upsertStockLevels(input: [{productExternalId: $e, "
        "warehouseCode: $w, onHand: 0}]) { __typename ... on UpsertPayload { rows { status } } } }",
        lambda w: {"e": w.extra["external_id"], "w": w.extra["warehouse_code"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    code = f"BF{MARKER_MOBILE}"
    product = await ProductService(session, b_owner).create(
        {"sku": f"BF-{MARKER_MOBILE}", "name": MARKER_NAME, "list_price": "100"}
    )
    warehouse = await WarehouseService(session, b_owner).create(
        {"code": code, "name": MARKER_NAME, "kind": "shop"}
    )
    orders = OrderService(session, b_owner)
    order = await orders.create(
        {
            "customer_id": world.b_customer,
            "warehouse_id": warehouse.id,
            "lines": [{"product_id": product.id, "quantity": 1}],
        }
    )
    # Approved without touching the ledger (the catalog's case counts B's stock movements).
    await session.execute(update(Order).where(Order.id == order.id).values(status="approved"))
    await session.commit()
    team = Team(name=MARKER_NAME + "安装队")
    session.add(team)
    await session.flush()
    await session.execute(update(User).where(User.id == world.b.people["technician"]).values(team_id=team.id))
    await session.commit()
    visit = await BookingService(session, b_owner).book(
        {
            "order_id": order.id,
            "scheduled_on": today() + timedelta(days=1),
            "slot": "morning",
            "team_id": team.id,
            "technician_ids": [world.b.people["technician"]],
            "notes": MARKER_NAME,
        }
    )
    count = await StockCountService(session, b_owner).open(warehouse_id=warehouse.id, note=MARKER_NAME)
    hooks = WebhookEndpointService(session, b_owner)
    endpoint = await hooks.create(
        {"name": MARKER_NAME, "url": "https://8.8.8.8/hooks", "events": ["customer.created"]}
    )
    await relay(session)
    delivery_id = await session.scalar(select(WebhookDelivery.id).limit(1))
    assert delivery_id is not None, "B's customer.created event should have made a delivery"
    await session.execute(update(WebhookDelivery).values(status="failed"))
    await session.commit()
    return {
        "booking_id": str(visit.id),
        "booking_order_id": str(order.id),
        "booking_team_id": str(team.id),
        "count_id": str(count.id),
        "count_warehouse_id": str(warehouse.id),
        "count_product_id": str(product.id),
        "warehouse_code": code,
        "endpoint_id": str(endpoint.id),
        "delivery_id": str(delivery_id),
        "external_id": f"ERP-{MARKER_MOBILE}",
        "index": "0",
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    visit = await session.get(Booking, uuid.UUID(world.extra["booking_id"]))
    if visit is None or (visit.version, visit.status, visit.notes) != (1, "booked", MARKER_NAME):
        problems.append("B's visit changed")
    if len((await session.scalars(select(Booking.id))).all()) != 1:
        problems.append("B's visits changed")
    count = await session.get(StockCount, uuid.UUID(world.extra["count_id"]))
    if count is None or (count.version, count.status) != (1, "open"):
        problems.append("B's count sheet changed")
    endpoint = await session.get(WebhookEndpoint, uuid.UUID(world.extra["endpoint_id"]))
    if endpoint is None or (endpoint.version, endpoint.active, endpoint.name) != (1, True, MARKER_NAME):
        problems.append("B's webhook endpoint changed")
    delivery = await session.get(WebhookDelivery, int(world.extra["delivery_id"]))
    if delivery is None or delivery.status != "failed":
        problems.append("B's webhook delivery changed")
    return problems
