"""Tenant tables of price lists: the list (a kit record with its validity and the customers it
serves) and its per-product prices."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.customers.fields import CustomerTier
from app.db import TenantBase
from app.kit.model import RecordMixin
from app.pricing.fields import PriceListKind


class PriceList(RecordMixin, TenantBase):
    """Prices valid from ``valid_from`` to ``valid_to`` (both included; open-ended when empty), for
    customers of ``tier`` (every customer without a list of their own when empty)."""

    __tablename__ = "price_lists"

    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12), default=PriceListKind.RETAIL.value)
    tier: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_price_lists_created_at_id", "created_at", "id"),
        PriceListKind.check_constraint("kind", name="kind_allowed", nullable=False),
        CustomerTier.check_constraint("tier", name="tier_allowed"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class PriceListItem(TenantBase):
    """One product's price on a list."""

    __tablename__ = "price_list_items"

    price_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    __table_args__ = (
        Index("ix_price_list_items_product_id", "product_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )
