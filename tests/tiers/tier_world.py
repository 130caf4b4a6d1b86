"""A shop whose customers have order histories, for the tier stories. Orders are made through the
order service; their stage and date are then set directly, to stand for history made over months
(the stage moves themselves are tested with the real workflow in test_tier_recompute.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update

from app.audit.models import AuditRecord
from app.catalog.service import ProductService
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService
from app.orders.models import Order
from app.orders.service import OrderService

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)

# Silver: ¥5,000 in 12 months; gold: ¥20,000 and 2 orders in 12 months; vip: ¥50,000 in 12
# months, 3 orders in 12 months, the last within 90 days.
RULES: dict[str, Any] = {
    "silver": {"amount": "5000", "amount_months": 12},
    "gold": {"amount": "20000", "amount_months": 12, "orders": 2, "orders_months": 12},
    "vip": {"amount": "50000", "amount_months": 12, "orders": 3, "orders_months": 12, "within_days": 90},
}


@dataclass
class Shop:
    kit: TenantKit
    product: uuid.UUID
    warehouse: uuid.UUID


async def open_shop(app: Litestar, kit: TenantKit, stock: int = 0) -> Shop:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        product = await ProductService(session, manager).create(
            {"sku": "MD-KFR-35", "name": "美的空调", "unit": "台", "list_price": "1000"}
        )
        shop = await WarehouseService(session, manager).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
        if stock:
            await StockService(session, manager).receive(
                product_id=product.id, warehouse_id=shop.id, quantity=stock
            )
    return Shop(kit, product.id, shop.id)


async def customer(app: Litestar, kit: TenantKit, name: str, **extra: Any) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        made = await CustomerService(session, await actor(app, kit, "sales_a")).create(
            {"name": name, **extra}
        )
        return made.id


async def order(
    app: Litestar,
    shop: Shop,
    customer_id: uuid.UUID,
    amount: int,
    *,
    days_ago: int = 10,
    status: str = "completed",
) -> uuid.UUID:
    """An order of ``amount`` yuan (units of ¥1,000 list price) for the customer, made ``days_ago``
    days before NOW and standing in ``status``."""
    async with app.state.db.tenant_session(shop.kit.schema) as session:
        service = OrderService(session, await actor(app, shop.kit, "manager_a"))
        made = await service.create(
            {
                "customer_id": customer_id,
                "warehouse_id": shop.warehouse,
                "lines": [{"product_id": shop.product, "quantity": amount // 1000}],
            }
        )
        assert made.total == Decimal(amount)
        await session.execute(
            update(Order)
            .where(Order.id == made.id)
            .values(status=status, created_at=NOW - timedelta(days=days_ago))
        )
        await session.commit()
        return made.id


async def tiers(app: Litestar, kit: TenantKit, *ids: uuid.UUID) -> list[tuple[str | None, str]]:
    async with app.state.db.tenant_session(kit.schema) as session:
        rows = {
            c.id: (c.tier, c.tier_source)
            for c in (await session.scalars(select(Customer).where(Customer.id.in_(ids)))).all()
        }
        return [rows[i] for i in ids]


async def tier_audits(app: Litestar, kit: TenantKit, customer_id: uuid.UUID) -> list[AuditRecord]:
    async with app.state.db.tenant_session(kit.schema) as session:
        query = (
            select(AuditRecord)
            .where(
                AuditRecord.entity == "customer",
                AuditRecord.entity_id == str(customer_id),
                AuditRecord.action == "tier",
            )
            .order_by(AuditRecord.id)
        )
        return list((await session.scalars(query)).all())
