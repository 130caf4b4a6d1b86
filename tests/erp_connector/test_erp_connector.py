"""The ERP connector against a small local ERP (erp_server.py): the first run imports products and
stock and pushes the orders, a second run changes nothing, a malformed record is logged while the
rest goes through, and an ERP that times out or fails is retried, then reported to the admins."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from erp_server import FakeErp, fake_erp
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.models import Product
from app.customers.service import CustomerService
from app.domain import PermissionDenied, ValidationFailed
from app.erp import webhooks
from app.erp.connector import ConnectorService, Retry, sync_tenant
from app.erp.models import ErpConnector
from app.inventory.models import StockLevel
from app.inventory.service import WarehouseService
from app.notifications.models import Notification
from app.orders.service import OrderService
from app.settings import get_settings

FAST = Retry(attempts=3, first_delay=0.01, timeout=0.5)
PRODUCT_MAPPING = {
    "ItemNo": "external_id",
    "Sku": "sku",
    "Name": "name",
    "Price": "list_price",
    "Changed": "updated_at",
}
STOCK_MAPPING = {
    "ItemNo": "product_external_id",
    "Store": "warehouse_code",
    "Qty": "on_hand",
    "Changed": "updated_at",
}


@pytest.fixture
def local_erp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeErp]:
    """The ERP listens on 127.0.0.1, which production refuses (as for webhooks)."""
    allowed = dataclasses.replace(get_settings(), webhook_allow_private_targets=True)
    monkeypatch.setattr(webhooks, "get_settings", lambda: allowed)
    with fake_erp() as erp:
        erp.products = [
            {
                "ItemNo": "ERP-1",
                "Sku": "HR-470",
                "Name": "海尔冰箱 470L",
                "Price": "5999.00",
                "Changed": "2026-11-01T08:00",
            },
            {
                "ItemNo": "ERP-2",
                "Sku": "MD-35",
                "Name": "美的空调 1.5匹",
                "Price": "3299.00",
                "Changed": "2026-11-02T08:00",
            },
        ]
        erp.stock = [
            {"ItemNo": "ERP-1", "Store": "XH", "Qty": 7, "Changed": "2026-11-03T08:00"},
            {"ItemNo": "ERP-2", "Store": "XH", "Qty": 12, "Changed": "2026-11-03T09:00"},
        ]
        yield erp


async def _connect(app: Litestar, kit: TenantKit, erp: FakeErp, **extra: Any) -> None:
    """The owner switches the connector on; the shop 西湖门店 (code XH) exists."""
    owner = await actor(app, kit, "owner")
    async with app.state.db.tenant_session(kit.schema) as session:
        await WarehouseService(session, await actor(app, kit, "manager_a")).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
        await ConnectorService(session, owner).save(
            {
                "enabled": True,
                "mode": "http",
                "base_url": erp.url,
                "token": "erp-secret-token",
                "product_mapping": json.dumps(PRODUCT_MAPPING),
                "stock_mapping": json.dumps(STOCK_MAPPING),
                **extra,
            }
        )


async def _levels(app: Litestar, kit: TenantKit) -> dict[str, int]:
    async with app.state.db.tenant_session(kit.schema) as session:
        rows = await session.execute(
            select(Product.sku, StockLevel.on_hand).join(StockLevel, StockLevel.product_id == Product.id)
        )
        return {sku: on_hand for sku, on_hand in rows.all()}


async def _an_order(app: Litestar, kit: TenantKit) -> str:
    sales = await actor(app, kit, "sales_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        customer = await CustomerService(session, sales).create({"name": "赵敏", "mobile": "13612345678"})
        product = await session.scalar(select(Product.id).where(Product.sku == "MD-35"))
        warehouse = await session.scalar(select(StockLevel.warehouse_id).limit(1))
        order = await OrderService(session, sales).create(
            {
                "customer_id": customer.id,
                "warehouse_id": warehouse,
                "lines": [{"product_id": product, "quantity": 1}],
            }
        )
        return order.number


async def test_first_run_imports_second_run_changes_nothing(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp
) -> None:
    await _connect(app, tenant, local_erp)
    first = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert first is not None and first.status == "ok", first.errors if first else None
    assert (first.products_created, first.stock_updated, first.error_count) == (2, 2, 0)
    assert await _levels(app, tenant) == {"HR-470": 7, "MD-35": 12}
    assert local_erp.tokens[0] == "Bearer erp-secret-token"
    # An order is taken; the next run pushes it, and only it.
    number = await _an_order(app, tenant)
    second = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert second is not None and second.status == "ok"
    assert (second.products_created, second.products_updated, second.stock_updated) == (0, 0, 0)
    assert second.orders_pushed == 1 and [o["number"] for o in local_erp.orders] == [number]
    # The cursors went along: the second pull asked only for what changed since the first.
    assert "GET /erp/products?updated_since=2026-11-02T08%3A00" in local_erp.requests
    third = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert third is not None and third.orders_pushed == 0 and len(local_erp.orders) == 1
    # Everything again from the start (cursors reset): the upserts find nothing to change.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await ConnectorService(session, await actor(app, tenant, "owner")).save(
            {
                "enabled": True,
                "base_url": local_erp.url,
                "product_mapping": PRODUCT_MAPPING,
                "stock_mapping": STOCK_MAPPING,
                "reset_cursors": True,
            }
        )
    again = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert again is not None and again.status == "ok"
    assert (again.products_unchanged, again.stock_unchanged, again.products_updated) == (2, 2, 0)
    assert await _levels(app, tenant) == {"HR-470": 7, "MD-35": 12}
    # The token is kept (a blank one does not erase it).
    assert local_erp.tokens[-1] == "Bearer erp-secret-token"


async def test_a_malformed_record_is_logged_and_the_rest_goes_through(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp
) -> None:
    local_erp.products.append(
        {"ItemNo": "ERP-3", "Sku": "XX-1", "Name": "", "Price": "abc", "Changed": "2026-11-02T09:00"}
    )
    local_erp.products.append("not a record")
    local_erp.stock.append({"ItemNo": "ERP-9", "Store": "XH", "Qty": -1, "Changed": "2026-11-03T10:00"})
    await _connect(app, tenant, local_erp)
    run = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert run is not None and run.status == "partial"
    assert (run.products_created, run.stock_updated, run.error_count) == (2, 2, 3)
    refs = {e["ref"]: e["errors"] for e in run.errors}
    assert "name: required" in refs["ERP-3"] and any(e.startswith("list_price") for e in refs["ERP-3"])
    assert refs["row 4"] == ["row: not_an_object"]
    assert refs["ERP-9"] == ["on_hand: out_of_range", "product_external_id: unknown_product"]
    assert await _levels(app, tenant) == {"HR-470": 7, "MD-35": 12}


async def test_a_timing_out_erp_is_retried_then_reported(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp
) -> None:
    await _connect(app, tenant, local_erp)
    local_erp.delay = 1.0  # longer than FAST's 0.5 s timeout
    run = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert run is not None and run.status == "failed" and run.attempts == 3
    assert "timed out" in (run.message or "")
    assert len([r for r in local_erp.requests if r.startswith("GET /erp/products")]) == 3
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (
            await session.scalar(select(func.count()).select_from(Product).where(Product.sku == "HR-470"))
            == 0
        )
        told = (
            await session.scalars(
                select(Notification.recipient_id).where(Notification.kind == "erp.sync_failed")
            )
        ).all()
        # The owner and the admin manage integrations; a salesperson is not told.
        assert tenant.people["owner"] in told and tenant.people["sales_a"] not in told


async def test_an_erp_answering_500_is_retried_until_it_answers(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp
) -> None:
    await _connect(app, tenant, local_erp)
    local_erp.failures = 2
    run = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert run is not None and run.status == "ok" and run.attempts == 3
    assert run.products_created == 2


async def test_switched_off_nothing_runs_and_settings_are_checked(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp, tmp_path: Path
) -> None:
    assert await sync_tenant(app.state.db, tenant.schema, retry=FAST) is None
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await ConnectorService(session, await actor(app, tenant, "manager_a")).save({"enabled": True})
        owner = ConnectorService(session, await actor(app, tenant, "owner"))
        with pytest.raises(ValidationFailed) as caught:
            await owner.save(
                {
                    "enabled": True,
                    "mode": "http",
                    "base_url": "ftp://erp",
                    "product_mapping": "{not json",
                    "stock_mapping": {"Qty": "quantity"},
                }
            )
        assert {(e.field, e.code) for e in caught.value.errors} == {
            ("base_url", "invalid_url"),
            ("product_mapping", "invalid_json"),
            ("stock_mapping", "unknown_target"),
        }
        with pytest.raises(ValidationFailed) as caught:
            await owner.save({"enabled": True, "mode": "csv", "csv_folder": ""})
        assert [(e.field, e.code) for e in caught.value.errors] == [("csv_folder", "required")]
        assert await session.scalar(select(func.count()).select_from(ErpConnector)) == 0


async def test_a_csv_folder_is_read_once(
    app: Litestar, tenant: TenantKit, local_erp: FakeErp, tmp_path: Path
) -> None:
    (tmp_path / "products-1.csv").write_text(
        "ItemNo,Sku,Name,Price\nERP-7,GL-26,格力空调 大1匹,2999.00\n", encoding="utf-8"
    )
    (tmp_path / "stock-1.csv").write_text("ItemNo,Store,Qty\nERP-7,XH,4\n", encoding="utf-8")
    await _connect(app, tenant, local_erp, mode="csv", csv_folder=str(tmp_path), base_url="")
    first = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert first is not None and first.status == "ok" and first.products_created == 1
    assert await _levels(app, tenant) == {"GL-26": 4}
    second = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert second is not None and (
        second.products_created,
        second.products_unchanged,
        second.stock_updated,
    ) == (0, 0, 0)
