"""The stock ledger as the shop lives it: every change a movement, levels that are the ledger's sums,
serial-numbered units in one place at a time, refusals that leave nothing half-moved."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import select, text
from stock_world import codes, ledger_lines, level, open_shop, stock

from app.domain import PermissionDenied, ValidationFailed
from app.events.models import OutboxEvent
from app.inventory import reports
from app.inventory.stock import Source


async def test_a_receipt_ships_and_comes_back_with_each_units_history(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 receives three fridges by scanning them, 郑丽 ships one to a customer, who returns it."""
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    received = await clerk.receive(
        product_id=shop.fridge, warehouse_id=shop.shop, quantity=3, serials=["HR001", "HR002", "HR003"]
    )
    # Serial-tracked goods move one unit per ledger line, all in one batch.
    assert [line.on_hand_delta for line in received.lines] == [1, 1, 1]
    assert await level(app, tenant, shop.fridge, shop.shop) == (3, 0)
    service = await stock(app, tenant, "service")
    await service.issue(
        product_id=shop.fridge,
        warehouse_id=shop.shop,
        quantity=1,
        serials=["HR002"],
        source=Source("order", "SO-1"),
    )
    assert await level(app, tenant, shop.fridge, shop.shop) == (2, 0)
    await service.return_(product_id=shop.fridge, warehouse_id=shop.central, quantity=1, serials=["HR002"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        [unit] = await reports.serial_units(session, service.actor, "HR002")
    assert (unit.unit.status, unit.warehouse and unit.warehouse.name) == ("in_stock", "杭州总仓")
    assert [(r.line.kind, r.warehouse.name, r.line.source_id) for r in unit.history] == [
        ("receive", "西湖门店", None),
        ("ship", "西湖门店", "SO-1"),
        ("return", "杭州总仓", None),
    ]
    await clerk.session.close()
    await service.session.close()


async def test_a_serial_number_is_sold_once_and_in_one_place(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.fridge, warehouse_id=shop.shop, quantity=2, serials=["A1", "A2"])
    await clerk.issue(product_id=shop.fridge, warehouse_id=shop.shop, quantity=1, serials=["A1"])
    lines = await ledger_lines(app, tenant)
    with pytest.raises(ValidationFailed) as caught:
        await clerk.issue(product_id=shop.fridge, warehouse_id=shop.shop, quantity=1, serials=["A1"])
    # Shipped twice: refused, and the level was not touched either (the whole batch rolled back).
    assert codes(caught.value) == [("serial_numbers.0", "serial_not_in_stock")]
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 0)
    with pytest.raises(ValidationFailed) as caught:
        await clerk.receive(product_id=shop.fridge, warehouse_id=shop.central, quantity=1, serials=["A2"])
    assert codes(caught.value) == [("serial_numbers.0", "serial_exists")]
    with pytest.raises(ValidationFailed) as caught:
        await clerk.issue(product_id=shop.fridge, warehouse_id=shop.central, quantity=1, serials=["A2"])
    assert codes(caught.value) == [("quantity", "insufficient_stock")]
    with pytest.raises(ValidationFailed) as caught:
        await clerk.return_(product_id=shop.fridge, warehouse_id=shop.shop, quantity=1, serials=["A2"])
    assert codes(caught.value) == [("serial_numbers.0", "serial_not_out")]
    assert await ledger_lines(app, tenant) == lines
    await clerk.session.close()


async def test_bad_movements_are_refused_field_by_field(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    cases = [
        (
            {"product_id": "nope", "warehouse_id": shop.shop, "quantity": 1},
            [("product_id", "unknown_product")],
        ),
        (
            {"product_id": shop.filters, "warehouse_id": shop.fridge, "quantity": 1},
            [("warehouse_id", "unknown_warehouse")],
        ),
        (
            {"product_id": shop.filters, "warehouse_id": shop.shop, "quantity": 0},
            [("quantity", "out_of_range")],
        ),
        (
            {"product_id": shop.filters, "warehouse_id": shop.shop, "quantity": -3},
            [("quantity", "out_of_range")],
        ),
        (
            {"product_id": shop.filters, "warehouse_id": shop.shop, "quantity": "两"},
            [("quantity", "invalid_number")],
        ),
        (
            {"product_id": shop.fridge, "warehouse_id": shop.shop, "quantity": 2, "serials": ["X1"]},
            [("serial_numbers", "serial_count")],
        ),
        (
            {"product_id": shop.fridge, "warehouse_id": shop.shop, "quantity": 2, "serials": ["X1", "X1"]},
            [("serial_numbers.1", "serial_repeated")],
        ),
        (
            {"product_id": shop.filters, "warehouse_id": shop.shop, "quantity": 1, "serials": ["F1"]},
            [("serial_numbers", "serials_not_tracked")],
        ),
    ]
    for given, expected in cases:
        with pytest.raises(ValidationFailed) as caught:
            await clerk.receive(**given)
        assert codes(caught.value) == expected, given
    with pytest.raises(ValidationFailed) as caught:
        await clerk.transfer(
            product_id=shop.filters, from_warehouse_id=shop.shop, to_warehouse_id=shop.shop, quantity=1
        )
    assert codes(caught.value) == [("to_warehouse_id", "same_warehouse")]
    with pytest.raises(ValidationFailed) as caught:
        await clerk.adjust(product_id=shop.filters, warehouse_id=shop.shop, change=5)
    assert codes(caught.value) == [("reason", "required")]
    with pytest.raises(ValidationFailed) as caught:
        await clerk.adjust(product_id=shop.filters, warehouse_id=shop.shop, change=0, reason="盘点")
    assert codes(caught.value) == [("change", "out_of_range")]
    assert await ledger_lines(app, tenant) == 0
    await clerk.session.close()


async def test_who_may_move_stock(app: Litestar, tenant: TenantKit) -> None:
    """Salespeople see stock but do not move it; a technician moves stock but does not adjust it."""
    shop = await open_shop(app, tenant)
    sales = await stock(app, tenant, "sales_a")
    with pytest.raises(PermissionDenied):
        await sales.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=1)
    technician = await stock(app, tenant, "technician")
    await technician.receive(product_id=shop.filters, warehouse_id=shop.van, quantity=5)
    await technician.issue(product_id=shop.filters, warehouse_id=shop.van, quantity=1, consumed=True)
    with pytest.raises(PermissionDenied):
        await technician.adjust(product_id=shop.filters, warehouse_id=shop.van, change=-1, reason="丢失")
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await reports.levels(session, sales.actor, warehouse_id=shop.van)
    assert [(r.product.name, r.level.on_hand) for r in page.rows] == [("PP棉滤芯", 4)]
    await sales.session.close()
    await technician.session.close()


async def test_reservations_hold_units_until_shipped_or_released(app: Litestar, tenant: TenantKit) -> None:
    """An approved order reserves; shipping uses the reservation; a cancelled order releases it."""
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=10)
    await clerk.reserve(
        product_id=shop.filters, warehouse_id=shop.shop, quantity=8, source=Source("order", "SO-9")
    )
    assert await level(app, tenant, shop.filters, shop.shop) == (10, 8)
    with pytest.raises(ValidationFailed) as caught:
        await clerk.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=3)
    # 8 of the 10 are promised: only 2 are available to anyone else.
    assert codes(caught.value) == [("quantity", "insufficient_stock")]
    assert "only 2" in caught.value.errors[0].message
    with pytest.raises(ValidationFailed) as caught:
        await clerk.reserve(product_id=shop.filters, warehouse_id=shop.shop, quantity=3)
    assert codes(caught.value) == [("quantity", "insufficient_stock")]
    await clerk.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=5, reserved=True)
    assert await level(app, tenant, shop.filters, shop.shop) == (5, 3)
    with pytest.raises(ValidationFailed) as caught:
        await clerk.release(product_id=shop.filters, warehouse_id=shop.shop, quantity=4)
    assert codes(caught.value) == [("quantity", "insufficient_reserved")]
    await clerk.release(product_id=shop.filters, warehouse_id=shop.shop, quantity=3)
    assert await level(app, tenant, shop.filters, shop.shop) == (5, 0)
    await clerk.session.close()


