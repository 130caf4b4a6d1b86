"""Stocktake: 刘洋 opens a count sheet for the 西湖门店 shop; staff count filters by typing and
fridges by scanning their serial numbers; the differences against the ledger at the sheet's
snapshot become adjustments when the manager approves, all at once or not at all."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from fulfilment_world import codes, level, open_dealer
from litestar import Litestar

from app.domain import PermissionDenied, ValidationFailed, VersionConflict
from app.inventory import reports
from app.inventory.stock import StockService
from app.stocktake.service import StockCountService


async def test_variances_become_adjustments_on_approval(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002", "HR003"], filters=50)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        counts = StockCountService(session, manager)
        sheet = await counts.open(warehouse_id=dealer.shop, note="月末盘点")
        lines = {line.product_id: line for line in await counts.lines(sheet.id)}
        # The sheet knows what the ledger says: 3 fridges (by number) and 50 filters.
        assert lines[dealer.fridge].expected == 3
        assert lines[dealer.fridge].expected_serials == ["HR001", "HR002", "HR003"]
        assert lines[dealer.filters].expected == 50
        await counts.count_quantity(sheet.id, product_id=dealer.filters, quantity=47)
        # HR003 is nowhere to be found; HR001 is scanned twice (the scanner double-read).
        await counts.scan(sheet.id, ["HR001", "HR002", "HR001"])
        approved = await counts.approve(sheet.id, sheet.version)
        assert approved.status == "approved"
        assert len(approved.adjustment_batches) == 2
        assert await reports.check_levels(session) == []
    assert await level(app, tenant, dealer.filters, dealer.shop) == (47, 0)
    assert await level(app, tenant, dealer.fridge, dealer.shop) == (2, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        [unit] = await reports.serial_units(session, manager, "HR003")
        assert unit.unit.status == "written_off"
        assert unit.history[-1].line.source_type == "stocktake"


async def test_movements_during_the_count_are_not_variances(app: Litestar, tenant: TenantKit) -> None:
    """Goods that move after the snapshot are accounted for by their own movements: 10 filters
    arrive and HR002 is transferred out while the shop is being counted."""
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"], filters=20)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        counts = StockCountService(session, manager)
        sheet = await counts.open(warehouse_id=dealer.shop)
        await counts.count_quantity(sheet.id, product_id=dealer.filters, quantity=20)
        await counts.scan(sheet.id, ["HR001", "HR002"])
        stock = StockService(session, manager)
        await stock.receive(product_id=dealer.filters, warehouse_id=dealer.shop, quantity=10)
        van = await _van(session, manager)
        await stock.transfer(
            product_id=dealer.fridge,
            from_warehouse_id=dealer.shop,
            to_warehouse_id=van,
            quantity=1,
            serials=["HR002"],
        )
        approved = await counts.approve(sheet.id, sheet.version)
        # Nothing was missing at the snapshot: no adjustment at all.
        assert approved.adjustment_batches == []
    assert await level(app, tenant, dealer.filters, dealer.shop) == (30, 0)
    assert await level(app, tenant, dealer.fridge, dealer.shop) == (1, 0)


async def test_a_count_sheet_is_approved_once(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, filters=5)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        counts = StockCountService(session, manager)
        sheet = await counts.open(warehouse_id=dealer.shop)
        sheet_id = sheet.id
        await counts.count_quantity(sheet_id, product_id=dealer.filters, quantity=4)
        approved = await counts.approve(sheet_id, sheet.version)
        with pytest.raises(ValidationFailed) as caught:
            await counts.approve(sheet_id, approved.version)
        assert codes(caught.value) == [("id", "not_open")]
        with pytest.raises(ValidationFailed):
            await counts.count_quantity(sheet_id, product_id=dealer.filters, quantity=3)
    # One adjustment of -1, not two.
    assert await level(app, tenant, dealer.filters, dealer.shop) == (4, 0)


async def test_bad_counts_are_refused(app: Litestar, tenant: TenantKit, other_tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"], filters=5)
    elsewhere = await open_dealer(app, other_tenant, fridges=["OT001"])
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        counts = StockCountService(session, manager)
        with pytest.raises(ValidationFailed) as caught:
            await counts.open(warehouse_id=elsewhere.shop, category_id="nope")
        assert codes(caught.value) == [
            ("warehouse_id", "unknown_warehouse"),
            ("category_id", "unknown_category"),
        ]
        sheet = await counts.open(warehouse_id=dealer.shop)
        sheet_id, version = sheet.id, sheet.version
        van = await _van(session, manager)
        await StockService(session, manager).receive(
            product_id=dealer.fridge, warehouse_id=van, quantity=1, serials=["VAN01"]
        )
        # A unit in the van is not in this shop; OT001 is another dealer's (here: no such unit).
        with pytest.raises(ValidationFailed) as caught:
            await counts.scan(sheet_id, ["HR001", "VAN01", "OT001"])
        assert codes(caught.value) == [
            ("serial_numbers.1", "serial_not_in_warehouse"),
            ("serial_numbers.2", "unknown_serial"),
        ]
        with pytest.raises(ValidationFailed) as caught:
            await counts.count_quantity(sheet_id, product_id=dealer.fridge, quantity=1)
        assert codes(caught.value) == [("quantity", "count_by_serial")]
        with pytest.raises(ValidationFailed) as caught:
            await counts.count_quantity(sheet_id, product_id=dealer.filters, quantity=-1)
        assert codes(caught.value) == [("quantity", "out_of_range")]
        # Nothing of the refused scan was kept, so the fridge line is still uncounted.
        with pytest.raises(ValidationFailed) as caught:
            await counts.approve(sheet_id, version)
        assert codes(caught.value) == [("lines", "uncounted_lines")]
        with pytest.raises(VersionConflict):
            await counts.approve(sheet_id, version + 5)


async def test_an_approval_that_cannot_post_everything_posts_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    """The filters' write-off would take stock below what an approved order reserved: the whole
    approval is refused, the fridge's write-off included, and the sheet stays open."""
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"], filters=5)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        counts = StockCountService(session, manager)
        sheet = await counts.open(warehouse_id=dealer.shop)
        sheet_id, version = sheet.id, sheet.version
        await counts.scan(sheet_id, ["HR001"])
        await counts.count_quantity(sheet_id, product_id=dealer.filters, quantity=0)
        await StockService(session, manager).reserve(
            product_id=dealer.filters, warehouse_id=dealer.shop, quantity=5
        )
        with pytest.raises(ValidationFailed) as caught:
            await counts.approve(sheet_id, version)
        assert [code for _field, code in codes(caught.value)] == ["insufficient_stock"]
        again = await counts.get(sheet_id)
        assert again.status == "open"
    assert await level(app, tenant, dealer.fridge, dealer.shop) == (2, 0)
    assert await level(app, tenant, dealer.filters, dealer.shop) == (5, 5)


async def test_counting_and_approving_need_their_permissions(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, filters=5)
    technician = await actor(app, tenant, "technician")
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await StockCountService(session, sales).open(warehouse_id=dealer.shop)
        # A technician may count (inventory:create) but not approve (inventory:manage).
        counts = StockCountService(session, technician)
        sheet = await counts.open(warehouse_id=dealer.shop)
        sheet_id, version = sheet.id, sheet.version
        await counts.count_quantity(sheet_id, product_id=dealer.filters, quantity=5)
        with pytest.raises(PermissionDenied):
            await counts.approve(sheet_id, version)


async def _van(session, manager):  # type: ignore[no-untyped-def]
    from app.inventory.service import WarehouseService

    van = await WarehouseService(session, manager).create({"code": "VAN1", "name": "孙强的车", "kind": "van"})
    return van.id
