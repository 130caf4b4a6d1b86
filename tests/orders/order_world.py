"""A shop that sells for the order stories: 张伟 (sales, 门店一组) sells to his customer 赵敏 from the
西湖门店 shop; 刘洋 (his manager) approves what he may not. Two products with list prices: a
serial-tracked 海尔 fridge (¥5,999) and PP filters (¥39, counted, no serial numbers)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.inventory.models import StockLevel
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService
from app.orders.service import OrderService


@dataclass
class Shop:
    kit: TenantKit
    fridge: uuid.UUID
    filters: uuid.UUID
    shop: uuid.UUID
    customer: uuid.UUID  # 赵敏, 张伟's customer


async def open_shop(
    app: Litestar, kit: TenantKit, *, fridges: list[str] | None = None, filters: int = 0
) -> Shop:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        products = ProductService(session, manager)
        fridge = await products.create(
            {
                "sku": "HR-BCD-470",
                "name": "海尔十字门冰箱",
                "model": "BCD-470WGHTD",
                "serial_tracked": True,
                "list_price": "5999.00",
            }
        )
        pp = await products.create(
            {"sku": "QY-PP-10", "name": "PP棉滤芯", "kind": "consumable", "unit": "支", "list_price": "39"}
        )
        shop = await WarehouseService(session, manager).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
        stock = StockService(session, manager)
        if fridges:
            await stock.receive(
                product_id=fridge.id, warehouse_id=shop.id, quantity=len(fridges), serials=fridges
            )
        if filters:
            await stock.receive(product_id=pp.id, warehouse_id=shop.id, quantity=filters)
        sales = await actor(app, kit, "sales_a")
        customer = await CustomerService(session, sales).create({"name": "赵敏", "mobile": "13800138000"})
        return Shop(kit, fridge.id, pp.id, shop.id, customer.id)


async def orders(app: Litestar, kit: TenantKit, who: str) -> OrderService:
    """An order service on its own session (close it with ``await s.session.close()``)."""
    return OrderService(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


async def level(app: Litestar, kit: TenantKit, product: uuid.UUID, warehouse: uuid.UUID) -> tuple[int, int]:
    async with app.state.db.tenant_session(kit.schema) as session:
        row = await session.get(StockLevel, (product, warehouse))
        return (row.on_hand, row.reserved) if row else (0, 0)


def fridge_order(shop: Shop, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": shop.customer,
        "warehouse_id": shop.shop,
        "lines": [{"product_id": shop.fridge, "quantity": 1}],
        **extra,
    }


def codes(exc: Any) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.errors]
