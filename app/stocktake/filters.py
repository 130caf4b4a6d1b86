"""The stock count list's filters, declared once (app.kit.filters): the admin list's query string
reads them, and ``list_counts`` turns a checked value into the count service's page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, OneOf, Owner, Search
from app.kit.paging import Page
from app.search.grams import escape_like, normalize
from app.stocktake.fields import CountStatus
from app.stocktake.models import StockCount
from app.stocktake.service import StockCountService

STOCK_COUNT_FILTERS = FilterSpec(
    Search("search", N_("Count number"), param="q", max_length=40),
    Owner("warehouse_id", N_("Warehouse"), param="warehouse"),
    OneOf("status", N_("Count status"), enum=CountStatus),
)


@dataclass(frozen=True)
class StockCountFilter:
    search: str | None = None
    warehouse_id: uuid.UUID | None = None
    status: str | None = None


async def list_counts(
    session: AsyncSession, actor: Actor, filters: StockCountFilter, **paging: Any
) -> Page[StockCount]:
    """One page of count sheets: a number (or part of one), a warehouse, a status; ``paging``:
    order, first, after, before."""
    conditions: list[ColumnElement[bool]] = [
        StockCount.number.ilike(f"%{escape_like(w)}%") for w in normalize(filters.search or "").split()
    ]
    if filters.warehouse_id is not None:
        conditions.append(StockCount.warehouse_id == filters.warehouse_id)
    if filters.status:
        conditions.append(StockCount.status == filters.status)
    return await StockCountService(session, actor).page(conditions, **paging)