async def test_transfers_and_adjustments_keep_levels_equal_to_the_ledger(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(
        product_id=shop.fridge, warehouse_id=shop.central, quantity=3, serials=["T1", "T2", "T3"]
    )
    await clerk.transfer(
        product_id=shop.fridge,
        from_warehouse_id=shop.central,
        to_warehouse_id=shop.shop,
        quantity=2,
        serials=["T1", "T3"],
    )
    await clerk.adjust(
        product_id=shop.fridge, warehouse_id=shop.shop, change=-1, serials=["T3"], reason="运输损坏"
    )
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.central, quantity=20)
    await clerk.adjust(product_id=shop.filters, warehouse_id=shop.central, change=2, reason="盘点多出")
    assert await level(app, tenant, shop.fridge, shop.central) == (1, 0)
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 0)
    assert await level(app, tenant, shop.filters, shop.central) == (22, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []
        [t3] = await reports.serial_units(session, clerk.actor, "T3")
        assert t3.unit.status == "written_off" and t3.warehouse is None
    await clerk.session.close()


async def test_the_check_finds_a_level_that_drifted_and_repairs_it_from_the_ledger(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=7)
    await clerk.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Someone "fixed" the level by hand in SQL, around the ledger.
        await session.execute(
            text(f'UPDATE "{tenant.schema}".stock_levels SET on_hand = 9 WHERE product_id = :p'),
            {"p": shop.filters},
        )
        await session.commit()
        [diff] = await reports.check_levels(session)
        assert (diff.level_on_hand, diff.ledger_on_hand) == (9, 7)
        await reports.check_levels(session, repair=True)
        assert await reports.check_levels(session) == []
    assert await level(app, tenant, shop.filters, shop.shop) == (7, 0)


async def test_the_ledger_is_append_only(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=1)
    await clerk.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text(f'DELETE FROM "{tenant.schema}".stock_movements'))
        await session.rollback()
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text(f'UPDATE "{tenant.schema}".stock_movements SET on_hand_delta = 5'))


