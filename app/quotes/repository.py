"""SQL of quotes: lines, and the names a quote page or PDF shows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.quotes.models import QuoteLine


async def lines_of(session: AsyncSession, quote_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[QuoteLine]]:
    found: dict[uuid.UUID, list[QuoteLine]] = {i: [] for i in quote_ids}
    if not quote_ids:
        return found
    rows = await session.scalars(
        select(QuoteLine)
        .where(QuoteLine.quote_id.in_(list(quote_ids)))
        .order_by(QuoteLine.quote_id, QuoteLine.position)
    )
    for line in rows.all():
        found.setdefault(line.quote_id, []).append(line)
    return found


async def replace_lines(session: AsyncSession, quote_id: uuid.UUID, lines: Sequence[QuoteLine]) -> None:
    await session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote_id))
    session.add_all(lines)
    await session.flush()


async def products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Products by id, deleted ones included (a quote keeps naming what it offered)."""
    if not ids:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(set(ids))))
    return {p.id: p for p in rows.all()}
