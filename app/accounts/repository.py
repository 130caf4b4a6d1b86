"""Queries for staff, roles, sessions and tokens in one tenant schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, LoginAttempt, Role, Team, User, UserSession


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def users_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[User]:
    return (await session.scalars(select(User).where(User.id.in_(ids)))).all()


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).order_by(User.created_at))).all()


async def team_member_ids(session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.scalars(select(User.id).where(User.team_id == team_id))).all())


async def role_by_key(session: AsyncSession, key: str) -> Role | None:
    return await session.scalar(select(Role).where(Role.key == key))


async def team_by_name(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def live_session(session: AsyncSession, token_hash: str, now: datetime) -> UserSession | None:
    return await session.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_hash,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
    )


async def touch_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(update(UserSession).where(UserSession.id == session_id).values(revoked_at=now))


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    return await session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )


async def tokens_of(session: AsyncSession, user_id: uuid.UUID | None) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return (await session.scalars(query)).all()


async def record_login_attempt(session: AsyncSession, attempt: LoginAttempt) -> None:
    session.add(attempt)


async def revoke_all_sessions(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def live_sessions(
    session: AsyncSession, user_id: uuid.UUID | None, now: datetime
) -> Sequence[UserSession]:
    query = (
        select(UserSession)
        .where(UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc())
        .limit(500)
    )
    if user_id is not None:
        query = query.where(UserSession.user_id == user_id)
    return (await session.scalars(query)).all()


async def login_attempts(session: AsyncSession, email: str | None, limit: int) -> Sequence[LoginAttempt]:
    query = select(LoginAttempt).order_by(LoginAttempt.at.desc()).limit(limit)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    return (await session.scalars(query)).all()
