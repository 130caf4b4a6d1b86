"""Products on the entity kit, and the catalog's reference lists (categories, brands).

Rules that are the product's own: a SKU names one live product; brand and category must exist; a
product whose stock is not zero keeps its serial tracking and cannot be deleted (its units would
lose their meaning).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.entity import PRODUCT
from app.catalog.fields import EnergyGrade, ProductKind
from app.catalog.models import Brand, Product, ProductCategory, ProductLink
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.inventory.models import StockLevel
from app.kit.fields import Choice, Fields, Flag, Ref, Text
from app.kit.numbers import Money, Whole
from app.kit.scope import TenantWide
from app.kit.service import EntityService, unit_of_work
from app.search.grams import build_document, build_query


class ProductService(EntityService[Product]):
    spec = PRODUCT
    model = Product
    fields = Fields(
        {
            "sku": Text(required=True, max_length=60),
            "name": Text(required=True, max_length=120),
            "model": Text(max_length=60),
            "kind": Choice(required=True, enum=ProductKind),
            "brand_id": Ref(),
            "category_id": Ref(),
            "unit": Text(required=True, max_length=10),
            "list_price": Money(),
            "cost": Money(),
            "warranty_months": Whole(minimum=0, maximum=240),
            "serial_tracked": Flag(),
            "energy_grade": Choice(enum=EnergyGrade),
            "specs": Text(max_length=2000, multiline=True),
            "replacement_months": Whole(minimum=1, maximum=120),
        },
        defaults={"kind": ProductKind.APPLIANCE.value, "unit": "台"},
    )
    scope = TenantWide()
    sort_fields = ("created_at", "updated_at", "name", "sku")

    async def _check_refs(self, values: dict[str, Any], record: Product | None = None) -> None:
        errors: list[FieldError] = []
        brand_id, category_id = values.get("brand_id"), values.get("category_id")
        if brand_id is not None and await self.session.get(Brand, brand_id) is None:
            errors.append(FieldError("brand_id", "unknown_brand", "is not a brand of this catalog"))
        if category_id is not None and await self.session.get(ProductCategory, category_id) is None:
            errors.append(FieldError("category_id", "unknown_category", "is not a category of this catalog"))
        sku = values.get("sku")
        if sku:
            query = select(Product.id).where(Product.sku == sku, Product.deleted_at.is_(None))
            if record is not None:
                query = query.where(Product.id != record.id)
            if await self.session.scalar(query.limit(1)) is not None:
                errors.append(FieldError("sku", "duplicate_sku", "another product has this SKU"))
        if (
            record is not None
            and "serial_tracked" in values
            and values["serial_tracked"] != record.serial_tracked
        ):
            if await stock_on_hand(self.session, record.id) > 0:
                errors.append(
                    FieldError("serial_tracked", "serial_change_with_stock", "the product has stock")
                )
        if errors:
            raise ValidationFailed(errors)

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check_refs(values)

    async def before_update(self, record: Product, values: dict[str, Any]) -> None:
        await self._check_refs(values, record)

    async def before_delete(self, record: Product, *, deleted: bool) -> None:
        if deleted and await stock_on_hand(self.session, record.id) > 0:
            raise ValidationFailed([FieldError("id", "has_stock", "the product still has stock")])

    def index(self, record: Product, extra_text: Sequence[str] = ()) -> None:
        doc = build_document(
            [record.sku, record.name, record.model, record.specs, *extra_text], pinyin_fields=[record.name]
        )
        record.search_text, record.search_grams = doc.text, doc.grams

    # -- consumables and accessories --------------------------------------------------------------

    async def link(self, product_id: uuid.UUID, linked_id: uuid.UUID, kind: str) -> ProductLink:
        """Name ``linked_id`` as a consumable or accessory of ``product_id`` (idempotent)."""
        self.require("edit")
        async with unit_of_work(self.session):
            product = await self._load(product_id)
            linked = await self._load(linked_id)
            errors: list[FieldError] = []
            if kind not in ("consumable", "accessory"):
                errors.append(FieldError("kind", "invalid_choice", "must be consumable or accessory"))
            if product.id == linked.id:
                errors.append(FieldError("linked_id", "self_link", "a product is not its own consumable"))
            if errors:
                raise ValidationFailed(errors)
            found = await self.session.get(ProductLink, (product.id, linked.id))
            if found is None:
                found = ProductLink(product_id=product.id, linked_id=linked.id, kind=kind)
                self.session.add(found)
            else:
                found.kind = kind
            self._audit(product, "update", None, {"links": {str(linked.id): kind}})
        return found

    async def links(self, product_id: uuid.UUID) -> list[tuple[ProductLink, Product]]:
        """A product's consumables and accessories, with the linked products."""
        self.require("read")
        await self._load(product_id)
        rows = await self.session.execute(
            select(ProductLink, Product)
            .join(Product, Product.id == ProductLink.linked_id)
            .where(ProductLink.product_id == product_id, Product.deleted_at.is_(None))
            .order_by(ProductLink.kind, Product.name)
        )
        return [(link, product) for link, product in rows]


