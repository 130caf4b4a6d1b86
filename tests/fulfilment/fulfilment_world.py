"""A dealer that counts, delivers and syncs, for the fulfilment stories.

刘洋 (manager, 门店一组) runs the 西湖门店 shop: serial-tracked 海尔 fridges and counted PP filters.
张伟 (sales) sells a fridge to 赵敏 (杭州市西湖区文三路 88 号); the install team 安装一队 is 孙强
(technician) and 马超 (a second technician); 门店二组's 李娜 is in another team.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import update

from app.accounts.models import Team, User
from app.addresses.service import AddressService
from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.inventory.models import StockLevel
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService
from app.orders.service import OrderService

_mobiles = iter(range(13900000000, 13999999999))


@dataclass
class Dealer:
    kit: TenantKit
    fridge: uuid.UUID
    filters: uuid.UUID
    shop: uuid.UUID
    customer: uuid.UUID
    address: uuid.UUID
    team: uuid.UUID
    extra: dict[str, Any] = field(default_factory=dict)


async def open_dealer(
    app: Litestar, kit: TenantKit, *, fridges: list[str] | None = None, filters: int = 0
) -> Dealer:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        products = ProductService(session, manager)
        fridge = await products.create(
            {"sku": "HR-BCD-470", "name": "海尔十字门冰箱", "serial_tracked": True, "list_price": "5999.00"}
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
        customer = await CustomerService(session, sales).create(
            {"name": "赵敏", "mobile": str(next(_mobiles))}
        )
        address = await AddressService(session, sales).create(
            {
                "customer_id": customer.id,
                "kind": "installation",
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 88 号 3 幢 502",
                "recipient": "赵敏",
                "phone": "13800138000",
            }
        )
        team = Team(name="安装一队")
        session.add(team)
        await session.flush()
        await session.execute(update(User).where(User.id == kit.people["technician"]).values(team_id=team.id))
        await session.commit()
        return Dealer(kit, fridge.id, pp.id, shop.id, customer.id, address.id, team.id)


async def hire_second_technician(app: Litestar, dealer: Dealer) -> uuid.UUID:
    """马超, a technician of 安装一队 (a copy of 孙强's account, another email)."""
    async with app.state.db.tenant_session(dealer.kit.schema) as session:
        sun = await session.get(User, dealer.kit.people["technician"])
        assert sun is not None
        ma = User(
            email=f"ma.chao@{dealer.kit.slug}.example",
            name="马超",
            password_hash=sun.password_hash,
            role_id=sun.role_id,
            team_id=dealer.team,
        )
        session.add(ma)
        await session.commit()
        return ma.id


async def approved_order(app: Litestar, dealer: Dealer) -> uuid.UUID:
    """张伟 sells one fridge to 赵敏; the order is approved (the fridge reserved)."""
    sales = await actor(app, dealer.kit, "sales_a")
    async with app.state.db.tenant_session(dealer.kit.schema) as session:
        orders = OrderService(session, sales)
        order = await orders.create(
            {
                "customer_id": dealer.customer,
                "warehouse_id": dealer.shop,
                "lines": [{"product_id": dealer.fridge, "quantity": 1}],
            }
        )
        order = await orders.transition(order.id, "submitted", order.version)
        order = await orders.transition(order.id, "approved", order.version)
        return order.id


async def level(app: Litestar, kit: TenantKit, product: uuid.UUID, warehouse: uuid.UUID) -> tuple[int, int]:
    async with app.state.db.tenant_session(kit.schema) as session:
        row = await session.get(StockLevel, (product, warehouse))
        return (row.on_hand, row.reserved) if row else (0, 0)


def codes(exc: Any) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.errors]
