"""The starting catalog: categories (with the 三包 baseline and safe-use life), brands, and the common
consumables and maintenance items, from the project's reference data (``app.reference.appliances``).

New tenants get it at signup (on the provisioning connection); an existing tenant gets it with
``dealercrm catalog seed --tenant <slug>``. Seeding again adds only what is missing, so a dealer's
edits are kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.catalog.models import Brand, Product, ProductCategory
from app.reference import appliances
from app.search.grams import build_document
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER


async def _seed(conn: Any) -> dict[str, int]:
    """Insert what is missing; ``conn`` is a connection or session bound to the tenant's schema."""
    added = {"categories": 0, "brands": 0, "consumables": 0}
    for cat in appliances.categories():  # parents come first in the file
        parent_id = None
        if cat.parent:
            parent_id = await conn.scalar(
                select(ProductCategory.id).where(ProductCategory.code == cat.parent)
            )
        result = await conn.execute(
            insert(ProductCategory)
            .values(
                code=cat.code,
                name=cat.name,
                name_en=cat.name_en,
                parent_id=parent_id,
                serial_tracked=cat.serial_tracked,
                installation=cat.installation,
                warranty_whole_months=cat.warranty_whole_months,
                warranty_main_parts_months=cat.warranty_main_parts_months,
                main_parts=cat.main_parts,
                safe_use_years=cat.safe_use_years,
            )
            .on_conflict_do_nothing(index_elements=["code"])
        )
        added["categories"] += result.rowcount or 0
    brand_rows = [{"name": b.name, "name_en": b.name_en} for b in appliances.brands()]
    result = await conn.execute(
        insert(Brand).values(brand_rows).on_conflict_do_nothing(index_elements=["name"])
    )
    added["brands"] = result.rowcount or 0
    codes = dict((await conn.execute(select(ProductCategory.code, ProductCategory.id))).all())
    for item in appliances.consumables():
        sku = f"REF-{item.category}-{item.name_en}".upper().replace(" ", "-")[:60]
        if await conn.scalar(select(Product.id).where(Product.sku == sku, Product.deleted_at.is_(None))):
            continue
        doc = build_document([sku, item.name], pinyin_fields=[item.name])
        await conn.execute(
            insert(Product).values(
                sku=sku,
                name=item.name,
                kind="consumable" if item.kind == "consumable" else "service",
                category_id=codes.get(item.category),
                unit="个" if item.kind == "consumable" else "次",
                serial_tracked=False,
                replacement_months=item.interval_months_min,
                version=1,
                custom={},
                search_text=doc.text,
                search_grams=doc.grams,
            )
        )
        added["consumables"] += 1
    return added


async def seed_catalog(conn: AsyncConnection, schema: str) -> dict[str, int]:
    """On the provisioning connection (same transaction as the tenant's schema and roles)."""
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    try:
        return await _seed(bound)
    finally:
        await conn.execution_options(schema_translate_map=None)


async def install_starting_catalog(session: AsyncSession) -> dict[str, int]:
    """For an existing tenant (CLI, demo): commits."""
    added = await _seed(session)
    await session.commit()
    return added
