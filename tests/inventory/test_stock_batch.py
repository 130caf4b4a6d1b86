"""A batch stock adjustment (``StockService.set_levels``): a chunk of levels set to target
quantities as one ledger batch — one line per level that moves, one audit record and one event for
the batch; the same targets again write nothing; a bad target is reported on its own while the rest
go through; serial-tracked products are refused (their units are counted by serial number); and
single verbs on the same levels at the same time leave every level equal to its ledger."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select
from stock_world import codes, level, open_shop, stock

from app.audit.models import AuditRecord
from app.catalog.service import ProductService
from app.domain import PermissionDenied, ValidationFailed
from app.events.models import OutboxEvent
from app.inventory import reports
from app.inventory.models import StockMovement
from app.inventory.stock import MAX_LEVELS, LevelsSet, LevelTarget

COUNT = "盘点"


async def _footprint(app: Litestar, kit: TenantKit) -> tuple[int, int, int]:
    """Ledger lines, stock.moved events and stock-movement audit records of the tenant."""
    async with app.state.db.tenant_session(kit.schema) as session:
        return (
            int(await session.scalar(select(func.count()).select_from(StockMovement)) or 0),
            int(
                await session.scalar(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "stock.moved")
                )
                or 0
            ),
            int(
                await session.scalar(
                    select(func.count())
                    .select_from(AuditRecord)
                    .where(AuditRecord.entity == "stock_movement")
                )
                or 0
            ),
        )


async def _counted_products(app: Litestar, kit: TenantKit, n: int) -> list[uuid.UUID]:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        made = [
            await ProductService(session, manager).create({"sku": f"BATCH-{i}", "name": f"净水滤芯{i}"})
            for i in range(n)
        ]
        return [p.id for p in made]


async def _check(app: Litestar, kit: TenantKit) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        assert await reports.check_levels(session) == []


async def test_a_batch_sets_its_levels_as_one_ledger_batch_and_again_writes_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    products = await _counted_products(app, tenant, 3)
    manager = await stock(app, tenant, "manager_a")
    await manager.receive(product_id=products[0], warehouse_id=shop.shop, quantity=10)
    before = await _footprint(app, tenant)
    targets = [
        LevelTarget(products[0], shop.shop, 4, "K3-0"),  # down from 10
        LevelTarget(products[1], shop.shop, 7, "K3-1"),  # a new level
        LevelTarget(products[2], shop.central, 0, "K3-2"),  # a new level at 0: nothing to move
        LevelTarget(products[1], shop.van, 3, "K3-1"),
    ]
    done = await manager.set_levels(targets, reason=COUNT, source_type="erp")
    assert [(o.status, o.change) for o in done.outcomes] == [
        ("updated", -6),
        ("updated", 7),
        ("unchanged", 0),
        ("updated", 3),
    ]
    assert done.batch_id is not None
    # One line per level that moved, all in the batch; one event and one audit record for it.
    assert await _footprint(app, tenant) == (before[0] + 3, before[1] + 1, before[2] + 1)
    async with app.state.db.tenant_session(tenant.schema) as session:
        lines = (
            await session.scalars(select(StockMovement).where(StockMovement.batch_id == done.batch_id))
        ).all()
        assert sorted((line.kind, line.on_hand_delta, line.source_id) for line in lines) == [
            ("adjust", -6, "K3-0"),
            ("adjust", 3, "K3-1"),
            ("adjust", 7, "K3-1"),
        ]
        assert {(line.reason, line.source_type) for line in lines} == {(COUNT, "erp")}
        record = await session.scalar(select(AuditRecord).where(AuditRecord.entity_id == str(done.batch_id)))
        assert record is not None and record.after is not None
        assert (record.after["levels"], record.after["units_added"], record.after["units_removed"]) == (
            3,
            10,
            6,
        )
    assert await level(app, tenant, products[0], shop.shop) == (4, 0)
    assert await level(app, tenant, products[1], shop.van) == (3, 0)
    await _check(app, tenant)

    again = await manager.set_levels(targets, reason=COUNT, source_type="erp")
    assert again.batch_id is None and {o.status for o in again.outcomes} == {"unchanged"}
    assert await _footprint(app, tenant) == (before[0] + 3, before[1] + 1, before[2] + 1)
    await manager.session.close()


async def test_bad_targets_are_reported_on_their_own_and_the_rest_goes_through(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    products = await _counted_products(app, tenant, 2)
    manager = await stock(app, tenant, "manager_a")
    await manager.receive(product_id=products[1], warehouse_id=shop.shop, quantity=5)
    await manager.reserve(product_id=products[1], warehouse_id=shop.shop, quantity=3)
    before = await _footprint(app, tenant)
    done = await manager.set_levels(
        [
            LevelTarget(uuid.uuid4(), shop.shop, 1),  # no such product
            LevelTarget(products[0], "not-an-id", 1),  # no such warehouse
            LevelTarget(products[0], shop.shop, -2),  # negative
            LevelTarget(products[0], shop.shop, "many"),  # not a number
            LevelTarget(shop.fridge, shop.shop, 2),  # serial-tracked: counted unit by unit
            LevelTarget(products[1], shop.shop, 2),  # below the 3 units reserved
            LevelTarget(products[0], shop.central, 9),  # the one good target
        ],
        reason=COUNT,
    )
    assert [o.status for o in done.outcomes] == ["error"] * 6 + ["updated"]
    assert [[e.code for e in o.errors] for o in done.outcomes[:6]] == [
        ["unknown_product"],
        ["unknown_warehouse"],
        ["out_of_range"],
        ["invalid_number"],
        ["serials_not_tracked"],
        ["insufficient_stock"],
    ]
    assert await _footprint(app, tenant) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert await level(app, tenant, products[0], shop.central) == (9, 0)
    assert await level(app, tenant, products[1], shop.shop) == (5, 3)  # the reservation stands
    assert await level(app, tenant, shop.fridge, shop.shop) == (0, 0)
    await _check(app, tenant)
    await manager.session.close()


async def test_the_last_target_of_a_level_counts(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    manager = await stock(app, tenant, "manager_a")
    done = await manager.set_levels(
        [LevelTarget(shop.filters, shop.shop, 8), LevelTarget(shop.filters, shop.shop, 5)], reason=COUNT
    )
    assert [o.status for o in done.outcomes] == ["unchanged", "updated"]
    assert await level(app, tenant, shop.filters, shop.shop) == (5, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        deltas = (
            await session.scalars(
                select(StockMovement.on_hand_delta).where(StockMovement.batch_id == done.batch_id)
            )
        ).all()
    assert list(deltas) == [5]
    await manager.session.close()


async def test_who_may_and_what_a_batch_must_carry(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    technician = await stock(app, tenant, "technician")  # moves stock, does not adjust it
    with pytest.raises(PermissionDenied):
        await technician.set_levels([LevelTarget(shop.filters, shop.van, 1)], reason=COUNT)
    manager = await stock(app, tenant, "manager_a")
    before = await _footprint(app, tenant)
    with pytest.raises(ValidationFailed) as caught:
        await manager.set_levels([LevelTarget(shop.filters, shop.shop, 1)], reason="  ")
    assert codes(caught.value) == [("reason", "required")]
    too_many = [LevelTarget(shop.filters, shop.shop, 1)] * (MAX_LEVELS + 1)
    with pytest.raises(ValidationFailed) as caught:
        await manager.set_levels(too_many, reason=COUNT)
    assert codes(caught.value) == [("targets", "too_many")]
    assert await _footprint(app, tenant) == before
    assert await level(app, tenant, shop.filters, shop.shop) == (0, 0)
    for s in (technician, manager):
        await s.session.close()


async def test_single_verbs_racing_a_batch_leave_every_level_equal_to_its_ledger(
    app: Litestar, tenant: TenantKit
) -> None:
    """Twelve issues of one unit, spread over three levels (each locked alone), race a batch that
    sets the three levels to 50 (all locked in key order): nothing deadlocks or goes negative, each
    issue lands before or after the batch, and each level is 50 less the issues after it."""
    shop = await open_shop(app, tenant)
    products = await _counted_products(app, tenant, 3)
    clerk = await stock(app, tenant, "manager_a")
    for product in products:
        await clerk.receive(product_id=product, warehouse_id=shop.shop, quantity=20)
    await clerk.session.close()
    batcher = await stock(app, tenant, "manager_a")
    clerks = [await stock(app, tenant, "service") for _ in range(12)]
    calls: list[Coroutine[Any, Any, Any]] = [
        clerks[i].issue(product_id=products[2 - i % 3], warehouse_id=shop.shop, quantity=1) for i in range(12)
    ]
    calls.insert(5, batcher.set_levels([LevelTarget(p, shop.shop, 50) for p in products], reason=COUNT))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    done = results[5]
    assert isinstance(done, LevelsSet) and done.batch_id is not None
    batch_id = done.batch_id
    async with app.state.db.tenant_session(tenant.schema) as session:
        for product in products:
            lines = (
                await session.execute(
                    select(StockMovement.batch_id, StockMovement.kind)
                    .where(StockMovement.product_id == product, StockMovement.warehouse_id == shop.shop)
                    .order_by(StockMovement.id)
                )
            ).all()
            batch_at = [b for b, _ in lines].index(batch_id)
            after = sum(1 for _, kind in lines[batch_at + 1 :] if kind == "ship")
            assert await level(app, tenant, product, shop.shop) == (50 - after, 0)
    await _check(app, tenant)
    for s in (batcher, *clerks):
        await s.session.close()
