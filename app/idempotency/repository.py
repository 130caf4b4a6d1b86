"""SQL for idempotency keys (tenant schema)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.idempotency.models import IdempotencyKey


async def insert_if_absent(
    session: AsyncSession, actor_id: uuid.UUID, key: str, fingerprint: str, expires_at: datetime
) -> bool:
    """Claim the key; False when it is already there.

    A concurrent claim of the same key waits on the row until the first transaction ends, then
    finds it (committed: replay) or claims it (rolled back).
    """
    inserted = await session.scalar(
        pg_insert(IdempotencyKey)
        .values(actor_id=actor_id, key=key, fingerprint=fingerprint, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["actor_id", "key"])
        .returning(IdempotencyKey.actor_id)
    )
    return inserted is not None


async def locked(session: AsyncSession, actor_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
        .with_for_update()
    )


async def reclaim(
    session: AsyncSession, actor_id: uuid.UUID, key: str, fingerprint: str, expires_at: datetime
) -> None:
    """An expired key is used again as if new."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
        .values(fingerprint=fingerprint, response=None, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )


async def store_response(
    session: AsyncSession, actor_id: uuid.UUID, key: str, response: dict[str, Any]
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
        .values(response=response)
        .execution_options(synchronize_session=False)
    )


async def delete_expired(session: AsyncSession, now: datetime, limit: int) -> None:
    """Remove up to ``limit`` keys past their expiry (a bounded bite on each claim)."""
    oldest = (
        select(IdempotencyKey.actor_id, IdempotencyKey.key)
        .where(IdempotencyKey.expires_at < now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.expires_at < now)
        .where(tuple_(IdempotencyKey.actor_id, IdempotencyKey.key).in_(oldest))
        .execution_options(synchronize_session=False)
    )
