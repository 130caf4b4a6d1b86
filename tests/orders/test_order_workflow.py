"""An order's way through the workflow, with the stock moving along: approval reserves, shipping
issues (choosing serial numbers), cancelling releases, a return brings the goods back. Large or
discounted orders need a manager's approval (the workflow's guards)."""

from __future__ import annotations

import asyncio

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from order_world import codes, fridge_order, level, open_shop, orders

from app.domain import ValidationFailed
from app.inventory import reports
from app.workflows.errors import GuardFailed


async def test_a_fridge_is_approved_shipped_and_returned_with_its_serial_number(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001", "HR002"])
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop))
    order_id = order.id
    order = await sales.transition(order_id, "submitted", order.version)
    # A plain order at list price: the salesperson approves it himself, and one fridge is promised.
    order = await sales.transition(order_id, "approved", order.version)
    assert (order.status, order.stock) == ("approved", "reserved")
    assert await level(app, tenant, shop.fridge, shop.shop) == (2, 1)
    order = await sales.transition(order_id, "shipped", order.version)
    [line] = (await sales.lines([order_id]))[order_id]
    # The oldest unit in the shop goes out, and the line remembers which.
    assert (order.stock, line.serial_numbers) == ("shipped", ["HR001"])
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 0)
    order = await sales.transition(order_id, "delivered", order.version)
    order = await sales.transition(order_id, "returned", order.version, note="门板划伤，客户退货")
    assert order.stock == "returned"
    assert await level(app, tenant, shop.fridge, shop.shop) == (2, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        [unit] = await reports.serial_units(session, sales.actor, "HR001")
        assert [r.line.kind for r in unit.history] == ["receive", "ship", "return"]
        assert {r.line.source_id for r in unit.history[1:]} == {order.number}
        assert await reports.check_levels(session) == []
    await sales.session.close()


async def test_shipping_takes_the_serial_numbers_given(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001", "HR002"])
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop))
    order_id = order.id
    for stage in ("submitted", "approved"):
        order = await sales.transition(order_id, stage, order.version)
    [line] = (await sales.lines([order_id]))[order_id]
    line_id, version = line.id, order.version
    with pytest.raises(ValidationFailed) as caught:
        await sales.transition(order_id, "shipped", version, serials={line_id: ["NOPE"]})
    # Refused on the line; the order is still approved and the fridge still reserved.
    assert codes(caught.value) == [("lines.0.serial_numbers.0", "serial_not_in_stock")]
    assert (await sales.get(order_id)).status == "approved"
    assert await level(app, tenant, shop.fridge, shop.shop) == (2, 1)
    order = await sales.transition(order_id, "shipped", version, serials={line_id: ["HR002"]})
    [line] = (await sales.lines([order_id]))[order_id]
    assert line.serial_numbers == ["HR002"]
    await sales.session.close()


async def test_cancelling_an_approved_order_releases_its_stock(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, filters=10)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.filters, "quantity": 4}]))
    order_id = order.id
    for stage in ("submitted", "approved"):
        order = await sales.transition(order_id, stage, order.version)
    assert await level(app, tenant, shop.filters, shop.shop) == (10, 4)
    order = await sales.transition(order_id, "cancelled", order.version)
    assert (order.stock, await level(app, tenant, shop.filters, shop.shop)) == ("none", (10, 0))
    await sales.session.close()


async def test_a_big_discount_or_a_big_total_needs_a_manager(app: Litestar, tenant: TenantKit) -> None:
    """张伟 gives 15 % off, then sells ten fridges (¥59,990): 刘洋 must approve both."""
    shop = await open_shop(app, tenant, fridges=[f"HR{i:03}" for i in range(12)])
    sales = await orders(app, tenant, "sales_a")
    manager = await orders(app, tenant, "manager_a")
    for lines in (
        [{"product_id": shop.fridge, "quantity": 1, "discount": "15"}],
        [{"product_id": shop.fridge, "quantity": 10}],
    ):
        order = await sales.create(fridge_order(shop, lines=lines))
        order_id = order.id
        order = await sales.transition(order_id, "submitted", order.version)
        version = order.version
        with pytest.raises(GuardFailed) as refused:
            await sales.transition(order_id, "approved", version)
        assert [f.permission for f in refused.value.failures] == ["orders:approve"]
        assert (await sales.get(order_id)).stock == "none"
        order = await manager.transition(order_id, "approved", version)
        assert (order.status, order.stock) == ("approved", "reserved")
    assert await level(app, tenant, shop.fridge, shop.shop) == (12, 11)
    # Exactly at the line (10 %) the salesperson approves himself.
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.fridge, "discount": "10"}]))
    order_id = order.id
    for stage in ("submitted", "approved"):
        order = await sales.transition(order_id, stage, order.version)
    assert order.stock == "reserved"
    await sales.session.close()
    await manager.session.close()


async def test_approving_more_than_is_in_stock_is_refused_and_changes_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, filters=3)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(
        fridge_order(
            shop,
            lines=[{"product_id": shop.filters, "quantity": 2}, {"product_id": shop.fridge, "quantity": 1}],
        )
    )
    order_id = order.id
    order = await sales.transition(order_id, "submitted", order.version)
    with pytest.raises(ValidationFailed) as caught:
        await sales.transition(order_id, "approved", order.version)
    # The fridge line has no stock: the whole move rolls back, the filters' reservation included.
    assert codes(caught.value) == [("lines.1.quantity", "insufficient_stock")]
    assert (await sales.get(order_id)).status == "submitted"
    assert await level(app, tenant, shop.filters, shop.shop) == (3, 0)
    await sales.session.close()


async def test_two_approvals_racing_for_the_last_fridge_reserve_it_once(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 and 王芳 each sold the shop's last fridge; 刘洋 and 陈静... approve both at the same moment
    on their own connections: one order gets the fridge, the other is told there is not enough."""
    shop = await open_shop(app, tenant, fridges=["LAST1"])
    manager = await orders(app, tenant, "manager_a")
    submitted = []
    for _ in range(2):
        order = await manager.create(fridge_order(shop))
        order = await manager.transition(order.id, "submitted", order.version)
        submitted.append((order.id, order.version))
    await manager.session.close()
    approvers = [await orders(app, tenant, "manager_a") for _ in submitted]
    results = await asyncio.gather(
        *[
            s.transition(order_id, "approved", version)
            for s, (order_id, version) in zip(approvers, submitted, strict=True)
        ],
        return_exceptions=True,
    )
    refused = [codes(r) for r in results if isinstance(r, ValidationFailed)]
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, ValidationFailed)]
    assert refused == [[("lines.0.quantity", "insufficient_stock")]]
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 1)
    for s in approvers:
        await s.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []
