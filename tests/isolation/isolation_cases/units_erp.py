"""Isolation cases of units, the ERP connector's settings and the webhook pages.

B has a unit of its secret customer (serial number the marker) and a switched-on ERP connector
whose base URL names the marker; A's admin pages and API never show, change or replay B's (the
webhook endpoint and delivery are the fulfilment seed's: ``endpoint_id``, ``delivery_id``)."""

from __future__ import annotations

from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.catalog.service import ProductService
from app.erp.models import ErpConnector, WebhookEndpoint
from app.units.models import Unit
from app.units.service import UnitService

_HOOK = "/settings/webhooks/{endpoint_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/settings/webhooks"): RouteCase(TENANT),
    ("POST", "/settings/webhooks"): RouteCase(TENANT, {"name": "x", "url": "ftp://x"}),
    ("GET", _HOOK): RouteCase(TENANT),
    ("POST", _HOOK): RouteCase(TENANT, {"name": "被篡改", "url": "https://8.8.4.4/x", "version": "1"}),
    ("POST", f"{_HOOK}/disable"): RouteCase(TENANT),
    ("POST", f"{_HOOK}/deliveries/{{delivery_id:int}}/replay"): RouteCase(TENANT),
    ("GET", "/settings/erp"): RouteCase(TENANT),
    ("POST", "/settings/erp"): RouteCase(TENANT, {"enabled": "", "base_url": ""}),
    ("POST", "/settings/erp/sync"): RouteCase(TENANT),
    # The units section on B's customer (kit child routes): every route reads as absent.
    **{
        (method, f"/customers/{{customer_id:uuid}}/units{tail}"): RouteCase(
            TENANT, {"installation_address": "被篡改", "status": "scrapped", "version": "1"}
        )
        for method, tail in (
            ("GET", ""),
            ("GET", "/new"),
            ("POST", ""),
            ("GET", "/{unit_id:uuid}/edit"),
            ("POST", "/{unit_id:uuid}"),
            ("POST", "/{unit_id:uuid}/delete"),
            ("POST", "/{unit_id:uuid}/restore"),
        )
    },
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "unitBySerial": (
        "query($s: String!) { unitBySerial(serial: $s) { serialNumber installationAddress } }",
        lambda w: {"s": w.extra["unit_serial"]},
    ),
    "customerUnits": (
        "query($c: ID!) { customerUnits(customerId: $c) { serialNumber installationAddress } }",
        lambda w: {"c": str(w.b_customer)},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    product = await ProductService(session, b_owner).create(
        {"sku": f"BU-{MARKER_MOBILE}", "name": MARKER_NAME, "serial_tracked": True, "warranty_months": 12}
    )
    unit = await UnitService(session, b_owner).create(
        {
            "customer_id": world.b_customer,
            "product_id": product.id,
            "serial_number": f"SN{MARKER_MOBILE}",
            "bought_on": "2025-06-01",
            "installation_address": MARKER_NAME,
        }
    )
    session.add(
        ErpConnector(
            id=1,
            enabled=True,
            mode="http",
            base_url=f"https://erp-{MARKER_MOBILE}.example.com",
            product_mapping={},
            stock_mapping={},
        )
    )
    await session.commit()
    return {"unit_id": str(unit.id), "unit_serial": f"SN{MARKER_MOBILE}"}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    unit = await session.scalar(select(Unit).where(Unit.serial_number == world.extra["unit_serial"]))
    if unit is None or (unit.version, unit.status) != (1, "in_use"):
        problems.append("B's unit changed")
    connector = await session.get(ErpConnector, 1)
    if connector is None or not connector.enabled or MARKER_MOBILE not in (connector.base_url or ""):
        problems.append("B's ERP connector changed")
    endpoints = (await session.scalars(select(WebhookEndpoint))).all()
    if [e.name for e in endpoints] != [MARKER_NAME]:
        problems.append("B's webhook endpoints changed")
    return problems
