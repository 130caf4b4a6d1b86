"""Two people issue the last unit at the same moment, on their own connections: one wins, the other
is told there is not enough stock, and the level never goes below zero."""

from __future__ import annotations

import asyncio

from crm_testkit import TenantKit
from litestar import Litestar
from stock_world import level, open_shop, stock

from app.domain import ValidationFailed
from app.inventory import reports


async def _race(calls: list) -> tuple[int, list[str]]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r.errors[0].code for r in results if isinstance(r, ValidationFailed)]
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, ValidationFailed)]
    assert not unexpected, unexpected
    return len(results) - len(refused), refused


async def test_two_issues_of_the_last_unit_one_wins(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=1)
    await clerk.session.close()
    a, b = await stock(app, tenant, "service"), await stock(app, tenant, "technician")
    won, refused = await _race(
        [s.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=1) for s in (a, b)]
    )
    assert (won, refused) == (1, ["insufficient_stock"])
    assert await level(app, tenant, shop.filters, shop.shop) == (0, 0)
    for s in (a, b):
        await s.session.close()


async def test_twenty_clerks_racing_for_five_units_sell_exactly_five(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=5)
    await clerk.session.close()
    clerks = [await stock(app, tenant, "service") for _ in range(20)]
    won, refused = await _race(
        [s.reserve(product_id=shop.filters, warehouse_id=shop.shop, quantity=1) for s in clerks]
    )
    assert (won, len(refused)) == (5, 15)
    assert await level(app, tenant, shop.filters, shop.shop) == (5, 5)
    for s in clerks:
        await s.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []


async def test_the_same_serial_number_shipped_twice_at_once_is_shipped_once(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.fridge, warehouse_id=shop.shop, quantity=2, serials=["S1", "S2"])
    await clerk.session.close()
    a, b = await stock(app, tenant, "service"), await stock(app, tenant, "manager_a")
    won, refused = await _race(
        [s.issue(product_id=shop.fridge, warehouse_id=shop.shop, quantity=1, serials=["S1"]) for s in (a, b)]
    )
    assert (won, refused) == (1, ["serial_not_in_stock"])
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 0)
    for s in (a, b):
        await s.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []


async def test_transfers_both_ways_between_two_warehouses_at_once_all_go_through(
    app: Litestar, tenant: TenantKit
) -> None:
    """Shop → central and central → shop at the same moment, many times: each locks both stock levels,
    and in one order, so none is aborted as a deadlock and the levels end where they began."""
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    for warehouse in (shop.shop, shop.central):
        await clerk.receive(product_id=shop.filters, warehouse_id=warehouse, quantity=50)
    await clerk.session.close()
    pairs = [
        (await stock(app, tenant, "manager_a"), await stock(app, tenant, "manager_a")) for _ in range(10)
    ]
    won, refused = await _race(
        [
            call
            for there, back in pairs
            for call in (
                there.transfer(
                    product_id=shop.filters,
                    from_warehouse_id=shop.shop,
                    to_warehouse_id=shop.central,
                    quantity=1,
                ),
                back.transfer(
                    product_id=shop.filters,
                    from_warehouse_id=shop.central,
                    to_warehouse_id=shop.shop,
                    quantity=1,
                ),
            )
        ]
    )
    assert (won, refused) == (20, [])
    assert await level(app, tenant, shop.filters, shop.shop) == (50, 0)
    assert await level(app, tenant, shop.filters, shop.central) == (50, 0)
    for there, back in pairs:
        await there.session.close()
        await back.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []
