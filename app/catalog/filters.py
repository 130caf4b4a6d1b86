"""The product list's filters, declared once (app.kit.filters): the admin list's query string reads
them, and ``list_products`` turns a checked value into the catalog's query conditions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.fields import ProductKind
from app.catalog.models import Product
from app.catalog.service import ProductService, product_conditions
from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, OneOf, Owner, Search
from app.kit.paging import Page

PRODUCT_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    OneOf("kind", N_("Product kind"), enum=ProductKind),
    Owner("brand_id", N_("Brand"), param="brand"),
    Owner("category_id", N_("Category"), param="category"),
)


@dataclass(frozen=True)
class ProductFilter:
    search: str | None = None
    kind: str | None = None
    brand_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None


async def list_products(
    session: AsyncSession, actor: Actor, filters: ProductFilter, **paging: Any
) -> Page[Product]:
    """One page of the catalog: text (SKU, name, model, pinyin initials), kind, brand, a category
    with its subcategories; ``paging``: order, first, after, before."""
    conditions = await product_conditions(
        session,
        search=filters.search,
        kind=filters.kind,
        brand_id=filters.brand_id,
        category_id=filters.category_id,
    )
    return await ProductService(session, actor).page(conditions, **paging)
