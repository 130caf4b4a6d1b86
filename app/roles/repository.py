"""Queries for roles and who holds them, in one tenant schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User


async def all_roles(session: AsyncSession, *, lock: bool = False) -> Sequence[Role]:
    """Every role, in the order they were made; ``lock`` holds them until the transaction ends, so two
    concurrent edits cannot both take away the last right to manage roles."""
    query = select(Role).order_by(Role.created_at, Role.key)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).all()


async def role_by_id(session: AsyncSession, role_id: uuid.UUID) -> Role | None:
    return await session.get(Role, role_id)


async def role_by_key(session: AsyncSession, key: str) -> Role | None:
    return await session.scalar(select(Role).where(Role.key == key))


async def role_by_name(session: AsyncSession, name: str) -> Role | None:
    return await session.scalar(select(Role).where(Role.name == name))


async def holder_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Role id → how many staff members (active or not) hold it."""
    rows = await session.execute(select(User.role_id, func.count()).group_by(User.role_id))
    return {role_id: count for role_id, count in rows.all()}


async def active_holders(
    session: AsyncSession, role_ids: Sequence[uuid.UUID], *, excluding: uuid.UUID | None = None
) -> int:
    """How many active staff members hold one of these roles (not counting ``excluding``)."""
    if not role_ids:
        return 0
    query = select(func.count()).select_from(User).where(User.role_id.in_(role_ids), User.is_active.is_(True))
    if excluding is not None:
        query = query.where(User.id != excluding)
    return int(await session.scalar(query) or 0)
