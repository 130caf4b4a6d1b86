"""Customer numbers for the home page, in the caller's data scope (a list of owner ids, or None for
all). Each is one indexed statement, cheap at 200,000 customers (bench/home.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Date, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.customers.models import Customer


def _live(owners: Sequence[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    scope = Customer.owner_id.in_(owners) if owners is not None else true()
    return [Customer.deleted_at.is_(None), scope]


async def count_owned_by(session: AsyncSession, owner_id: uuid.UUID) -> int:
    query = select(func.count()).where(Customer.owner_id == owner_id, Customer.deleted_at.is_(None))
    return int(await session.scalar(query) or 0)


async def count_visible(session: AsyncSession, owners: Sequence[uuid.UUID] | None) -> int:
    return int(await session.scalar(select(func.count()).where(*_live(owners))) or 0)


async def count_by_status(session: AsyncSession, owners: Sequence[uuid.UUID] | None) -> list[tuple[str, int]]:
    query = (
        select(Customer.status, func.count())
        .where(*_live(owners))
        .group_by(Customer.status)
        .order_by(func.count().desc())
    )
    return [(status, int(n)) for status, n in (await session.execute(query)).all()]


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


async def has_customers(session: AsyncSession) -> bool:
    """Whether the tenant has any customer at all (the recycle bin included)."""
    return bool(await session.scalar(select(select(Customer.id).exists())))


async def active_staff_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(User.is_active.is_(True))) or 0)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
