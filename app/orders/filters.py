"""The order list's filters, declared once (app.kit.filters): the admin list's query string reads
them, and ``list_orders`` turns a checked value into the order service's page. The stages are the
tenant's workflow (data, not an enum): a stage filter is a word the list checks against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, Search, Tag
from app.kit.paging import Page
from app.orders.models import Order
from app.orders.service import OrderService, order_conditions

ORDER_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    Tag("status", N_("Order status"), max_length=32),
)


@dataclass(frozen=True)
class OrderFilter:
    search: str | None = None
    status: str | None = None


async def list_orders(
    session: AsyncSession, actor: Actor, filters: OrderFilter, **paging: Any
) -> Page[Order]:
    """One page of the orders the actor can see: text (through the gram index), a stage; ``paging``:
    order, first, after, before."""
    conditions = order_conditions(status=filters.status, search=filters.search)
    return await OrderService(session, actor).page(conditions, **paging)
