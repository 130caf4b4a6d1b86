"""The ERP connector's SQL: its settings row, its runs, the orders to push, who hears of a failure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.catalog.models import Product
from app.customers.models import Customer
from app.erp.models import ErpConnector, ErpSyncRun
from app.orders.models import Order, OrderLine


async def connector(session: AsyncSession, *, for_update: bool = False) -> ErpConnector | None:
    query = select(ErpConnector).where(ErpConnector.id == 1)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def runs(session: AsyncSession, first: int) -> list[ErpSyncRun]:
    return list((await session.scalars(select(ErpSyncRun).order_by(ErpSyncRun.id.desc()).limit(first))).all())


async def run(session: AsyncSession, run_id: int) -> ErpSyncRun | None:
    return await session.get(ErpSyncRun, run_id)


async def orders_changed_since(
    session: AsyncSession, since: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Live orders changed after ``since`` (updated at, id), oldest change first, as the ERP gets
    them: the order, its customer's name and mobile, its lines with the products' SKUs."""
    query = (
        select(Order, Customer.name, Customer.mobile)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.deleted_at.is_(None))
        .order_by(Order.updated_at, Order.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(tuple_(Order.updated_at, Order.id) > tuple_(*since))
    found = (await session.execute(query)).all()
    ids = [order.id for order, _, _ in found]
    lines: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(OrderLine, Product.sku)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(ids))
            .order_by(OrderLine.order_id, OrderLine.position)
        )
        for line, sku in rows.all():
            lines[line.order_id].append(
                {
                    "kind": line.kind,
                    "sku": sku,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": str(line.unit_price),
                    "discount": str(line.discount),
                    "amount": str(line.amount),
                    "serial_numbers": list(line.serial_numbers or []),
                }
            )
    return [
        {
            "id": str(order.id),
            "number": order.number,
            "status": order.status,
            "customer": {"id": str(order.customer_id), "name": name, "mobile": mobile},
            "total": str(order.total),
            "paid": str(order.paid),
            "invoice_type": order.invoice_type,
            "invoice_title": order.invoice_title,
            "invoice_tax_no": order.invoice_tax_no,
            "created_at": order.created_at.isoformat(),
            "updated_at": order.updated_at.isoformat(),
            "lines": lines[order.id],
            "_key": (order.updated_at, order.id),
        }
        for order, name, mobile in found
    ]


async def people_with(session: AsyncSession, permission: str) -> list[uuid.UUID]:
    """Active staff whose role holds ``permission`` (a failed sync is told to them)."""
    query = (
        select(User.id)
        .join(Role, Role.id == User.role_id)
        .where(User.is_active.is_(True), Role.permissions.contains([permission]))
    )
    return list((await session.scalars(query)).all())
