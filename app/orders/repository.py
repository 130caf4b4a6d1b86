"""SQL of orders: lines, products by id, serial-numbered units to ship, payments and receivables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, String, delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.customers.models import Customer
from app.inventory.fields import SerialStatus
from app.inventory.models import SerialUnit, Warehouse
from app.orders.models import Order, OrderLine, Payment, PaymentPlanLine


def number_is(number: str) -> ColumnElement[bool]:
    """Orders with this whole number (the unique index on ``number``)."""
    return Order.number == number


def number_ends_with(tail: str) -> ColumnElement[bool]:
    """Orders whose number ends with ``tail`` (letters, digits and dashes only: the caller checked
    it), through the index on ``reverse(number) text_pattern_ops`` (migration 0027). The pattern is
    rendered into the statement, not bound: a prepared statement's generic plan cannot use an index
    for ``LIKE $1``, whose prefix it does not know."""
    if not tail or set(tail) - set("0123456789ABCDEFSO-"):
        raise ValueError("an order number's tail is letters, digits and dashes")
    pattern = literal(tail[::-1] + "%", String, literal_execute=True)
    return func.reverse(Order.number).like(pattern)


async def live_products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Product).where(Product.id.in_(set(ids)), Product.deleted_at.is_(None))
    )
    return {p.id: p for p in rows.all()}


async def live_warehouse(session: AsyncSession, warehouse_id: uuid.UUID) -> Warehouse | None:
    found = await session.get(Warehouse, warehouse_id)
    return found if found is not None and found.deleted_at is None else None


async def lines_of(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[OrderLine]]:
    found: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in order_ids}
    if not order_ids:
        return found
    rows = await session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id.in_(list(order_ids)))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    for line in rows.all():
        found.setdefault(line.order_id, []).append(line)
    return found


async def replace_lines(session: AsyncSession, order_id: uuid.UUID, lines: Sequence[OrderLine]) -> None:
    await session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
    session.add_all(lines)
    await session.flush()


async def units_to_ship(
    session: AsyncSession, product_id: uuid.UUID, warehouse_id: uuid.UUID, count: int
) -> list[str]:
    """The oldest in-stock units of a product in a warehouse, skipping those another shipment has
    locked (two shipments at once pick different units)."""
    rows = await session.scalars(
        select(SerialUnit.serial_number)
        .where(
            SerialUnit.product_id == product_id,
            SerialUnit.warehouse_id == warehouse_id,
            SerialUnit.status == SerialStatus.IN_STOCK.value,
        )
        .order_by(SerialUnit.updated_at, SerialUnit.serial_number)
        .limit(count)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def plan_of(session: AsyncSession, order_id: uuid.UUID) -> list[PaymentPlanLine]:
    rows = await session.scalars(
        select(PaymentPlanLine).where(PaymentPlanLine.order_id == order_id).order_by(PaymentPlanLine.position)
    )
    return list(rows.all())


async def replace_plan(session: AsyncSession, order_id: uuid.UUID, lines: Sequence[PaymentPlanLine]) -> None:
    await session.execute(delete(PaymentPlanLine).where(PaymentPlanLine.order_id == order_id))
    session.add_all(lines)
    await session.flush()


async def payments_of(session: AsyncSession, order_id: uuid.UUID) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.received_on, Payment.created_at)
    )
    return list(rows.all())


async def receivables(
    session: AsyncSession, visible: Sequence[uuid.UUID] | None, states: Sequence[str], today: date
) -> list[tuple[uuid.UUID, str, Decimal, Decimal, Decimal, int]]:
    """Per customer with orders in ``states``: (customer id, name, total, paid, overdue, orders),
    the largest balance first. ``visible``: the owners whose orders count (None: all)."""
    due = (
        select(PaymentPlanLine.order_id, func.sum(PaymentPlanLine.amount).label("due"))
        .where(PaymentPlanLine.due_on < today)
        .group_by(PaymentPlanLine.order_id)
        .subquery()
    )
    overdue = func.greatest(func.coalesce(due.c.due, 0) - Order.paid, 0)
    query = (
        select(
            Order.customer_id,
            Customer.name,
            func.sum(Order.total),
            func.sum(Order.paid),
            func.sum(overdue),
            func.count(Order.id),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(due, due.c.order_id == Order.id)
        .where(Order.deleted_at.is_(None), Order.status.in_(list(states)))
        .group_by(Order.customer_id, Customer.name)
        .having(func.sum(Order.total) - func.sum(Order.paid) > 0)
        .order_by((func.sum(Order.total) - func.sum(Order.paid)).desc(), Customer.name)
        .limit(500)
    )
    if visible is not None:
        query = query.where(Order.owner_id.in_(list(visible)))
    rows = await session.execute(query)
    return [(r[0], r[1], Decimal(r[2]), Decimal(r[3]), Decimal(r[4]), int(r[5])) for r in rows.all()]


async def names(
    session: AsyncSession,
    customer_ids: Sequence[uuid.UUID],
    warehouse_ids: Sequence[uuid.UUID],
    product_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, str]:
    """Id → name of the customers, warehouses and products an order page shows."""
    found: dict[uuid.UUID, str] = {}
    for model, ids in ((Customer, customer_ids), (Warehouse, warehouse_ids), (Product, product_ids)):
        if ids:
            rows = await session.execute(select(model.id, model.name).where(model.id.in_(set(ids))))
            found.update({row[0]: row[1] for row in rows.all()})
    return found
