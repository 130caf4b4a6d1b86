"""The demo tenant's catalog and stock: a central warehouse, two shops and a technician's van; products
of well-known brands in the reference categories; receipts (serial numbers for the big appliances),
sales over the past weeks, a transfer to the van, thresholds so the low-stock list and the
replenishment page have something to say. Through the stock service, so the ledger is real; done
once (a tenant that has warehouses already is left alone)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.catalog.models import Brand, ProductCategory
from app.catalog.service import ProductService
from app.inventory.models import Warehouse
from app.inventory.service import WarehouseService
from app.inventory.stock import Source, StockService

# (brand, category code, name, model, list price, energy grade)
PRODUCTS = (
    ("海尔", "fridge", "海尔十字对开门冰箱", "BCD-470WGHTD", "4999", "1"),
    ("美的", "fridge", "美的风冷无霜三门冰箱", "BCD-249WTM", "2599", "1"),
    ("西门子", "fridge", "西门子零度保鲜冰箱", "KA92NV02TI", "6999", "1"),
    ("格力", "ac", "格力云佳壁挂空调 1.5匹", "KFR-35GW", "2999", "1"),
    ("美的", "ac", "美的酷省电壁挂空调 1匹", "KFR-26GW", "2399", "1"),
    ("大金", "ac", "大金 FTXR 变频空调 1.5匹", "FTXR336WC", "5999", "1"),
    ("小天鹅", "washer", "小天鹅 10kg 滚筒洗衣机", "TG100V88WMUIADY5", "3299", "1"),
    ("海尔", "washer", "海尔 10kg 洗烘一体机", "EG100HMATE81S", "3999", "1"),
    ("海信", "tv", "海信 65 英寸 ULED 电视", "65E7K", "4999", "2"),
    ("A.O.史密斯", "water_heater_electric", "A.O.史密斯 60升电热水器", "E60VN3", "2999", "1"),
    ("林内", "water_heater_gas", "林内 16升燃气热水器", "RUS-16QD31", "4299", "1"),
    ("方太", "range_hood", "方太侧吸式油烟机", "JCD10TA", "4599", None),
    ("沁园", "water_purifier", "沁园 RO 反渗透净水器", "QR-RL-505", "2699", None),
    ("苏泊尔", "rice_cooker", "苏泊尔球釜电饭煲 4L", "SF40HC46", "399", None),
)


async def ensure_demo_stock(
    db: Any, schema: str, owner_id: uuid.UUID, echo: Callable[[str], object] = print
) -> None:
    rng = random.Random(20261127)
    async with db.tenant_session(schema) as session:
        if await session.scalar(select(func.count()).select_from(Warehouse)):
            return
        user = await accounts_repo.user_by_id(session, owner_id)
        assert user is not None
        owner = actor_for(user, ip="127.0.0.1", request_id="demo-seed")
        brands = dict((await session.execute(select(Brand.name, Brand.id))).all())
        categories = {c.code: c for c in (await session.scalars(select(ProductCategory))).all()}
        warehouses = WarehouseService(session, owner)
        central = await warehouses.create({"code": "HZ-01", "name": "杭州总仓", "kind": "central"})
        shops = [
            await warehouses.create({"code": "XH-01", "name": "西湖门店", "kind": "shop"}),
            await warehouses.create({"code": "BJ-01", "name": "滨江门店", "kind": "shop"}),
        ]
        van = await warehouses.create({"code": "VAN-01", "name": "技师一号车", "kind": "van"})
        central_id, van_id, shop_ids = central.id, van.id, [s.id for s in shops]
        products = ProductService(session, owner)
        stock = StockService(session, owner)
        made = 0
        for brand, code, name, model, price, grade in PRODUCTS:
            category = categories.get(code)
            tracked = bool(category and category.serial_tracked)
            product = await products.create(
                {
                    "sku": f"{model}",
                    "name": name,
                    "model": model,
                    "brand_id": brands.get(brand),
                    "category_id": category.id if category else None,
                    "list_price": price,
                    "cost": str(round(int(price) * 0.78)),
                    "serial_tracked": tracked,
                    "energy_grade": grade,
                }
            )
            product_id, prefix = product.id, model.replace("-", "")[:8].upper()
            count = rng.randint(8, 20)
            serials = [f"{prefix}{26110000 + made * 100 + i}" for i in range(count)] if tracked else None
            await stock.receive(
                product_id=product_id,
                warehouse_id=central_id,
                quantity=count,
                serials=serials,
                source=Source("purchase", f"PO-2611{made:02d}"),
            )
            moved = serials[: count // 2] if serials else None
            shop_id = shop_ids[made % 2]
            await stock.transfer(
                product_id=product_id,
                from_warehouse_id=central_id,
                to_warehouse_id=shop_id,
                quantity=count // 2,
                serials=moved,
            )
            sold = rng.randint(1, max(1, count // 2 - 1))
            await stock.issue(
                product_id=product_id,
                warehouse_id=shop_id,
                quantity=sold,
                serials=moved[:sold] if moved else None,
                source=Source("order", f"SO-2611{made:02d}"),
            )
            await stock.set_thresholds(
                product_id=product_id, warehouse_id=shop_id, low_stock_threshold=count // 2, lead_time_days=7
            )
            made += 1
        filters = (await products.page(first=100)).items
        for item in [p for p in filters if p.kind == "consumable"][:3]:
            await stock.receive(product_id=item.id, warehouse_id=van_id, quantity=12)
            await stock.issue(product_id=item.id, warehouse_id=van_id, quantity=5, consumed=True)
    echo(f"demo: {made} products in 4 warehouses with receipts, transfers, sales and thresholds")
