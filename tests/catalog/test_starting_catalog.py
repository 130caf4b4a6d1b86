"""Every new tenant starts with the reference catalog: categories with the 三包 baseline and safe-use
life, brands, consumables with their replacement intervals; seeding again keeps the dealer's edits."""

from __future__ import annotations

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog import service as catalog
from app.catalog.models import Brand, Product, ProductCategory
from app.catalog.starting import install_starting_catalog
from app.reference import appliances


def test_the_reference_data_ships_with_the_project() -> None:
    fridge = next(c for c in appliances.categories() if c.code == "fridge")
    assert (fridge.name, fridge.warranty_whole_months, fridge.warranty_main_parts_months) == ("冰箱", 12, 36)
    assert fridge.main_parts == "压缩机" and fridge.safe_use_years == 13
    gas = next(c for c in appliances.categories() if c.code == "water_heater_gas")
    assert gas.safe_use_years == 8  # GB 17905-2008
    assert "海尔" in {b.name for b in appliances.brands()}
    ro = next(c for c in appliances.consumables() if c.name_en == "RO membrane")
    assert (ro.interval_months_min, ro.interval_months_max) == (24, 36)


async def test_a_new_tenant_has_the_starting_catalog_and_seeding_again_adds_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        tree = await catalog.categories(session, await actor(app, tenant, "sales_a"))
        codes = [c.code for c in tree]
        # Parents come before their children (冷柜 under 冰箱).
        assert codes.index("fridge") < codes.index("freezer")
        freezer = next(c for c in tree if c.code == "freezer")
        assert freezer.parent_id == next(c.id for c in tree if c.code == "fridge")
        assert len(await catalog.brands(session, await actor(app, tenant, "viewer"))) == len(
            appliances.brands()
        )
        fridge = next(c for c in tree if c.code == "fridge")
        fridge.warranty_whole_months = 24  # the dealer gives two years
        await session.commit()
        counts = [
            await session.scalar(select(func.count()).select_from(m))
            for m in (ProductCategory, Brand, Product)
        ]
        added = await install_starting_catalog(session)
        assert added == {"categories": 0, "brands": 0, "consumables": 0}
        again = [
            await session.scalar(select(func.count()).select_from(m))
            for m in (ProductCategory, Brand, Product)
        ]
        assert again == counts
        kept = await session.scalar(
            select(ProductCategory.warranty_whole_months).where(ProductCategory.code == "fridge")
        )
        assert kept == 24
