"""Pipelines: the several workflows of an entity that declares ``workflow_key_field`` (opportunities).

Each pipeline is a workflow key with a name, a place in the switcher and an archive flag; its
stages, probabilities and guards are its own workflow, versioned and edited like any other
(``app.workflows.service`` with ``key=``). The first pipeline not archived is the default for new
records. Verbs that edit pipelines own their unit of work (permission, checks, write, audit, commit);
``resolve`` and ``change_pipeline`` join the caller's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.events import service as events
from app.kit.registry import EntitySpec
from app.workflows import repository as repo
from app.workflows.definition import Definition, State, StateCategory, load
from app.workflows.models import DEFAULT_KEY, Pipeline, StageHistory, Workflow
from app.workflows.permissions import WORKFLOWS_MANAGE
from app.workflows.service import AUDIT_ENTITY, current, spec_of

NAME_LENGTH = 60


@dataclass(frozen=True)
class PipelineMove:
    """What moving a record to another pipeline did (shown to the mover, on the stage history)."""

    from_pipeline: str
    to_pipeline: str
    from_stage: str
    to_stage: str
    same_stage: bool  # the stage of that name was there; else the first open one


def keyed_spec(entity_key: str) -> EntitySpec:
    """An entity that may run several workflows; any other has no pipelines."""
    spec = spec_of(entity_key)
    if spec.workflow_key_field is None:
        raise NotFound("pipeline", entity_key)
    return spec


def _may_read(actor: Actor, spec: EntitySpec) -> None:
    needed = f"{spec.module}:read"
    if not (actor.can(needed) or actor.can(WORKFLOWS_MANAGE)):
        raise PermissionDenied(needed)


def _may_manage(actor: Actor) -> None:
    if not actor.can(WORKFLOWS_MANAGE):
        raise PermissionDenied(WORKFLOWS_MANAGE)


def _audit_id(entity_key: str, key: str) -> str:
    return entity_key if key == DEFAULT_KEY else f"{entity_key}:{key}"


def _clean_name(raw: Any) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        raise ValidationFailed([FieldError("name", "required", "is required")])
    if len(name) > NAME_LENGTH or "\x00" in name:
        raise ValidationFailed([FieldError("name", "too_long", f"must be at most {NAME_LENGTH} characters")])
    return name


async def list_pipelines(
    session: AsyncSession, actor: Actor, entity_key: str, *, archived: bool = True
) -> list[Pipeline]:
    """The entity's pipelines in switcher order (``archived=False``: those offered for new records)."""
    spec = keyed_spec(entity_key)
    _may_read(actor, spec)
    rows = list(await repo.pipelines(session, spec.key))
    return rows if archived else [p for p in rows if p.archived_at is None]


async def default_key(session: AsyncSession, entity_key: str) -> str:
    """The pipeline a new record goes to when none is chosen: the first not archived."""
    for row in await repo.pipelines(session, entity_key):
        if row.archived_at is None:
            return row.key
    return DEFAULT_KEY


async def resolve(session: AsyncSession, spec: EntitySpec, requested: str | None) -> str:
    """The pipeline a new record goes to: the requested one (which must exist and not be archived,
    else a field error on the key field), or the default."""
    field = spec.workflow_key_field or "pipeline"
    if requested in (None, ""):
        return await default_key(session, spec.key)
    row = await repo.pipeline(session, spec.key, str(requested))
    if row is None:
        raise ValidationFailed([FieldError(field, "unknown_pipeline", "is not a pipeline of this tenant")])
    if row.archived_at is not None:
        raise ValidationFailed([FieldError(field, "archived_pipeline", "is archived")])
    return row.key


async def resolve_known(
    session: AsyncSession, spec: EntitySpec, requested: str, field: str = "pipeline"
) -> str:
    """A pipeline to read by (a filter, a board): one of the entity's, archived ones too."""
    if await repo.pipeline(session, spec.key, requested) is None:
        raise ValidationFailed([FieldError(field, "unknown_pipeline", "is not a pipeline of this tenant")])
    return requested


