"""Customer numbers for the home page, in the caller's data scope (a list of owner ids, or None for
all). Each is one indexed statement, cheap at 200,000 customers (bench/home.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Date, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.customers.models import Customer


def _live(owners: Sequence[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    scope = Customer.owner_id.in_(owners) if owners is not None else true()
    return [Customer.deleted_at.is_(None), scope]


@dataclass(frozen=True)
class StatusCounts:
    by_status: list[tuple[str, int]]  # most customers first
    total: int
    owned: int  # of them, the viewer's own


async def status_counts(
    session: AsyncSession, owners: Sequence[uuid.UUID] | None, viewer: uuid.UUID
) -> StatusCounts:
    """Customers in scope by stage, and those the viewer owns, in one scan."""
    query = (
        select(Customer.status, func.count(), func.count().filter(Customer.owner_id == viewer))
        .where(*_live(owners))
        .group_by(Customer.status)
        .order_by(func.count().desc())
    )
    rows = (await session.execute(query)).all()
    by_status = [(status, int(n)) for status, n, _ in rows]
    owned = sum(int(mine) for _, _, mine in rows)
    if owners is not None and viewer not in owners:
        owned = await count_owned_by(session, viewer)
    return StatusCounts(by_status=by_status, total=sum(n for _, n in by_status), owned=owned)


async def count_owned_by(session: AsyncSession, owner_id: uuid.UUID) -> int:
    query = select(func.count()).where(Customer.owner_id == owner_id, Customer.deleted_at.is_(None))
    return int(await session.scalar(query) or 0)


async def new_per_week(
    session: AsyncSession, owners: Sequence[uuid.UUID] | None, since: datetime
) -> dict[date, int]:
    """Customers created since ``since`` by week (the Monday the week starts on, in Beijing time)."""
    week = cast(func.date_trunc("week", func.timezone("Asia/Shanghai", Customer.created_at)), Date)
    query = select(week, func.count()).where(Customer.created_at >= since, *_live(owners)).group_by(week)
    return {day: int(n) for day, n in (await session.execute(query)).all()}


async def recently_changed(
    session: AsyncSession, owners: Sequence[uuid.UUID] | None, limit: int
) -> list[tuple[uuid.UUID, str, datetime]]:
    query = (
        select(Customer.id, Customer.name, Customer.updated_at)
        .where(*_live(owners))
        .order_by(Customer.updated_at.desc(), Customer.id.desc())
        .limit(limit)
    )
    return [(cid, name, at) for cid, name, at in (await session.execute(query)).all()]


async def data_version(session: AsyncSession) -> str:
    """A stamp that every customer write changes (each one sets ``updated_at``): one index probe."""
    newest = await session.scalar(select(func.max(Customer.updated_at)))
    return newest.isoformat() if newest is not None else "-"


async def has_customers(session: AsyncSession) -> bool:
    """Whether the tenant has any customer at all (the recycle bin included)."""
    return bool(await session.scalar(select(select(Customer.id).exists())))


async def active_staff_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(User.is_active.is_(True))) or 0)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
