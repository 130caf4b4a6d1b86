"""SQL of the pipeline: products of interest, names for pages, the board's columns and the sums
the forecast and targets read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.customers.models import Customer
from app.opportunities.models import OpportunityProduct


async def live_products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Product).where(Product.id.in_(set(ids)), Product.deleted_at.is_(None))
    )
    return {p.id: p for p in rows.all()}


async def products_of(
    session: AsyncSession, opportunity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[OpportunityProduct]]:
    found: dict[uuid.UUID, list[OpportunityProduct]] = {i: [] for i in opportunity_ids}
    if not opportunity_ids:
        return found
    rows = await session.scalars(
        select(OpportunityProduct)
        .where(OpportunityProduct.opportunity_id.in_(list(opportunity_ids)))
        .order_by(OpportunityProduct.opportunity_id, OpportunityProduct.position)
    )
    for line in rows.all():
        found.setdefault(line.opportunity_id, []).append(line)
    return found


async def replace_products(
    session: AsyncSession, opportunity_id: uuid.UUID, lines: Sequence[OpportunityProduct]
) -> None:
    await session.execute(
        delete(OpportunityProduct).where(OpportunityProduct.opportunity_id == opportunity_id)
    )
    session.add_all(lines)
    await session.flush()


async def names(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID], product_ids: Sequence[uuid.UUID] = ()
) -> dict[uuid.UUID, str]:
    """Id → name of the customers and products a page shows."""
    found: dict[uuid.UUID, str] = {}
    for model, ids in ((Customer, customer_ids), (Product, product_ids)):
        if ids:
            rows = await session.execute(select(model.id, model.name).where(model.id.in_(set(ids))))
            found.update({row[0]: row[1] for row in rows.all()})
    return found
