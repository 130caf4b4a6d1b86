"""Isolation cases of the catalog and the stock ledger.

B holds a product and a warehouse named with the marker, and one serial-numbered unit of it in
stock; nothing A does with B's ids reads them or moves B's stock (A's ids name no record in B,
and B's name none in A: an attack is an unknown product or warehouse)."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.models import Product
from app.catalog.service import ProductService
from app.inventory.models import StockLevel, StockMovement
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService

MARKER_SERIAL = f"SN{MARKER_MOBILE}"

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    # A's own pages: B's marker product, warehouse and serial number never appear.
    ("GET", "/inventory"): RouteCase(TENANT),
    ("GET", "/inventory/receive"): RouteCase(TENANT),
    ("GET", "/inventory/serials"): RouteCase(TENANT),
    ("GET", "/inventory/replenishment"): RouteCase(TENANT),
    ("GET", "/catalog/products"): RouteCase(TENANT),
    # B's product by id reads as absent; receiving into B's warehouse names no warehouse of A's.
    ("GET", "/catalog/products/{product_id:uuid}"): RouteCase(TENANT),
    ("POST", "/inventory/receive"): RouteCase(TENANT, {"quantity": "1", "serial_numbers": "X1"}),
}


def _move(field: str, input_type: str, body: str) -> GraphQLCase:
    return (
        f"mutation($p: ID!, $w: ID!) {{ {field}(input: {{productId: $p, {body}}}) "
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"p": w.extra["product_id"], "w": w.extra["warehouse_id"]},
    )


GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "products": (
        "query($q: String) { products(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { name sku } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "product": (
        "query($id: ID!) { product(id: $id) { __typename ... on Product { name } } }",
        lambda w: {"id": w.extra["product_id"]},
    ),
    "productCategories": ("{ productCategories { name } }", lambda w: {}),
    "brands": ("{ brands { name } }", lambda w: {}),
    "warehouses": ("{ warehouses { name code } }", lambda w: {}),
    "stockLevels": (
        "query($w: ID!) { stockLevels(first: 100, filter: {warehouseId: $w}) "
        "{ nodes { onHand product { name } warehouse { name } } } }",
        lambda w: {"w": w.extra["warehouse_id"]},
    ),
    "stockMovements": (
        "query($p: ID!) { stockMovements(first: 100, filter: {productId: $p}) "
        "{ nodes { serialNumber product { name } } } }",
        lambda w: {"p": w.extra["product_id"]},
    ),
    "serialUnits": (
        "query($s: String!) { serialUnits(serialNumber: $s) { serialNumber product { name } } }",
        lambda w: {"s": MARKER_SERIAL},
    ),
    "replenishmentSuggestions": (
        "query($w: ID) { replenishmentSuggestions(warehouseId: $w) { product { name } } }",
        lambda w: {"w": w.extra["warehouse_id"]},
    ),
    "createProduct": (
        'mutation { createProduct(input: {sku: "A-1", name: "甲方商品"}) { __typename } }',
        lambda w: {},
    ),
    "updateProduct": (
        'mutation($id: ID!) { updateProduct(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["product_id"]},
    ),
    "createWarehouse": (
        'mutation { createWarehouse(input: {code: "A1", name: "甲方仓库", kind: SHOP}) { __typename } }',
        lambda w: {},
    ),
    "receiveStock": _move(
        "receiveStock", "ReceiveStockInput", 'warehouseId: $w, quantity: 1, serialNumbers: ["X"]'
    ),
    "issueStock": _move(
        "issueStock", "IssueStockInput", f'warehouseId: $w, quantity: 1, serialNumbers: ["{MARKER_SERIAL}"]'
    ),
    "transferStock": _move(
        "transferStock",
        "TransferStockInput",
        f'fromWarehouseId: $w, toWarehouseId: $w, quantity: 1, serialNumbers: ["{MARKER_SERIAL}"]',
    ),
    "returnStock": _move(
        "returnStock", "ReturnStockInput", 'warehouseId: $w, quantity: 1, serialNumbers: ["X"]'
    ),
    "adjustStock": _move(
        "adjustStock",
        "AdjustStockInput",
        f'warehouseId: $w, change: -1, serialNumbers: ["{MARKER_SERIAL}"], reason: "x"',
    ),
    "reserveStock": _move("reserveStock", "ReserveStockInput", "warehouseId: $w, quantity: 1"),
    "releaseStock": _move("releaseStock", "ReserveStockInput", "warehouseId: $w, quantity: 1"),
    "setStockThresholds": _move(
        "setStockThresholds", "SetStockThresholdsInput", "warehouseId: $w, lowStockThreshold: 9"
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    product = await ProductService(session, b_owner).create(
        {"sku": f"B-{MARKER_MOBILE}", "name": MARKER_NAME, "serial_tracked": True}
    )
    warehouse = await WarehouseService(session, b_owner).create(
        {"code": f"B{MARKER_MOBILE}", "name": MARKER_NAME, "kind": "central"}
    )
    product_id, warehouse_id = str(product.id), str(warehouse.id)
    await StockService(session, b_owner).receive(
        product_id=product_id, warehouse_id=warehouse_id, quantity=1, serials=[MARKER_SERIAL]
    )
    return {"product_id": product_id, "warehouse_id": warehouse_id}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    product = await session.get(Product, uuid.UUID(world.extra["product_id"]))
    if product is None or product.version != 1 or product.name != MARKER_NAME:
        problems.append("B's product changed")
    level = await session.get(
        StockLevel, (uuid.UUID(world.extra["product_id"]), uuid.UUID(world.extra["warehouse_id"]))
    )
    if level is None or (level.on_hand, level.reserved, level.low_stock_threshold) != (1, 0, None):
        problems.append("B's stock level changed")
    if await session.scalar(select(func.count()).select_from(StockMovement)) != 1:
        problems.append("B's stock ledger changed")
    return problems