async def stock_on_hand(session: AsyncSession, product_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(StockLevel.product_id == product_id)
    )
    return int(total or 0)


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


async def categories(session: AsyncSession, actor: Actor) -> list[ProductCategory]:
    """The category tree, parents first, then by name."""
    _require(actor, "catalog:read")
    rows = await session.scalars(select(ProductCategory).order_by(ProductCategory.code))
    found = list(rows.all())
    by_parent: dict[uuid.UUID | None, list[ProductCategory]] = {}
    for c in found:
        by_parent.setdefault(c.parent_id, []).append(c)
    ordered: list[ProductCategory] = []

    def walk(parent: uuid.UUID | None) -> None:
        for c in by_parent.get(parent, []):
            ordered.append(c)
            walk(c.id)

    walk(None)
    return ordered


async def brands(session: AsyncSession, actor: Actor) -> list[Brand]:
    _require(actor, "catalog:read")
    return list((await session.scalars(select(Brand).order_by(Brand.name))).all())


async def category(session: AsyncSession, actor: Actor, category_id: uuid.UUID) -> ProductCategory:
    _require(actor, "catalog:read")
    found = await session.get(ProductCategory, category_id)
    if found is None:
        raise NotFound("category", category_id)
    return found


def warranty_months(product: Product, category: ProductCategory | None) -> int | None:
    """The product's own warranty, else its category's 三包 whole-unit baseline."""
    if product.warranty_months is not None:
        return product.warranty_months
    return category.warranty_whole_months if category is not None else None


async def product_conditions(
    session: AsyncSession,
    *,
    search: str | None = None,
    category_id: uuid.UUID | None = None,
    brand_id: uuid.UUID | None = None,
    kind: str | None = None,
) -> list[ColumnElement[bool]]:
    """A product list's filter as query conditions: text (SKU, name, model, pinyin initials through
    the gram index), a category with its subcategories, a brand, a kind. Bad values are field errors."""
    errors: list[FieldError] = []
    conditions: list[ColumnElement[bool]] = []
    if search and search.strip():
        if len(search) > 100:
            errors.append(FieldError("search", "too_long", "must be at most 100 characters"))
        else:
            built = build_query(search)
            if built is not None:
                if built.grams:
                    conditions.append(Product.search_grams.contains(built.grams))
                conditions += [Product.search_text.like(p) for p in built.like_patterns]
    if kind is not None and ProductKind.parse(kind) is None:
        errors.append(
            FieldError("kind", "invalid_choice", f"must be one of {', '.join(ProductKind.values())}")
        )
    elif kind is not None:
        conditions.append(Product.kind == kind)
    if brand_id is not None:
        conditions.append(Product.brand_id == brand_id)
    if category_id is not None:
        children = select(ProductCategory.id).where(ProductCategory.parent_id == category_id)
        conditions.append(or_(Product.category_id == category_id, Product.category_id.in_(children)))
    if errors:
        raise ValidationFailed(errors)
    return conditions
