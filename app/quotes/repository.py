"""SQL of quotes: the products a quote page or PDF names (the lines are the kit's, ``app.kit.lines``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product


async def products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Products by id, deleted ones included (a quote keeps naming what it offered)."""
    if not ids:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(set(ids))))
    return {p.id: p for p in rows.all()}
