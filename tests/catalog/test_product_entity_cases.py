"""Products owe everything every entity owes (tests/entity_cases.py), plus their own rules: a SKU
names one live product, brand and category come from the catalog, and stock pins a product down."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from entity_cases import KitEntityCases
from litestar import Litestar
from sqlalchemy import select

from app.catalog.models import Brand, ProductCategory
from app.catalog.service import ProductService, warranty_months
from app.domain import ValidationFailed
from app.inventory.service import WarehouseService
from app.inventory.stock import StockService


async def _refs(app: Litestar, kit: TenantKit) -> tuple[uuid.UUID, uuid.UUID]:
    """海尔 and 冰箱, from the starting catalog every tenant gets at signup."""
    async with app.state.db.tenant_session(kit.schema) as session:
        brand = await session.scalar(select(Brand.id).where(Brand.name == "海尔"))
        category = await session.scalar(select(ProductCategory.id).where(ProductCategory.code == "fridge"))
    assert brand and category
    return brand, category


class TestProductEntity(KitEntityCases):
    service = ProductService
    writer = "manager_a"
    deleter = "manager_a"
    read_only = "sales_a"
    # The catalog is the whole shop's: every role that reads it sees every product.
    sees_writers_record = ("sales_a", "sales_b", "manager_b", "technician", "viewer", "owner")
    blind_to_writers_record = ()
    valid_input = {
        "sku": "HR-BCD-470WGHTD",
        "name": "海尔十字对开门冰箱",
        "model": "BCD-470WGHTD",
        "list_price": "4999.00",
        "serial_tracked": True,
        "energy_grade": "1",
    }
    update_input = {"name": "海尔470升十字门冰箱", "list_price": Decimal("4599.00"), "warranty_months": 36}
    bad_inputs = [
        ({"sku": ""}, {("sku", "required")}),
        ({"name": "冰" * 121}, {("name", "too_long")}),
        ({"list_price": "四千"}, {("list_price", "invalid_amount")}),
        ({"list_price": "-1"}, {("list_price", "out_of_range")}),
        ({"cost": "12.345"}, {("cost", "invalid_amount")}),
        ({"warranty_months": "999"}, {("warranty_months", "out_of_range")}),
        ({"warranty_months": "1.5"}, {("warranty_months", "invalid_number")}),
        ({"energy_grade": "6"}, {("energy_grade", "invalid_choice")}),
        ({"kind": "fridge"}, {("kind", "invalid_choice")}),
        ({"brand_id": str(uuid.uuid4())}, {("brand_id", "unknown_brand")}),
        ({"category_id": "nope"}, {("category_id", "invalid_id")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        brand, category = await _refs(app, kit)
        # Each created product needs its own SKU (a SKU names one live product).
        return {"brand_id": brand, "category_id": category, "sku": f"HR-{uuid.uuid4().hex[:8]}"}


async def _service(app: Litestar, kit: TenantKit, who: str, cls: type = ProductService) -> Any:
    return cls(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


async def test_a_sku_names_one_live_product(app: Litestar, tenant: TenantKit) -> None:
    products = await _service(app, tenant, "manager_a")
    first = (await products.create({"sku": "MD-KFR-35GW", "name": "美的酷省电空调"})).id
    with pytest.raises(ValidationFailed) as caught:
        await products.create({"sku": "MD-KFR-35GW", "name": "另一台空调"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("sku", "duplicate_sku")]
    # Deleting the first frees its SKU.
    await products.delete(first)
    again = await products.create({"sku": "MD-KFR-35GW", "name": "美的酷省电空调（新款）"})
    assert again.id != first
    await products.session.close()


async def test_a_product_with_stock_keeps_its_serial_tracking_and_cannot_be_deleted(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 received two washers: turning off serial numbers would orphan their units."""
    products = await _service(app, tenant, "manager_a")
    washer = await products.create({"sku": "LS-TG100", "name": "小天鹅滚筒洗衣机", "serial_tracked": True})
    washer_id, version = washer.id, washer.version
    warehouses = await _service(app, tenant, "manager_a", WarehouseService)
    shop_id = (await warehouses.create({"code": "SHOP1", "name": "西湖门店", "kind": "shop"})).id
    stock = StockService(products.session, products.actor)
    await stock.receive(product_id=washer_id, warehouse_id=shop_id, quantity=2, serials=["W001", "W002"])
    with pytest.raises(ValidationFailed) as caught:
        await products.update(washer_id, version, {"serial_tracked": False})
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("serial_tracked", "serial_change_with_stock")
    ]
    with pytest.raises(ValidationFailed) as caught:
        await products.delete(washer_id)
    assert [(e.field, e.code) for e in caught.value.errors] == [("id", "has_stock")]
    with pytest.raises(ValidationFailed) as caught:
        await warehouses.delete(shop_id)
    assert [(e.field, e.code) for e in caught.value.errors] == [("id", "has_stock")]
    await products.session.close()
    await warehouses.session.close()


async def test_a_purifier_lists_its_filters(app: Litestar, tenant: TenantKit) -> None:
    products = await _service(app, tenant, "manager_a")
    purifier = await products.create({"sku": "QY-RO-600", "name": "沁园RO净水器", "warranty_months": None})
    purifier_id = purifier.id
    page = await products.page(first=100)
    pp = next(p for p in page.items if p.name == "PP棉滤芯")
    # The starting catalog's filter comes with its replacement interval (months).
    assert pp.kind == "consumable" and pp.replacement_months == 3
    await products.link(purifier.id, pp.id, "consumable")
    await products.link(purifier.id, pp.id, "consumable")  # idempotent
    assert [(link.kind, p.name) for link, p in await products.links(purifier.id)] == [
        ("consumable", "PP棉滤芯")
    ]
    # A product is not its own consumable (checked last: the refusal rolls the session back).
    category = await products.session.scalar(
        select(ProductCategory).where(ProductCategory.code == "water_purifier")
    )
    # No warranty of its own: the category's 三包 baseline (one year for the whole unit).
    assert warranty_months(purifier, category) == 12
    with pytest.raises(ValidationFailed):
        await products.link(purifier_id, purifier_id, "consumable")
    await products.session.close()
