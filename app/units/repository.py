"""The units' SQL: what a delivery registers, the warranty a product carries, a serial's unit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product, ProductCategory
from app.orders.models import Order, OrderLine
from app.units.fields import UnitStatus
from app.units.models import Unit


async def warranty_months(
    session: AsyncSession, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int | None]:
    """Each product's warranty in months: its own, else its category's 三包 baseline (whole unit)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(Product.id, Product.warranty_months, ProductCategory.warranty_whole_months)
        .outerjoin(ProductCategory, ProductCategory.id == Product.category_id)
        .where(Product.id.in_(list(product_ids)))
    )
    return {pid: own if own is not None else baseline for pid, own, baseline in rows.all()}


async def serial_lines(session: AsyncSession, order_id: uuid.UUID) -> list[tuple[OrderLine, bool]]:
    """The order's product lines with whether the product is serial-tracked."""
    rows = await session.execute(
        select(OrderLine, Product.serial_tracked)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.position)
    )
    return [(line, bool(tracked)) for line, tracked in rows.all()]


async def order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    return await session.get(Order, order_id)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Unit]:
    """Insert the units no unique rule already holds (a serial in use, a line's serial registered
    before): a retried registration inserts nothing. Returns the units inserted."""
    if not rows:
        return []
    result = await session.scalars(
        insert(Unit).values(list(rows)).on_conflict_do_nothing().returning(Unit),
        execution_options={"populate_existing": True},
    )
    return list(result.all())


async def mark_installed(session: AsyncSession, order_id: uuid.UUID, on: date, address: str) -> list[Unit]:
    """An installation visit done: the order's units not yet installed are, on ``on``."""
    result = await session.scalars(
        update(Unit)
        .where(Unit.order_id == order_id, Unit.installed_on.is_(None), Unit.deleted_at.is_(None))
        .values(installed_on=on, installation_address=address, version=Unit.version + 1)
        .returning(Unit),
        execution_options={"populate_existing": True},
    )
    return list(result.all())


async def in_use_with_serial(
    session: AsyncSession, product_id: uuid.UUID, serial: str, other_than: uuid.UUID | None = None
) -> Unit | None:
    query = select(Unit).where(
        Unit.product_id == product_id,
        Unit.serial_number == serial,
        Unit.status == UnitStatus.IN_USE.value,
        Unit.deleted_at.is_(None),
    )
    if other_than is not None:
        query = query.where(Unit.id != other_than)
    return await session.scalar(query.limit(1))


async def live_product(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    return await session.scalar(select(Product).where(Product.id == product_id, Product.deleted_at.is_(None)))


async def product_choices(session: AsyncSession, limit: int = 500) -> list[tuple[uuid.UUID, str, str | None]]:
    rows = await session.execute(
        select(Product.id, Product.name, Product.model)
        .where(Product.deleted_at.is_(None))
        .order_by(Product.name)
        .limit(limit)
    )
    return [(pid, name, model) for pid, name, model in rows.all()]


async def customer_orders(session: AsyncSession, customer_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(Order.id, Order.number)
        .where(Order.customer_id == customer_id, Order.deleted_at.is_(None))
        .order_by(Order.created_at.desc())
        .limit(200)
    )
    return [(oid, number) for oid, number in rows.all()]
