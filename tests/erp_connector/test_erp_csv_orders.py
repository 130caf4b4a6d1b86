"""The ERP connector in CSV mode pushes orders as files: the orders changed since the last push go
into the outbound folder as one CSV file (UTF-8 with a BOM, Chinese headers, a row per order line),
written whole or not at all; a run with nothing new writes nothing; the order mapping picks and names
the columns; a missing folder fails the run without losing an order, and the sync log names each file."""

from __future__ import annotations

import csv
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.catalog.models import Product
from app.customers.service import CustomerService
from app.domain import ValidationFailed
from app.erp import connector as erp_connector
from app.erp.connector import ORDER_FIELDS, ConnectorService, ErpUnavailable, Retry, sync_tenant
from app.erp.models import ErpConnector
from app.inventory.models import StockLevel
from app.inventory.service import WarehouseService
from app.orders.service import OrderService

FAST = Retry(attempts=2, first_delay=0.01, timeout=0.5)


async def _csv_connector(app: Litestar, kit: TenantKit, tmp: Path, **extra: Any) -> Path:
    """The owner switches the CSV connector on (files in ``tmp/in``, orders out to ``tmp/out``);
    the ERP's first files bring a 格力 air conditioner and its stock in 西湖门店 (XH)."""
    inbox, outbox = tmp / "in", tmp / "out"
    inbox.mkdir()
    outbox.mkdir()
    (inbox / "products-1.csv").write_text(
        "external_id,sku,name,list_price\nERP-7,GL-26,格力空调 大1匹,2999.00\n", encoding="utf-8"
    )
    (inbox / "stock-1.csv").write_text(
        "product_external_id,warehouse_code,on_hand\nERP-7,XH,10\n", encoding="utf-8"
    )
    async with app.state.db.tenant_session(kit.schema) as session:
        await WarehouseService(session, await actor(app, kit, "manager_a")).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
        await ConnectorService(session, await actor(app, kit, "owner")).save(
            {
                "enabled": True,
                "mode": "csv",
                "csv_folder": str(inbox),
                "outbound_folder": str(outbox),
                **extra,
            }
        )
    return outbox


async def _order(app: Litestar, kit: TenantKit, name: str, quantity: int) -> str:
    sales = await actor(app, kit, "sales_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        mobile = f"139{uuid.uuid4().int % 10**8:08d}"
        customer = await CustomerService(session, sales).create({"name": name, "mobile": mobile})
        product = await session.scalar(select(Product.id).where(Product.sku == "GL-26"))
        warehouse = await session.scalar(select(StockLevel.warehouse_id).limit(1))
        order = await OrderService(session, sales).create(
            {
                "customer_id": customer.id,
                "warehouse_id": warehouse,
                "lines": [{"product_id": product, "quantity": quantity}],
            }
        )
        return order.number


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheet programs read the headers right
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


async def _cursor(app: Litestar, kit: TenantKit) -> str | None:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.get(ErpConnector, 1)
        return found.orders_cursor if found else None


async def test_orders_changed_since_the_last_push_are_written_once(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    outbox = await _csv_connector(app, tenant, tmp_path)
    first = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert first is not None and first.status == "ok" and first.orders_pushed == 0 and first.files == []
    assert list(outbox.iterdir()) == []  # no order yet: no file

    number = await _order(app, tenant, "赵敏", 2)
    second = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert second is not None and second.status == "ok", second.errors if second else None
    assert second.orders_pushed == 1 and len(second.files) == 1
    assert sorted(p.name for p in outbox.iterdir()) == second.files  # no temporary file left behind
    rows = _read(outbox / second.files[0])
    assert rows[0] == list(ORDER_FIELDS.values())  # the default Chinese headers, every field
    assert rows[0][:3] == ["订单号", "状态", "客户"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["订单号"], record["客户"], record["商品编码"], record["数量"], record["行号"]) == (
        number,
        "赵敏",
        "GL-26",
        "2",
        "1",
    )
    assert len(rows) == 2  # one order line, one row

    # Nothing new: the run writes nothing, and says so.
    third = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert third is not None and third.status == "ok" and (third.orders_pushed, third.files) == (0, [])
    assert len(list(outbox.iterdir())) == 1

    # A later order: only it, in a new file.
    later = await _order(app, tenant, "钱多多", 1)
    fourth = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert fourth is not None and fourth.orders_pushed == 1 and len(fourth.files) == 1
    assert fourth.files != second.files
    assert [r[0] for r in _read(outbox / fourth.files[0])[1:]] == [later]


async def test_the_order_mapping_picks_and_names_the_columns(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    # Listed in any order: the file's columns come in the fields' order (number, customer, sku, quantity).
    mapping = {"数量": "quantity", "物料编码": "sku", "单号": "number", "客户名称": "customer_name"}
    outbox = await _csv_connector(
        app, tenant, tmp_path, order_mapping=json.dumps(mapping, ensure_ascii=False)
    )
    await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    number = await _order(app, tenant, "孙丽", 3)
    run = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert run is not None and run.files
    assert _read(outbox / run.files[0]) == [
        ["单号", "客户名称", "物料编码", "数量"],
        [number, "孙丽", "GL-26", "3"],
    ]


async def test_a_missing_outbound_folder_fails_the_run_and_loses_no_order(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    outbox = await _csv_connector(app, tenant, tmp_path)
    await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    number = await _order(app, tenant, "周强", 1)
    outbox.rmdir()
    failed = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert failed is not None and failed.status == "failed" and "not a folder" in (failed.message or "")
    assert (failed.orders_pushed, failed.files) == (0, [])
    cursor = await _cursor(app, tenant)
    outbox.mkdir()
    again = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert again is not None and again.status == "ok" and again.orders_pushed == 1
    assert [r[0] for r in _read(outbox / again.files[0])[1:]] == [number]
    assert await _cursor(app, tenant) != cursor


async def test_a_file_that_cannot_be_renamed_into_place_leaves_nothing_and_keeps_the_cursor(
    app: Litestar, tenant: TenantKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = await _csv_connector(app, tenant, tmp_path)
    await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    await _order(app, tenant, "吴芳", 1)
    cursor = await _cursor(app, tenant)

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(erp_connector.os, "replace", disk_full)
    run = await sync_tenant(app.state.db, tenant.schema, retry=FAST)
    assert run is not None and run.status == "failed" and "No space left" in (run.message or "")
    assert list(outbox.iterdir()) == []  # neither the file nor its temporary copy
    assert await _cursor(app, tenant) == cursor
    monkeypatch.setattr(erp_connector.os, "replace", os.replace)
    with pytest.raises(ErpUnavailable):
        erp_connector.write_csv_atomically(str(tmp_path / "nowhere"), "orders-x.csv", ["订单号"], [])


async def test_outbound_settings_are_checked(app: Litestar, tenant: TenantKit, tmp_path: Path) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        owner = ConnectorService(session, await actor(app, tenant, "owner"))
        with pytest.raises(ValidationFailed) as caught:
            await owner.save(
                {
                    "enabled": True,
                    "mode": "csv",
                    "csv_folder": str(tmp_path),
                    "outbound_folder": "exports/orders",
                    "order_mapping": {"单号": "order_no"},
                }
            )
        assert {(e.field, e.code) for e in caught.value.errors} == {
            ("outbound_folder", "not_absolute"),
            ("order_mapping", "unknown_target"),
        }
        assert await session.get(ErpConnector, 1) is None
