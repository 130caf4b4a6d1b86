"""Tenant tables of the catalog: categories and brands (reference data a dealer edits), products and
the links from a product to its consumables and accessories."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.catalog.fields import EnergyGrade, LinkKind, ProductKind
from app.db import TenantBase, uuid_pk
from app.kit.model import RecordMixin, SearchMixin, search_index


class ProductCategory(TenantBase):
    """A node of the category tree, with the national 三包 baseline and the safe-use life."""

    __tablename__ = "product_categories"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("product_categories.id"))
    serial_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    installation: Mapped[bool] = mapped_column(Boolean, default=False)
    warranty_whole_months: Mapped[int] = mapped_column(Integer, default=12)
    warranty_main_parts_months: Mapped[int] = mapped_column(Integer, default=12)
    main_parts: Mapped[str | None] = mapped_column(String(40))
    safe_use_years: Mapped[int | None] = mapped_column(Integer)


class Brand(TenantBase):
    __tablename__ = "brands"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(60))


class Product(SearchMixin, RecordMixin, TenantBase):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    model: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16), default=ProductKind.APPLIANCE.value)
    brand_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("brands.id"))
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("product_categories.id"))
    unit: Mapped[str] = mapped_column(String(10), default="台")
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The product's own warranty; the category's 三包 baseline applies when it is empty.
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    serial_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    energy_grade: Mapped[str | None] = mapped_column(String(2))
    specs: Mapped[str | None] = mapped_column(Text)
    # Consumables: how often a unit's owner should replace it (reminders read this).
    replacement_months: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        search_index("products"),
        # A SKU names one live product (a deleted one frees it).
        Index("uq_products_sku_live", "sku", unique=True, postgresql_where="deleted_at IS NULL"),
        Index("ix_products_category_id", "category_id"),
        Index("ix_products_created_at_id", "created_at", "id"),
        ProductKind.check_constraint("kind", name="kind_allowed", nullable=False),
        EnergyGrade.check_constraint("energy_grade", name="energy_grade_allowed"),
    )


class ProductLink(TenantBase):
    """A product's consumable or accessory (a purifier's PP filter)."""

    __tablename__ = "product_links"

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    linked_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        LinkKind.check_constraint("kind", name="kind_allowed", nullable=False),
        Index("ix_product_links_linked_id", "linked_id"),
    )