async def create_pipeline(
    session: AsyncSession, actor: Actor, entity_key: str, name: Any, *, copy_from: str | None = None
) -> Pipeline:
    """A new pipeline after the others: blank (the entity's built-in stages) or a copy of the
    current stages, moves and guards of ``copy_from``. A name another pipeline has is refused."""
    _may_manage(actor)
    spec = keyed_spec(entity_key)
    clean = _clean_name(name)
    existing = await repo.lock_pipelines(session, spec.key)
    if any(p.name.lower() == clean.lower() for p in existing):
        raise ValidationFailed([FieldError("name", "duplicate_name", "another pipeline has this name")])
    if copy_from:
        if not any(p.key == copy_from for p in existing):
            raise ValidationFailed([FieldError("copyFrom", "unknown_pipeline", "is not a pipeline")])
        document = (await current(session, spec.key, key=copy_from)).definition.as_json()
    else:
        assert spec.default_workflow is not None
        document = load(spec.default_workflow()).as_json()
    row = Pipeline(
        entity=spec.key,
        key="p" + secrets.token_hex(6),
        name=clean,
        position=max((p.position for p in existing), default=-1) + 1,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.add(
        Workflow(
            entity=spec.key,
            key=row.key,
            version=1,
            is_current=True,
            definition=document,
            created_by=actor.user_id if actor.via != "system" else None,
            created_at=datetime.now(UTC),
        )
    )
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=_audit_id(spec.key, row.key),
        action="create",
        before=None,
        after={"name": clean, "copied_from": copy_from, "version": 1, **document},
    )
    events.emit(session, "pipeline.created", {"entity": spec.key, "key": row.key})
    await session.commit()
    return row


async def update_pipeline(
    session: AsyncSession,
    actor: Actor,
    entity_key: str,
    key: str,
    *,
    name: Any = None,
    position: int | None = None,
) -> Pipeline:
    """Rename a pipeline and/or move it to ``position`` (0: first, which makes it the default if
    it is not archived); the others keep their order."""
    _may_manage(actor)
    spec = keyed_spec(entity_key)
    rows = list(await repo.lock_pipelines(session, spec.key))
    row = next((p for p in rows if p.key == key), None)
    if row is None:
        raise NotFound("pipeline", key)
    before = {"name": row.name, "position": rows.index(row)}
    if name is not None:
        clean = _clean_name(name)
        if any(p.name.lower() == clean.lower() and p.key != key for p in rows):
            raise ValidationFailed([FieldError("name", "duplicate_name", "another pipeline has this name")])
        row.name = clean
    if position is not None:
        if position < 0 or position >= len(rows):
            raise ValidationFailed(
                [FieldError("position", "out_of_range", f"must be from 0 to {len(rows) - 1}")]
            )
        rows.remove(row)
        rows.insert(position, row)
        for n, p in enumerate(rows):
            p.position = n
    after = {"name": row.name, "position": rows.index(row)}
    if after != before:
        audit.record(
            session,
            actor,
            entity=AUDIT_ENTITY,
            entity_id=_audit_id(spec.key, key),
            action="update",
            before=before,
            after=after,
        )
        events.emit(session, "pipeline.updated", {"entity": spec.key, "key": key})
    await session.commit()
    return row


def _open_keys(definition: Definition) -> list[str]:
    return [s.key for s in definition.states if s.category == StateCategory.OPEN]


async def archive_pipeline(session: AsyncSession, actor: Actor, entity_key: str, key: str) -> Pipeline:
    """Archive a pipeline: offered for nothing new, its closed records and history kept. Refused
    while records are in its open stages (``open_records``, with their count) and for the last
    pipeline not archived (``last_pipeline``)."""
    _may_manage(actor)
    spec = keyed_spec(entity_key)
    rows = await repo.lock_pipelines(session, spec.key)
    row = next((p for p in rows if p.key == key), None)
    if row is None:
        raise NotFound("pipeline", key)
    if row.archived_at is not None:
        return row
    if not any(p.archived_at is None and p.key != key for p in rows):
        raise ValidationFailed([FieldError("key", "last_pipeline", "the last pipeline cannot be archived")])
    assert spec.model is not None and spec.workflow_field is not None
    workflow = await current(session, spec.key, key=key, lock="update")
    counts = await repo.count_in_states(
        session,
        spec.model,
        spec.workflow_field,
        _open_keys(workflow.definition),
        key_column=spec.workflow_key_field,
        key=key,
        live_only=True,
    )
    still_open = sum(counts.values())
    if still_open:
        raise ValidationFailed(
            [FieldError("key", "open_records", f"{still_open} open records are in this pipeline")]
        )
    row.archived_at = datetime.now(UTC)
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=_audit_id(spec.key, key),
        action="archive",
        before={"archived": False},
        after={"archived": True},
    )
    events.emit(session, "pipeline.archived", {"entity": spec.key, "key": key})
    await session.commit()
    return row


