"""Units: what a customer owns, registered when a delivery is done (one per serial number, exactly
once) or by hand from the customer page, with its warranty from the product or its category."""

from __future__ import annotations

import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import TenantKit, actor, logged_in
from entity_cases import KitEntityCases
from graphql_helpers import api_client
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.deliveries.service import BookingService, today
from app.domain import ValidationFailed
from app.orders.service import OrderService
from app.timeline import service as timeline
from app.units.models import Unit
from app.units.service import UnitService, months_after, register_delivered

# The fulfilment stories' dealer (tests/fulfilment/fulfilment_world.py): a shop with serial fridges.
sys.path.insert(0, str(Path(__file__).parent.parent / "fulfilment"))
from fulfilment_world import Dealer, approved_order, open_dealer  # noqa: E402

_mobiles = iter(range(13700000000, 13799999999))


async def _customer(app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        made = await CustomerService(session, await actor(app, kit, who)).create(
            {"name": "钱芳", "mobile": str(next(_mobiles))}
        )
        return made.id


async def _product(app: Litestar, kit: TenantKit, **fields: Any) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        made = await ProductService(session, await actor(app, kit, "manager_a")).create(
            {"sku": f"MD-{uuid.uuid4().hex[:6]}", "name": "美的空调", **fields}
        )
        return made.id


async def _deliver(app: Litestar, dealer: Dealer, order_id: uuid.UUID, kind: str = "both") -> uuid.UUID:
    """The order shipped, a visit booked and done by 孙强 (technician)."""
    sales = await actor(app, dealer.kit, "sales_a")
    async with app.state.db.tenant_session(dealer.kit.schema) as session:
        orders = OrderService(session, sales)
        order = await orders.get(order_id)
        await orders.transition(order.id, "shipped", order.version)
        booked = await BookingService(session, sales).book(
            {
                "order_id": order_id,
                "kind": kind,
                "scheduled_on": (today() + timedelta(days=1)).isoformat(),
                "slot": "morning",
                "team_id": dealer.team,
                "technician_ids": [dealer.kit.people["technician"]],
            }
        )
    async with app.state.db.tenant_session(dealer.kit.schema) as session:
        mine = BookingService(session, await actor(app, dealer.kit, "technician"))
        job = await mine.set_status(booked.id, booked.version, "on_the_way")
        await mine.set_status(job.id, job.version, "done")
    return booked.id


async def _units(app: Litestar, kit: TenantKit, customer_id: uuid.UUID) -> list[Unit]:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await UnitService(session, await actor(app, kit, "sales_a")).for_parent(customer_id)


async def test_a_done_delivery_registers_each_serial_once(app: Litestar, tenant: TenantKit) -> None:
    """赵敏's fridge HR001 is delivered and installed: it becomes her unit, bought on the order's day,
    delivered and installed today at the visit's address, under the category's 三包 baseline (the
    fridge has no months of its own: 12 by default)."""
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    await _deliver(app, dealer, order_id)
    [unit] = await _units(app, tenant, dealer.customer)
    local_today = today()
    assert (unit.serial_number, unit.product_id, unit.order_id) == ("HR001", dealer.fridge, order_id)
    assert (unit.status, unit.delivered_on, unit.installed_on) == ("in_use", local_today, local_today)
    assert unit.installation_address and unit.installation_address.startswith("浙江省杭州市西湖区文三路")
    assert unit.bought_on == local_today
    # No category, no months of its own: no warranty end is invented.
    assert unit.warranty_ends_on is None
    # The completion retried (a worker died after the commit): nothing more is registered.
    async with app.state.db.tenant_session(tenant.schema) as session:
        again = await register_delivered(
            session,
            await actor(app, tenant, "technician"),
            order_id=order_id,
            kind="both",
            done_on=local_today,
            address="elsewhere",
        )
        await session.commit()
        assert again == []
        assert await session.scalar(select(func.count()).select_from(Unit)) == 1
    # The registration is on her timeline, by the technician on the system's behalf.
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await timeline.customer_timeline(
            session, await actor(app, tenant, "sales_a"), dealer.customer, kinds_wanted=["unit"]
        )
        assert [e.data["action"] for e in page.items] == ["register"]
        assert page.items[0].actor_id == tenant.people["technician"]


async def test_the_warranty_comes_from_the_product_months(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR002"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        products = ProductService(session, await actor(app, tenant, "manager_a"))
        fridge = await products.get(dealer.fridge)
        await products.update(fridge.id, fridge.version, {"warranty_months": 36})
    order_id = await approved_order(app, dealer)
    await _deliver(app, dealer, order_id, kind="delivery")
    [unit] = await _units(app, tenant, dealer.customer)
    assert unit.warranty_ends_on == months_after(unit.bought_on, 36)
    # A delivery without installation leaves the installation date empty.
    assert unit.installed_on is None and unit.delivered_on == today()


def test_months_after_keeps_to_the_month() -> None:
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert months_after(date(2026, 11, 28), 36) == date(2029, 11, 28)


class TestUnitEntity(KitEntityCases):
    """Registered by hand from the customer page: what every kit entity owes."""

    service = UnitService
    valid_input = {"bought_on": "2025-06-01", "installation_address": "杭州市西湖区文三路 88 号"}
    update_input = {"installation_address": "杭州市上城区解放路 1 号", "status": "replaced"}
    bad_inputs = [
        ({"bought_on": ""}, {("bought_on", "required")}),
        ({"bought_on": "2025-13-01"}, {("bought_on", "invalid_date")}),
        ({"product_id": str(uuid.uuid4())}, {("product_id", "unknown_product")}),
        ({"product_id": "nope"}, {("product_id", "invalid_id")}),
        ({"customer_id": str(uuid.uuid4())}, {("customer_id", "unknown_customer")}),
        ({"status": "lost"}, {("status", "invalid_choice")}),
        ({"delivered_on": "2025-05-01"}, {("delivered_on", "before_purchase")}),
        ({"order_id": str(uuid.uuid4())}, {("order_id", "unknown_order")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        return {
            "customer_id": await _customer(app, kit, self.writer),
            "product_id": await _product(app, kit, warranty_months=24),
        }


async def test_by_hand_the_warranty_is_filled_and_a_serial_in_use_is_refused(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant, "sales_a")
    product = await _product(app, tenant, warranty_months=24, serial_tracked=True)
    async with app.state.db.tenant_session(tenant.schema) as session:
        units = UnitService(session, await actor(app, tenant, "sales_a"))
        mine = {"customer_id": customer, "product_id": product, "serial_number": "MD-9"}
        unit = await units.create({**mine, "bought_on": "2025-01-31"})
        assert unit.warranty_ends_on == date(2027, 1, 31)
        first_id, first_version = unit.id, unit.version
        with pytest.raises(ValidationFailed) as caught:
            await units.create({**mine, "bought_on": "2025-02-01"})
        assert [(e.field, e.code) for e in caught.value.errors] == [("serial_number", "serial_in_use")]
        # Once the first is scrapped, the serial number may be registered again (a refurbished unit).
        await units.update(first_id, first_version, {"status": "scrapped"})
        again = await units.create({**mine, "bought_on": "2025-03-01"})
        assert [u.id for u in await units.by_serial("MD-9")] == [again.id, first_id]


async def test_the_customer_page_shows_the_units_section(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR003"])
    order_id = await approved_order(app, dealer)
    await _deliver(app, dealer, order_id)
    client = await logged_in(app, tenant, "sales_a")
    page = await client.get(f"/customers/{dealer.customer}")
    assert f"/customers/{dealer.customer}/units" in page.text
    section = await client.get(f"/customers/{dealer.customer}/units")
    assert section.status_code == 200 and "HR003" in section.text
    # Another team's salesperson does not see 张伟's customer's units.
    other = await logged_in(app, tenant, "sales_b")
    assert (await other.get(f"/customers/{dealer.customer}/units")).status_code == 404


async def test_the_api_finds_a_unit_by_serial_in_the_callers_scope(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR004"])
    order_id = await approved_order(app, dealer)
    await _deliver(app, dealer, order_id)
    lookup = (
        "query($s: String!) { unitBySerial(serial: $s) { serialNumber status customerId warrantyEndsOn } }"
    )
    mine = await api_client(app, tenant, "sales_a")
    found = await mine.gql(lookup, {"s": "HR004"})
    assert found["data"]["unitBySerial"] == [
        {
            "serialNumber": "HR004",
            "status": "IN_USE",
            "customerId": str(dealer.customer),
            "warrantyEndsOn": None,
        }
    ]
    listed = await mine.gql(
        "query($c: ID!) { customerUnits(customerId: $c) { serialNumber } }", {"c": str(dealer.customer)}
    )
    assert listed["data"]["customerUnits"] == [{"serialNumber": "HR004"}]
    on_customer = await mine.gql(
        "query($c: ID!) { customer(id: $c) { ... on Customer { units { serialNumber status } } } }",
        {"c": str(dealer.customer)},
    )
    assert on_customer["data"]["customer"]["units"] == [{"serialNumber": "HR004", "status": "IN_USE"}]
    # Another team's salesperson cannot see 张伟's customer: nothing found, no hint.
    other = await api_client(app, tenant, "sales_b")
    assert (await other.gql(lookup, {"s": "HR004"}))["data"]["unitBySerial"] == []
    bad = await other.gql('query { customerUnits(customerId: "nope") { serialNumber } }', {})
    assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"