async def test_falling_below_the_threshold_raises_one_low_stock_event(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=10)
    await clerk.set_thresholds(
        product_id=shop.filters, warehouse_id=shop.shop, low_stock_threshold=5, lead_time_days=3
    )
    for _ in range(3):
        await clerk.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=2)
    async with app.state.db.tenant_session(tenant.schema) as session:
        low = list((await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "stock.low"))).all())
        # 10 → 8 → 6 → 4: the crossing below 5 is announced once, not every movement after it.
        assert [(e.payload["available"], e.payload["threshold"]) for e in low] == [(4, 5)]
        rows = await reports.low_stock(session, clerk.actor)
        assert [(r.product.name, r.warehouse.name, r.available) for r in rows] == [
            ("PP棉滤芯", "西湖门店", 4)
        ]
    await clerk.session.close()


async def test_replenishment_shows_the_numbers_behind_its_suggestion(
    app: Litestar, tenant: TenantKit
) -> None:
    """30 filters went out in the last 30 days (1 a day); the supplier takes 7 days; 5 left, 2 promised."""
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=35)
    await clerk.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=30)
    await clerk.reserve(product_id=shop.filters, warehouse_id=shop.shop, quantity=2)
    await clerk.set_thresholds(
        product_id=shop.filters, warehouse_id=shop.shop, low_stock_threshold=None, lead_time_days=7
    )
    async with app.state.db.tenant_session(tenant.schema) as session:
        [s] = await reports.replenishment(session, clerk.actor)
    assert (s.outbound, s.window_days, s.daily_velocity, s.lead_time_days) == (30, 30, 1.0, 7)
    # safety 7 days = 7; reorder point 7 + 7 = 14; target (7 + 7 review) + 7 = 21; available 5 - 2 = 3.
    assert (s.safety_stock, s.reorder_point, s.target_stock, s.available) == (7, 14, 21, 3)
    assert s.quantity == 18
    await clerk.session.close()
