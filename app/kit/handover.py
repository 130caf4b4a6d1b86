"""A leaver's records handed to a colleague in one step (离职交接), for every entity at once.

Every registered entity whose model is owned (``OwnedMixin``: an ``owner_id`` column) is handed
over without declaring anything: its records, in the recycle bin too, get the new owner, a version
bump and one audit record each, so every record's own history says who it came from. An entity
that keeps staff in other columns (a ticket's technician, an order's approver) registers its own
step with ``register_handover``; the staff service never changes when a module is added.

The steps join the caller's transaction: the deactivation that asks for them commits or rolls
back everything together.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditRecord
from app.domain import Actor
from app.events import service as events
from app.kit.registry import EntitySpec, entities

# (session, actor, from_user, to_user) -> how many records changed hands
HandoverStep = Callable[[AsyncSession, Actor, uuid.UUID, uuid.UUID], Awaitable[int]]

_steps: dict[str, HandoverStep] = {}


def register_handover(name: str, step: HandoverStep) -> HandoverStep:
    """Add a step for records owned some other way than ``owner_id`` (``name``: what the step moves,
    an entity key or ``<entity>.<field>``, shown in the audit record's counts)."""
    if name in _steps and _steps[name] is not step:
        raise ValueError(f"handover step {name!r} registered twice")
    _steps[name] = step
    return step


def owned_entities() -> tuple[EntitySpec, ...]:
    """Entities whose records have an owner (handed over by default)."""
    return tuple(
        spec
        for spec in entities()
        if spec.model is not None and "owner_id" in spec.model.__table__.c  # type: ignore[attr-defined]
    )


async def hand_over_owned(
    session: AsyncSession, actor: Actor, spec: EntitySpec, from_user: uuid.UUID, to_user: uuid.UUID
) -> int:
    """Give every record of ``spec`` owned by ``from_user`` to ``to_user``: one UPDATE and one
    multi-row INSERT of audit records, whatever the number of records."""
    model: Any = spec.model
    now = datetime.now(UTC)
    values: dict[str, Any] = {"owner_id": to_user}
    columns = model.__table__.c
    if "version" in columns:
        values["version"] = model.version + 1
    if "updated_at" in columns:
        values.update(updated_at=now, updated_by=actor.user_id)
    moved = (
        await session.execute(
            update(model)
            .where(model.owner_id == from_user)
            .values(values)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    ids = list(moved)
    if not ids:
        return 0
    label = actor.label[:120]
    await session.execute(
        insert(AuditRecord),
        [
            {
                "actor_id": actor.user_id if actor.via != "system" else None,
                "actor_label": label,
                "entity": spec.key,
                "entity_id": str(record_id),
                "action": "handover",
                "before": {"owner_id": str(from_user)},
                "after": {"owner_id": str(to_user)},
                "ip": actor.ip,
                "request_id": actor.request_id,
            }
            for record_id in ids
        ],
    )
    events.emit(
        session,
        f"{spec.key}.handed_over",
        {"from": str(from_user), "to": str(to_user), "count": len(ids)},
    )
    return len(ids)


async def hand_over(
    session: AsyncSession, actor: Actor, from_user: uuid.UUID, to_user: uuid.UUID
) -> dict[str, int]:
    """Everything ``from_user`` owns, handed to ``to_user``: counts by entity (or step) name, only
    those that moved something. The caller checks who may do this and commits."""
    counts: dict[str, int] = {}
    for spec in owned_entities():
        moved = await hand_over_owned(session, actor, spec, from_user, to_user)
        if moved:
            counts[spec.key] = moved
    for name, step in _steps.items():
        moved = await step(session, actor, from_user, to_user)
        if moved:
            counts[name] = moved
    return counts


async def owned_counts(session: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
    """How many records of each owned entity ``user_id`` owns (the recycle bin included)."""
    counts: dict[str, int] = {}
    for spec in owned_entities():
        model: Any = spec.model
        found = int(await session.scalar(select(func.count()).where(model.owner_id == user_id)) or 0)
        if found:
            counts[spec.key] = found
    return counts
