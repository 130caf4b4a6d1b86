"""The price list list's filters, declared once (app.kit.filters): the admin list's query string
reads them, and ``list_price_lists`` turns a checked value into the price list service's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.fields import CustomerTier
from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, OneOf, Search
from app.kit.paging import Page
from app.pricing.fields import PriceListKind
from app.pricing.models import PriceList
from app.pricing.service import PriceListService
from app.search.grams import escape_like, normalize

PRICE_LIST_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    OneOf("kind", N_("Price list kind"), enum=PriceListKind),
    OneOf("tier", N_("For customers of tier"), enum=CustomerTier),
)


@dataclass(frozen=True)
class PriceListFilter:
    search: str | None = None
    kind: str | None = None
    tier: str | None = None


async def list_price_lists(
    session: AsyncSession, actor: Actor, filters: PriceListFilter, **paging: Any
) -> Page[PriceList]:
    """One page of price lists: every word of the search in the name, a kind, a tier; ``paging``:
    order, first, after, before."""
    words = normalize(filters.search or "").split()
    conditions: list[ColumnElement[bool]] = [PriceList.name.ilike(f"%{escape_like(w)}%") for w in words]
    if filters.kind:
        conditions.append(PriceList.kind == filters.kind)
    if filters.tier:
        conditions.append(PriceList.tier == filters.tier)
    return await PriceListService(session, actor).page(conditions, **paging)
