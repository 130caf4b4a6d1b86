"""Queries for staff, roles, sessions and tokens in one tenant schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import CIDR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, LoginAttempt, LoginLock, Role, Team, User, UserSession


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


async def token_by_hash(
    session: AsyncSession, token_hash: str, now: datetime | None = None
) -> ApiToken | None:
    """A live token: not revoked and not expired (at ``now``, default the current time)."""
    now = now or datetime.now(UTC)
    return await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )


async def revoke_all_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
        .returning(ApiToken.id)
    )
    return len(result.all())


# -- login locks and second-factor counters (atomic: parallel requests each see the others) --------


async def reserve_login_attempt(
    session: AsyncSession, user_id: uuid.UUID, source: str, *, max_failures: int, lock_minutes: int
) -> int:
    """Count one password check for (user, source) before it runs; the count including this one.

    One statement, so parallel attempts queue on the row and each gets its own number. The count
    starts again once the last failure is ``lock_minutes`` old; once ``max_failures`` is reached the
    time stops moving, so the lock ends ``lock_minutes`` after the failure that set it.
    """
    lock = timedelta(minutes=lock_minutes)
    stale = LoginLock.last_failure_at < func.now() - lock
    insert = pg_insert(LoginLock).values(
        user_id=user_id, source=source, failures=1, last_failure_at=func.now()
    )
    statement = insert.on_conflict_do_update(
        index_elements=[LoginLock.user_id, LoginLock.source],
        set_={
            "failures": case((stale, literal(1)), else_=LoginLock.failures + 1),
            "last_failure_at": case(
                ((LoginLock.failures >= max_failures) & ~stale, LoginLock.last_failure_at), else_=func.now()
            ),
        },
    ).returning(LoginLock.failures)
    return int((await session.execute(statement)).scalar_one())


async def clear_login_lock(session: AsyncSession, user_id: uuid.UUID, source: str) -> None:
    await session.execute(delete(LoginLock).where(LoginLock.user_id == user_id, LoginLock.source == source))


async def signed_in_from(session: AsyncSession, email: str, source: str, since: datetime) -> bool:
    """Whether the account has signed in successfully from the network ``source`` since ``since``."""
    found = await session.scalar(
        select(LoginAttempt.id)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at >= since,
            LoginAttempt.ip.op("<<=")(literal(source, CIDR)),
        )
        .limit(1)
    )
    return found is not None


async def count_second_factor_attempt(session: AsyncSession, session_id: uuid.UUID) -> int | None:
    """Count one code typed into a half-login before it is checked; None when it has ended."""
    return await session.scalar(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(second_factor_failures=UserSession.second_factor_failures + 1)
        .execution_options(synchronize_session=False)
        .returning(UserSession.second_factor_failures)
    )


async def accept_totp_step(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Record ``step`` as used if it is newer than the last one used: a TOTP code is good once."""
    accepted = await session.scalar(
        update(User)
        .where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
        .returning(User.id)
    )
    return accepted is not None


async def spend_recovery_code(session: AsyncSession, user_id: uuid.UUID, code_hash: str) -> bool:
    """Remove one recovery code if it is still there; False when it was already spent."""
    spent = await session.scalar(
        update(User)
        .where(User.id == user_id, literal(code_hash) == func.any(User.recovery_code_hashes))
        .values(recovery_code_hashes=func.array_remove(User.recovery_code_hashes, code_hash))
        .execution_options(synchronize_session=False)
        .returning(User.id)
    )
    return spent is not None


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
