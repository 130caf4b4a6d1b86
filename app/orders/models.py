"""Tenant tables of orders: the order (a kit record on a workflow), its lines, its payment plan and
the payments received against it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, uuid_pk
from app.kit.model import OwnedMixin, RecordMixin, SearchMixin, search_index
from app.orders.fields import InvoiceType, LineKind, PaymentMethod, PlanKind, StockState


class Order(OwnedMixin, SearchMixin, RecordMixin, TenantBase):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    # The warehouse the goods are reserved in and shipped from.
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(32))
    # The sum of the lines (trade-ins negative): kept with the lines in the same transaction.
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    # The largest line discount in percent: approval guards read it.
    max_discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    stock: Mapped[str] = mapped_column(String(10), default=StockState.NONE.value)
    invoice_type: Mapped[str] = mapped_column(String(10), default=InvoiceType.NONE.value)
    invoice_title: Mapped[str | None] = mapped_column(String(100))  # 发票抬头
    invoice_tax_no: Mapped[str | None] = mapped_column(String(20))  # 纳税人识别号
    note: Mapped[str | None] = mapped_column(Text)
    # Where the goods go (migration 0027): the official divisions' names as customer addresses hold
    # them, the street detail, who receives them; a chosen customer address is copied in.
    delivery_province: Mapped[str | None] = mapped_column(String(30))
    delivery_city: Mapped[str | None] = mapped_column(String(30))
    delivery_district: Mapped[str | None] = mapped_column(String(30))
    delivery_detail: Mapped[str | None] = mapped_column(String(200))
    delivery_recipient: Mapped[str | None] = mapped_column(String(60))
    delivery_phone: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        search_index("orders"),
        Index("uq_orders_number", "number", unique=True),
        # A search by a number's tail: ``reverse(number) LIKE 'C9A3%'`` (migration 0027).
        Index("ix_orders_number_reverse", text("reverse(number) text_pattern_ops")),
        Index("ix_orders_created_at_id", "created_at", "id"),
        # The order list by stage, in a salesperson's own scope (and by stage there), of one
        # customer: each page newest first from its index, and the capped count from the live ones
        # alone (migration 0025; the customer's, not partial, also serves the foreign key).
        Index(
            "ix_orders_live_status_created_at_id",
            "status",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_orders_live_owner_created_at_id",
            "owner_id",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_orders_live_owner_status_created_at_id",
            "owner_id",
            "status",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_orders_customer_created_at_id", "customer_id", "created_at", "id"),
        InvoiceType.check_constraint("invoice_type", name="invoice_type_allowed", nullable=False),
        StockState.check_constraint("stock", name="stock_allowed", nullable=False),
        CheckConstraint("paid >= 0", name="paid_not_negative"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )


class OrderLine(TenantBase):
    """One line: a product sold (quantity × unit price less the discount) or a trade-in (以旧换新,
    the old unit described, a negative amount). ``serial_numbers``: the units shipped."""

    __tablename__ = "order_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default=LineKind.PRODUCT.value)
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    serial_numbers: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)

    __table_args__ = (
        Index("ix_order_lines_order_id", "order_id", "position"),
        LineKind.check_constraint("kind", name="kind_allowed", nullable=False),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="discount_in_range"),
        CheckConstraint(
            "(kind = 'product' AND product_id IS NOT NULL AND amount >= 0)"
            " OR (kind = 'trade_in' AND amount <= 0)",
            name="amount_sign",
        ),
    )


class PaymentPlanLine(TenantBase):
    """What the customer is to pay and when: a deposit, instalments, the balance."""

    __tablename__ = "payment_plan_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    __table_args__ = (
        Index("ix_payment_plan_lines_order_id", "order_id", "position"),
        PlanKind.check_constraint("kind", name="kind_allowed", nullable=False),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class Payment(TenantBase):
    """Money received against an order (回款). Append-only: a mistake is corrected by a reversal."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(10))
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(64))  # the bank's or WeChat's transaction no.
    # Taken beyond what the order owed, knowingly (a customer paying ahead for an add-on).
    overpayment: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_payments_order_id", "order_id"),
        Index("ix_payments_customer_id", "customer_id"),
        PaymentMethod.check_constraint("method", name="method_allowed", nullable=False),
        CheckConstraint("amount > 0", name="amount_positive"),
    )
