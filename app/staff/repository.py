"""Queries for the staff list, teams and invitations in one tenant schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, Team, User
from app.staff.models import StaffInvitation


async def staff_list(
    session: AsyncSession, *, active: bool | None = None, team_id: uuid.UUID | None = None, limit: int = 500
) -> Sequence[User]:
    """Staff in name order (active first), with their role loaded."""
    query = select(User).order_by(User.is_active.desc(), User.name, User.id).limit(limit)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return (await session.scalars(query)).unique().all()


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The staff member, row-locked until the transaction ends (their role loaded, not locked)."""
    return await session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )


async def role_by_id(session: AsyncSession, role_id: uuid.UUID) -> Role | None:
    return await session.get(Role, role_id)


async def roles(session: AsyncSession) -> Sequence[Role]:
    return (await session.scalars(select(Role).order_by(Role.created_at, Role.name))).all()


async def team_by_id(session: AsyncSession, team_id: uuid.UUID, *, lock: bool = False) -> Team | None:
    query = select(Team).where(Team.id == team_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def team_by_name(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.scalars(select(Team).order_by(Team.name))).all()


async def team_sizes(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Active members per team."""
    rows = await session.execute(
        select(User.team_id, func.count())
        .where(User.team_id.is_not(None), User.is_active.is_(True))
        .group_by(User.team_id)
    )
    return {team_id: int(n) for team_id, n in rows.all() if team_id is not None}


async def team_members(session: AsyncSession, team_id: uuid.UUID) -> int:
    """Members of a team, active or not (a deactivated member still points at it)."""
    return int(
        await session.scalar(select(func.count()).select_from(User).where(User.team_id == team_id)) or 0
    )


async def clear_manager(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user manages no team any more."""
    await session.execute(update(Team).where(Team.manager_id == user_id).values(manager_id=None))


async def active_owners(session: AsyncSession, *, excluding: uuid.UUID | None = None) -> int:
    """Active holders of the owner role (not counting ``excluding``)."""
    query = (
        select(func.count())
        .select_from(User)
        .join(Role, Role.id == User.role_id)
        .where(Role.key == "owner", User.is_active.is_(True))
    )
    if excluding is not None:
        query = query.where(User.id != excluding)
    return int(await session.scalar(query) or 0)


async def invitation_by_id(
    session: AsyncSession, invitation_id: uuid.UUID, *, lock: bool = False
) -> StaffInvitation | None:
    query = select(StaffInvitation).where(StaffInvitation.id == invitation_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def _pending(now: datetime) -> tuple:  # type: ignore[type-arg]
    return (
        StaffInvitation.accepted_at.is_(None),
        StaffInvitation.revoked_at.is_(None),
        StaffInvitation.expires_at > now,
    )


async def pending_invitations(session: AsyncSession, now: datetime) -> Sequence[StaffInvitation]:
    return (
        await session.scalars(
            select(StaffInvitation)
            .where(*_pending(now))
            .order_by(StaffInvitation.created_at.desc())
            .limit(500)
        )
    ).all()


async def count_pending_invitations(
    session: AsyncSession, now: datetime, *, excluding_email: str | None = None
) -> int:
    query = select(func.count()).select_from(StaffInvitation).where(*_pending(now))
    if excluding_email is not None:
        query = query.where(StaffInvitation.email != excluding_email)
    return int(await session.scalar(query) or 0)


async def revoke_pending_invitations(session: AsyncSession, email: str, now: datetime) -> None:
    await session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.email == email, *_pending(now))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
