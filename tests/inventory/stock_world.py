"""A small shop's stock for the inventory stories: 刘洋 (manager) runs the 西湖门店 shop and the 杭州总仓
central warehouse; 孙强 (technician) has a van. Two products: a serial-tracked 海尔 fridge and a box
of PP filters (counted, no serial numbers)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.service import ProductService
from app.inventory.models import StockLevel, StockMovement
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService


@dataclass
class Shop:
    kit: TenantKit
    fridge: uuid.UUID
    filters: uuid.UUID
    shop: uuid.UUID
    central: uuid.UUID
    van: uuid.UUID


async def open_shop(app: Litestar, kit: TenantKit) -> Shop:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        products = ProductService(session, manager)
        fridge = await products.create(
            {"sku": "HR-BCD-470", "name": "海尔十字门冰箱", "model": "BCD-470WGHTD", "serial_tracked": True}
        )
        filters = await products.create(
            {"sku": "QY-PP-10", "name": "PP棉滤芯", "kind": "consumable", "unit": "支"}
        )
        warehouses = WarehouseService(session, manager)
        shop = await warehouses.create({"code": "XH", "name": "西湖门店", "kind": "shop"})
        central = await warehouses.create({"code": "HZ", "name": "杭州总仓", "kind": "central"})
        van = await warehouses.create(
            {"code": "VAN-SQ", "name": "孙强的车", "kind": "van", "keeper_id": kit.people["technician"]}
        )
        return Shop(kit, fridge.id, filters.id, shop.id, central.id, van.id)


async def stock(app: Litestar, kit: TenantKit, who: str) -> StockService:
    """A stock service on its own session (close it with ``await s.session.close()``)."""
    return StockService(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


async def level(app: Litestar, kit: TenantKit, product: uuid.UUID, warehouse: uuid.UUID) -> tuple[int, int]:
    async with app.state.db.tenant_session(kit.schema) as session:
        row = await session.get(StockLevel, (product, warehouse))
        return (row.on_hand, row.reserved) if row else (0, 0)


async def ledger_lines(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(StockMovement)) or 0)


def codes(exc: Any) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.errors]
