"""The quote list's filters, declared once (app.kit.filters): the admin list's query string reads
them, and ``list_quotes`` turns a checked value into the quote service's page. The stages are the
tenant's workflow (data, not an enum): a stage filter is a word the list checks against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, Search, Tag
from app.kit.paging import Page
from app.quotes.models import Quote
from app.quotes.service import QuoteService, quote_conditions

QUOTE_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    Tag("status", N_("Quote status"), max_length=32),
)


@dataclass(frozen=True)
class QuoteFilter:
    search: str | None = None
    status: str | None = None


async def list_quotes(
    session: AsyncSession, actor: Actor, filters: QuoteFilter, **paging: Any
) -> Page[Quote]:
    """One page of the quotes the actor can see: text (through the gram index), a stage; ``paging``:
    order, first, after, before."""
    conditions = quote_conditions(status=filters.status, search=filters.search)
    return await QuoteService(session, actor).page(conditions, **paging)
