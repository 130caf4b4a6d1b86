"""Customer queries. Every list query takes the caller's data scope as a list of owner ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.customers.models import Customer, CustomerTag, Tag
from app.customfields.types import CustomCondition, filter_expressions
from app.kit.fields import LOCAL_TZ
from app.kit.paging import BadCursor, Order, Page, encode_cursor, keyset_page
from app.kit.paging import stream as stream_rows
from app.search.grams import build_query


@dataclass(frozen=True)
class CustomerFilter:
    search: str | None = None
    owner_id: uuid.UUID | None = None
    tag: str | None = None
    status: str | None = None
    tier: str | None = None
    source: str | None = None
    created_from: date | None = None  # days in Asia/Shanghai, both ends included
    created_to: date | None = None
    trashed: bool = False  # True: only soft-deleted customers (the recycle bin)
    # Custom-field filters: (key, op, value) as given, or CustomCondition once the service checked them.
    custom: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        found = {
            k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, date) else v)
            for k, v in self.__dict__.items()
            if v not in (None, False) and k != "custom"
        }
        if self.custom:
            found["custom"] = [
                [c.key, c.op, c.value] if isinstance(c, CustomCondition) else list(c) for c in self.custom
            ]
        return found


# Customers page like every entity (app.kit.paging): one keyset page with a capped count.
CustomerOrder = Order
__all__ = ["BadCursor", "CustomerFilter", "CustomerOrder", "Page", "encode_cursor"]


def _filtered(filters: CustomerFilter, owner_ids: Sequence[uuid.UUID] | None) -> Select[Any]:
    # Lists never show the search columns; leaving them out halves the page query's cost.
    query = select(Customer).options(defer(Customer.search_grams), defer(Customer.search_text))
    query = query.where(
        Customer.deleted_at.is_not(None) if filters.trashed else Customer.deleted_at.is_(None)
    )
    if owner_ids is not None:
        query = query.where(Customer.owner_id.in_(owner_ids))
    if filters.owner_id:
        query = query.where(Customer.owner_id == filters.owner_id)
    if filters.status:
        query = query.where(Customer.status == filters.status)
    if filters.tier:
        query = query.where(Customer.tier == filters.tier)
    if filters.source:
        query = query.where(Customer.source == filters.source)
    if filters.created_from:
        query = query.where(Customer.created_at >= datetime.combine(filters.created_from, time(), LOCAL_TZ))
    if filters.created_to:
        end = datetime.combine(filters.created_to + timedelta(days=1), time(), LOCAL_TZ)
        query = query.where(Customer.created_at < end)
    if filters.tag:
        tagged = (
            select(CustomerTag.customer_id)
            .join(Tag, Tag.id == CustomerTag.tag_id)
            .where(Tag.name == filters.tag, CustomerTag.customer_id == Customer.id)
        )
        query = query.where(tagged.exists())
    if filters.custom:
        # Only conditions the service checked against the field definitions reach SQL.
        checked = [c for c in filters.custom if isinstance(c, CustomCondition)]
        if len(checked) != len(filters.custom):
            raise ValueError("custom filters must be resolved by the service first")
        query = query.where(*filter_expressions(Customer.custom, checked))
    if filters.search:
        q = build_query(filters.search)
        if q is not None:
            if q.grams:
                query = query.where(Customer.search_grams.contains(q.grams))
            for pattern in q.like_patterns:
                query = query.where(Customer.search_text.like(pattern))
    return query


async def plan_each_search(session: AsyncSession) -> None:
    """Plan this transaction's statements for their actual search grams.

    asyncpg prepares every statement; after five runs PostgreSQL may switch a prepared statement to
    a generic plan, which cannot know that one bigram (有限) matches a tenth of a million rows and
    another three: on skewed data the generic plan took 760 ms where a custom one takes 50. The
    setting is local to the request's transaction and ends with it.
    """
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def list_page(
    session: AsyncSession,
    filters: CustomerFilter,
    owner_ids: Sequence[uuid.UUID] | None,
    order: Order,
    *,
    limit: int,
    after: str | None = None,
    count_cap: int = 10_000,
    before: str | None = None,
) -> Page[Customer]:
    """One page by keyset, plus a total that stops counting at ``count_cap``."""
    if filters.search:
        await plan_each_search(session)
    query = _filtered(filters, owner_ids)
    return await keyset_page(
        session, query, Customer, order, limit=limit, after=after, before=before, count_cap=count_cap
    )


async def stream(
    session: AsyncSession,
    filters: CustomerFilter,
    owner_ids: Sequence[uuid.UUID] | None,
    *,
    batch: int = 1000,
) -> AsyncIterator[list[Customer]]:
    """Every matching customer, oldest first, a batch at a time (for exports)."""
    async for rows in stream_rows(session, _filtered(filters, owner_ids), Customer, batch=batch):
        yield rows


async def count(session: AsyncSession, filters: CustomerFilter, owner_ids: Sequence[uuid.UUID] | None) -> int:
    sub = _filtered(filters, owner_ids).with_only_columns(Customer.id).subquery()
    return int(await session.scalar(select(func.count()).select_from(sub)) or 0)


async def get(session: AsyncSession, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def tags_by_customer(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Tag]]:
    rows = await session.execute(
        select(CustomerTag.customer_id, Tag)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.customer_id.in_(customer_ids))
        .order_by(Tag.name)
    )
    found: dict[uuid.UUID, list[Tag]] = {cid: [] for cid in customer_ids}
    for customer_id, tag in rows.all():
        found[customer_id].append(tag)
    return found


async def all_tags(session: AsyncSession, owner_ids: Sequence[uuid.UUID] | None = None) -> Sequence[Tag]:
    """Tags by name; with ``owner_ids`` (a limited data scope) only tags on customers owned within it
    (in the recycle bin too: the same scope sees those)."""
    query = select(Tag).order_by(Tag.name)
    if owner_ids is not None:
        on_visible = (
            select(CustomerTag.tag_id)
            .join(Customer, Customer.id == CustomerTag.customer_id)
            .where(Customer.owner_id.in_(owner_ids))
        )
        query = query.where(Tag.id.in_(on_visible))
    return (await session.scalars(query)).all()


async def replace_tags(session: AsyncSession, customer_id: uuid.UUID, names: Sequence[str]) -> None:
    await session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id))
    if not names:
        return
    await session.execute(pg_insert(Tag).values([{"name": n} for n in names]).on_conflict_do_nothing())
    tag_ids = (await session.scalars(select(Tag.id).where(Tag.name.in_(names)))).all()
    await session.execute(
        pg_insert(CustomerTag).values([{"customer_id": customer_id, "tag_id": t} for t in tag_ids])
    )


async def add_tags_many(session: AsyncSession, tags: dict[uuid.UUID, Sequence[str]]) -> None:
    """Tag many new customers at once (an import's chunk): three statements, whatever the count."""
    names = sorted({name for found in tags.values() for name in found})
    if not names:
        return
    await session.execute(pg_insert(Tag).values([{"name": n} for n in names]).on_conflict_do_nothing())
    ids = dict((await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names)))).all())
    rows = [
        {"customer_id": customer_id, "tag_id": ids[name]}
        for customer_id, found in tags.items()
        for name in dict.fromkeys(found)
    ]
    await session.execute(pg_insert(CustomerTag), rows)
