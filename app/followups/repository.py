"""SQL of follow-ups and tasks beyond the kit's: the reminder sweep's claims and the work list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.followups.models import FollowUp, Task


async def claim_due_follow_ups(session: AsyncSession, now: datetime, limit: int) -> list[Any]:
    """Follow-ups whose planned next time has come and that were not reminded of yet, locked for
    this transaction; rows another sweep holds are skipped, not waited for."""
    query = (
        select(FollowUp.id, FollowUp.owner_id, FollowUp.next_at, FollowUp.customer_id, Customer.name)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(
            FollowUp.next_at <= now,
            FollowUp.next_at.is_not(None),
            FollowUp.reminded_at.is_(None),
            FollowUp.next_done_at.is_(None),
            FollowUp.deleted_at.is_(None),
        )
        .order_by(FollowUp.next_at)
        .limit(limit)
        .with_for_update(of=FollowUp, skip_locked=True)
    )
    return list((await session.execute(query)).all())


async def mark_follow_ups_reminded(session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime) -> None:
    await session.execute(update(FollowUp).where(FollowUp.id.in_(list(ids))).values(reminded_at=now))


async def claim_due_tasks(session: AsyncSession, now: datetime, limit: int) -> list[Any]:
    query = (
        select(Task.id, Task.owner_id, Task.due_at, Task.title)
        .where(
            Task.due_at <= now,
            Task.reminded_at.is_(None),
            Task.done_at.is_(None),
            Task.deleted_at.is_(None),
        )
        .order_by(Task.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).all())


async def mark_tasks_reminded(session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime) -> None:
    await session.execute(update(Task).where(Task.id.in_(list(ids))).values(reminded_at=now))


async def planned_follow_ups(
    session: AsyncSession, owner: uuid.UUID, until: datetime, limit: int
) -> list[Any]:
    """The owner's planned follow-ups not yet done, up to ``until``, soonest first."""
    query = (
        select(FollowUp, Customer.name)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(
            FollowUp.owner_id == owner,
            FollowUp.next_at.is_not(None),
            FollowUp.next_at < until,
            FollowUp.next_done_at.is_(None),
            FollowUp.deleted_at.is_(None),
            Customer.deleted_at.is_(None),
        )
        .order_by(FollowUp.next_at)
        .limit(limit)
    )
    return list((await session.execute(query)).all())


async def open_tasks(session: AsyncSession, owner: uuid.UUID, until: datetime, limit: int) -> list[Any]:
    query = (
        select(Task, Customer.name)
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .where(Task.owner_id == owner, Task.due_at < until, Task.done_at.is_(None), Task.deleted_at.is_(None))
        .order_by(Task.due_at)
        .limit(limit)
    )
    return list((await session.execute(query)).all())
