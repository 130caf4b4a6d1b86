"""The lead list's filters, declared once (app.kit.filters): the admin list's query string reads
them, and ``list_leads`` turns a checked value into the lead service's page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.kit.enums import N_
from app.kit.filters import FilterSpec, Flag, OneOf, Owner, Search
from app.kit.paging import Page
from app.leads.fields import LeadStatus
from app.leads.models import Lead
from app.leads.pools import PooledCustomer, PoolService
from app.leads.service import LeadService, lead_conditions

LEAD_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    OneOf("status", N_("Lead status"), enum=LeadStatus),
    Owner("owner_id", N_("Owner"), param="owner"),
    Flag("overdue", N_("Overdue only")),
)


@dataclass(frozen=True)
class LeadFilter:
    search: str | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    overdue: bool = False


async def list_leads(session: AsyncSession, actor: Actor, filters: LeadFilter, **paging: Any) -> Page[Lead]:
    """One page of the leads the actor may see: text (name, phone, e-mail, company, region), status,
    owner, overdue (no first response in time); ``paging``: order, first, after, before."""
    conditions = lead_conditions(search=filters.search, status=filters.status, overdue=filters.overdue)
    if filters.owner_id is not None:
        conditions.append(Lead.owner_id == filters.owner_id)
    return await LeadService(session, actor).page(conditions, **paging)


# A pool's customers: which pool (the page opens the first one).
POOL_FILTERS = FilterSpec(Owner("pool_id", N_("Customer pool"), param="pool"))


@dataclass(frozen=True)
class PoolFilter:
    pool_id: uuid.UUID | None = None


async def list_pool_customers(
    session: AsyncSession, actor: Actor, filters: PoolFilter, *, first: int, **paging: Any
) -> Page[PooledCustomer]:
    """One page of a pool's customers, basic data only (no pool: nothing); ``paging``: order,
    after, before."""
    if filters.pool_id is None:
        return Page(items=[], total=0, total_capped=False, has_next=False, end_cursor=None)
    return await PoolService(session, actor).customers(filters.pool_id, first=first, **paging)