def open_count_of(error: ValidationFailed) -> int | None:
    """The number of open records an archive refusal names (for the admin's message)."""
    for item in error.errors:
        if item.code == "open_records":
            return int(item.message.split()[0])
    return None


def map_stage(source: State | None, target: Definition) -> tuple[State, bool]:
    """Where a record lands in another pipeline: the stage of the same key or the same name, else
    the first open stage (else the first)."""
    if source is not None:
        for state in target.states:
            if state.key == source.key or dict(state.label) == dict(source.label):
                return state, True
    for state in target.states:
        if state.category == StateCategory.OPEN:
            return state, False
    return target.initial, False


async def change_pipeline(
    session: AsyncSession, actor: Actor, spec: EntitySpec, record: Any, to_key: str
) -> PipelineMove:
    """Put ``record`` (loaded for update, checked by the caller) in another pipeline, its stage
    mapped (``map_stage``), written on its stage history with both pipelines' names; the caller
    audits, bumps the version and commits. An unknown or archived pipeline is a field error."""
    field, state_field = spec.workflow_key_field, spec.workflow_field
    assert field is not None and state_field is not None
    from_key = str(getattr(record, field))
    if to_key == from_key:
        raise ValidationFailed([FieldError(field, "same_pipeline", "the record is in this pipeline")])
    await resolve(session, spec, to_key)
    source = await current(session, spec.key, key=from_key, lock="share")
    target = await current(session, spec.key, key=to_key, lock="share")
    from_stage = str(getattr(record, state_field))
    landed, same = map_stage(source.definition.state(from_stage), target.definition)
    names = {p.key: p.name for p in await repo.pipelines(session, spec.key)}
    setattr(record, field, to_key)
    setattr(record, state_field, landed.key)
    session.add(
        StageHistory(
            entity=spec.key,
            record_id=record.id,
            workflow_key=to_key,
            workflow_version=target.version,
            from_state=from_stage,
            to_state=landed.key,
            actor_id=actor.user_id if actor.via != "system" else None,
            actor_label=actor.label[:120],
            at=datetime.now(UTC),
            note=f"{names.get(from_key, from_key)} → {names.get(to_key, to_key)}"[:500],
        )
    )
    events.emit(
        session,
        f"{spec.key}.pipeline_changed",
        {"id": str(record.id), "from": from_key, "to": to_key, "stage": landed.key},
    )
    return PipelineMove(from_key, to_key, from_stage, landed.key, same)


async def pipeline_names(session: AsyncSession, entity_key: str) -> dict[str, str]:
    """Key → name of every pipeline (archived too: old records name theirs)."""
    return {p.key: p.name for p in await repo.pipelines(session, entity_key)}


async def stage_maps(session: AsyncSession, entity_key: str, keys: Sequence[str]) -> dict[str, Definition]:
    """The current definition of each pipeline in ``keys`` (forecasts weigh each deal by its own)."""
    return {k: (await current(session, entity_key, key=k)).definition for k in dict.fromkeys(keys)}


__all__ = [
    "PipelineMove",
    "archive_pipeline",
    "change_pipeline",
    "create_pipeline",
    "default_key",
    "list_pipelines",
    "map_stage",
    "open_count_of",
    "pipeline_names",
    "resolve",
    "resolve_known",
    "stage_maps",
    "update_pipeline",
]
