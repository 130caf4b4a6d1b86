"""Tenant tables of quotes: the quote (a kit record on a workflow) and its lines."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, uuid_pk
from app.kit.model import OwnedMixin, RecordMixin, SearchMixin, search_index
from app.orders.fields import LineKind


class Quote(OwnedMixin, SearchMixin, RecordMixin, TenantBase):
    """An offer to a customer. Prices include VAT (含税价): ``tax`` is the VAT inside ``total`` at
    ``tax_rate`` percent. ``order_id``: the order it was converted to."""

    __tablename__ = "quotes"

    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    price_list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_lists.id"))
    status: Mapped[str] = mapped_column(String(32))
    valid_until: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    max_discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("13.00"))
    tax: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    note: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))

    __table_args__ = (
        search_index("quotes"),
        Index("uq_quotes_number", "number", unique=True),
        Index("ix_quotes_customer_id", "customer_id"),
        Index("ix_quotes_created_at_id", "created_at", "id"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_in_range"),
    )


class QuoteLine(TenantBase):
    """One line, as an order line: a product (quantity × unit price less the discount) or a trade-in."""

    __tablename__ = "quote_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default=LineKind.PRODUCT.value)
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    __table_args__ = (
        Index("ix_quote_lines_quote_id", "quote_id", "position"),
        LineKind.check_constraint("kind", name="kind_allowed", nullable=False),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="discount_in_range"),
    )
