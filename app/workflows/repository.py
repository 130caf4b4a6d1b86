"""Workflow and stage-history queries (the only SQL of the workflows area)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import Role, User
from app.workflows.models import DEFAULT_KEY, Pipeline, StageHistory, Workflow


async def current(
    session: AsyncSession, entity: str, *, key: str = DEFAULT_KEY, lock: str | None = None
) -> Workflow | None:
    """The current version. ``lock="share"``: a move or a new record relies on its states (FOR KEY
    SHARE: moves run side by side, an edit waits for them); ``lock="update"``: an edit (FOR UPDATE:
    later moves wait for it, and its count of records in removed states sees every earlier move)."""
    query = select(Workflow).where(
        Workflow.entity == entity, Workflow.key == key, Workflow.is_current.is_(True)
    )
    if lock == "update":
        query = query.with_for_update()
    elif lock == "share":
        query = query.with_for_update(key_share=True)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None and lock is not None:
        # Waited for an edit that replaced the version: the locked row is no longer current and
        # the new one was not in this statement's snapshot; the next statement sees it.
        found = (await session.execute(query)).scalar_one_or_none()
    return found


async def versions(session: AsyncSession, entity: str, key: str = DEFAULT_KEY) -> Sequence[Workflow]:
    query = (
        select(Workflow)
        .where(Workflow.entity == entity, Workflow.key == key)
        .order_by(Workflow.version.desc())
    )
    return (await session.execute(query)).scalars().all()


async def retire(session: AsyncSession, workflow_id: uuid.UUID) -> None:
    await session.execute(update(Workflow).where(Workflow.id == workflow_id).values(is_current=False))


async def count_in_states(
    session: AsyncSession,
    model: Any,
    column: str,
    states: Sequence[str],
    *,
    key_column: str | None = None,
    key: str = DEFAULT_KEY,
    live_only: bool = False,
) -> dict[str, int]:
    """Records (the recycle bin included: a restored record needs its state) per state, for ``states``;
    with ``key_column``, only the records of that workflow (pipeline); ``live_only``: not deleted."""
    if not states:
        return {}
    state = getattr(model, column)
    query = select(state, func.count()).where(state.in_(list(states))).group_by(state)
    if key_column is not None:
        query = query.where(getattr(model, key_column) == key)
    if live_only:
        query = query.where(model.deleted_at.is_(None))
    return {str(k): int(n) for k, n in (await session.execute(query)).all()}


# -- pipelines (entities that run several workflows) ---------------------------------------------


async def pipelines(session: AsyncSession, entity: str) -> Sequence[Pipeline]:
    query = select(Pipeline).where(Pipeline.entity == entity).order_by(Pipeline.position, Pipeline.created_at)
    return (await session.execute(query)).scalars().all()


async def pipeline(session: AsyncSession, entity: str, key: str, *, lock: bool = False) -> Pipeline | None:
    query = select(Pipeline).where(Pipeline.entity == entity, Pipeline.key == key)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lock_pipelines(session: AsyncSession, entity: str) -> Sequence[Pipeline]:
    """Every pipeline of the entity, locked (a new one, a reorder or an archive sees them all)."""
    query = (
        select(Pipeline)
        .where(Pipeline.entity == entity)
        .order_by(Pipeline.position, Pipeline.created_at)
        .with_for_update()
    )
    return (await session.execute(query)).scalars().all()


async def name_taken(session: AsyncSession, entity: str, name: str, *, besides: str | None = None) -> bool:
    query = select(Pipeline.id).where(Pipeline.entity == entity, func.lower(Pipeline.name) == name.lower())
    if besides is not None:
        query = query.where(Pipeline.key != besides)
    return (await session.execute(query.limit(1))).scalar_one_or_none() is not None


async def history(
    session: AsyncSession, entity: str, record_id: uuid.UUID, *, limit: int = 100
) -> Sequence[StageHistory]:
    query = (
        select(StageHistory)
        .where(StageHistory.entity == entity, StageHistory.record_id == record_id)
        .order_by(StageHistory.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def histories(
    session: AsyncSession, entity: str, record_ids: Sequence[uuid.UUID], *, limit: int = 100
) -> dict[uuid.UUID, list[StageHistory]]:
    """The newest ``limit`` moves of each record, in one statement (for lists)."""
    if not record_ids:
        return {}
    ranked = (
        select(
            StageHistory,
            func.row_number()
            .over(partition_by=StageHistory.record_id, order_by=StageHistory.id.desc())
            .label("n"),
        )
        .where(StageHistory.entity == entity, StageHistory.record_id.in_(list(record_ids)))
        .subquery()
    )
    row = aliased(StageHistory, ranked)
    query = select(row).where(ranked.c.n <= limit).order_by(ranked.c.record_id, ranked.c.id.desc())
    found: dict[uuid.UUID, list[StageHistory]] = {i: [] for i in record_ids}
    for entry in (await session.execute(query)).scalars():
        found.setdefault(entry.record_id, []).append(entry)
    return found


async def role_keys(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Role.key))).scalars())


async def role_names(session: AsyncSession) -> dict[str, str]:
    """Role key → name, in key order (for role guards in the editor and in messages)."""
    return {k: n for k, n in (await session.execute(select(Role.key, Role.name).order_by(Role.key))).all()}


async def staff_name(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (await session.execute(select(User.name).where(User.id == user_id))).scalar_one_or_none()
