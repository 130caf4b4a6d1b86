"""Workflow operations: read and edit an entity's workflow, move a record, read its stage history.

``update_workflow`` is a verb of its own (it commits). ``transition`` and ``enter_state`` join the
caller's transaction: the entity's verb (``transition_customer``) owns the unit of work and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.events import service as events
from app.kit.permissions import is_known
from app.kit.registry import EntitySpec, entity
from app.workflows import engine
from app.workflows import repository as repo
from app.workflows.actions import ActionRun, action_kind
from app.workflows.definition import Definition, State, default_of, load, parse
from app.workflows.errors import NotAllowedTransition, StatesInUse
from app.workflows.models import DEFAULT_KEY, StageHistory, Workflow
from app.workflows.permissions import WORKFLOWS_MANAGE

AUDIT_ENTITY = "workflow"


@dataclass(frozen=True)
class CurrentWorkflow:
    entity: str
    version: int  # 0: the built-in default, never saved in this tenant yet
    definition: Definition
    updated_at: datetime | None = None
    updated_by: uuid.UUID | None = None
    key: str = DEFAULT_KEY  # which of the entity's workflows (a pipeline's key)


@dataclass(frozen=True)
class Moved:
    """What a transition did."""

    source: str
    target: str
    workflow_version: int
    changed: dict[str, Any]


def spec_of(key: str) -> EntitySpec:
    """The workflow-driven entity named ``key``; any other key names no workflow."""
    spec = entity(key)
    if spec is None or not spec.workflow_field:
        raise NotFound(AUDIT_ENTITY, key)
    return spec


def is_permission(name: str) -> bool:
    return is_known(name)


def _current_of(row: Workflow | None, entity_key: str, key: str = DEFAULT_KEY) -> CurrentWorkflow:
    if row is None:
        # Only an entity's first workflow has a built-in default (a pipeline added later is saved).
        document = default_of(entity_key) if key == DEFAULT_KEY else None
        if document is None:
            raise NotFound(AUDIT_ENTITY, entity_key if key == DEFAULT_KEY else f"{entity_key}:{key}")
        return CurrentWorkflow(entity_key, 0, load(document))
    return CurrentWorkflow(
        entity_key, row.version, load(row.definition), row.created_at, row.created_by, row.key
    )


def key_of(spec: EntitySpec, record: Any) -> str:
    """Which of the entity's workflows ``record`` runs on: its pipeline where the entity declares
    several (``EntitySpec.workflow_key_field``), else the only one."""
    if spec.workflow_key_field is None:
        return DEFAULT_KEY
    return str(getattr(record, spec.workflow_key_field, None) or DEFAULT_KEY)


async def current(
    session: AsyncSession, entity_key: str, *, key: str = DEFAULT_KEY, lock: str | None = None
) -> CurrentWorkflow:
    """The current version of one of an entity's workflows (no permission check: callers hold the
    record). Moves and new records pass ``lock="share"`` (see ``repository.current``)."""
    return _current_of(await repo.current(session, entity_key, key=key, lock=lock), entity_key, key)


def _check_key(spec: EntitySpec, key: str) -> None:
    """Only an entity that declares several workflows has any but the default one."""
    if key != DEFAULT_KEY and spec.workflow_key_field is None:
        raise NotFound(AUDIT_ENTITY, f"{spec.key}:{key}")


async def get_workflow(
    session: AsyncSession, actor: Actor, entity_key: str, key: str = DEFAULT_KEY
) -> CurrentWorkflow:
    """The current workflow, for anyone who may read the entity (they see its stages) or edit workflows."""
    spec = spec_of(entity_key)
    needed = f"{spec.module}:read"
    if not (actor.can(needed) or actor.can(WORKFLOWS_MANAGE)):
        raise PermissionDenied(needed)
    _check_key(spec, key)
    return await current(session, entity_key, key=key)


async def update_workflow(
    session: AsyncSession,
    actor: Actor,
    entity_key: str,
    document: Any,
    version: int,
    key: str = DEFAULT_KEY,
) -> CurrentWorkflow:
    """Save a new version of the workflow, given the version the editor read.

    Refused (nothing written) when the document is not valid, when someone saved a newer version,
    or when it drops states that records are still in (``StatesInUse`` with their count).
    """
    if not actor.can(WORKFLOWS_MANAGE):
        raise PermissionDenied(WORKFLOWS_MANAGE)
    spec = spec_of(entity_key)
    _check_key(spec, key)
    row = await repo.current(session, entity_key, key=key, lock="update")
    before = _current_of(row, entity_key, key)
    if before.version != version:
        changer = await repo.staff_name(session, before.updated_by) if before.updated_by else None
        raise VersionConflict(entity_key, before.version, changer, before.updated_at)
    definition = parse(document, spec, roles=set(await repo.role_keys(session)), is_permission=is_permission)
    removed = [k for k in before.definition.keys() if definition.state(k) is None]
    if removed and spec.model is not None and spec.workflow_field:
        counts = await repo.count_in_states(
            session, spec.model, spec.workflow_field, removed, key_column=spec.workflow_key_field, key=key
        )
        if any(counts.values()):
            raise StatesInUse({k: n for k, n in counts.items() if n})
    if row is not None:
        await repo.retire(session, row.id)
        await session.flush()  # one current version at a time (a partial unique index)
    saved = Workflow(
        entity=entity_key,
        key=key,
        version=before.version + 1,
        is_current=True,
        definition=definition.as_json(),
        created_by=actor.user_id if actor.via != "system" else None,
        created_at=datetime.now(UTC),
    )
    session.add(saved)
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=entity_key if key == DEFAULT_KEY else f"{entity_key}:{key}",
        action="update",
        before={"version": before.version, **before.definition.as_json()},
        after={"version": saved.version, **definition.as_json()},
    )
    events.emit(session, "workflow.updated", {"entity": entity_key, "key": key, "version": saved.version})
    await session.commit()
    return CurrentWorkflow(entity_key, saved.version, definition, saved.created_at, saved.created_by, key)


async def role_names(session: AsyncSession, actor: Actor) -> dict[str, str]:
    """The roles a guard may name (key → name), for the workflow editor."""
    if not actor.can(WORKFLOWS_MANAGE):
        raise PermissionDenied(WORKFLOWS_MANAGE)
    return await repo.role_names(session)


# -- moving records -------------------------------------------------------------------------------


async def initial_state(
    session: AsyncSession, spec: EntitySpec, requested: str | None, key: str = DEFAULT_KEY
) -> str:
    """The state a new record starts in: the requested one if the workflow (``key``: the record's
    pipeline) has it, else the first."""
    workflow = await current(session, spec.key, key=key, lock="share")
    if requested is None:
        return workflow.definition.initial.key
    if workflow.definition.state(requested) is None:
        keys = ", ".join(workflow.definition.keys())
        raise ValidationFailed(
            [FieldError(spec.workflow_field or "state", "invalid_choice", f"must be one of {keys}")]
        )
    return requested


def _record_move(
    session: AsyncSession,
    actor: Actor,
    spec: EntitySpec,
    record: Any,
    workflow: CurrentWorkflow,
    source: str,
    target: State,
    note: str | None,
) -> dict[str, Any]:
    """Set the state, run the entry actions, write the history row and the events."""
    assert spec.workflow_field is not None
    setattr(record, spec.workflow_field, target.key)
    changed = engine.apply_set_fields(spec, record, target)
    session.add(
        StageHistory(
            entity=spec.key,
            record_id=record.id,
            workflow_key=workflow.key,
            workflow_version=workflow.version,
            from_state=source,
            to_state=target.key,
            actor_id=actor.user_id if actor.via != "system" else None,
            actor_label=actor.label[:120],
            at=datetime.now(UTC),
            note=note,
        )
    )
    for topic, payload in engine.messages(spec, record, source, target):
        events.emit(session, topic, payload)
    return changed


async def _run_registered(
    session: AsyncSession,
    actor: Actor,
    spec: EntitySpec,
    record: Any,
    source: str | None,
    state: State,
    extras: Mapping[str, Any],
) -> None:
    """Await the state's module-registered entry actions, in their order (``app.workflows.actions``);
    a kind no longer registered is skipped (its module is gone), a refusal refuses the move."""
    for action in state.on_enter:
        kind = action_kind(action.kind)
        if kind is not None and kind.applies_to(spec.key):
            await kind.run(ActionRun(session, actor, spec, record, action, source, state.key, extras))


async def enter_state(
    session: AsyncSession,
    actor: Actor,
    spec: EntitySpec,
    record: Any,
    source: str,
    target: str,
    *,
    extras: Mapping[str, Any] | None = None,
) -> Moved:
    """A state change made as part of another edit (the entity's update form): the same move and
    guard checks as ``transition``, with entry actions and history; the caller audits the edit."""
    workflow = await current(session, spec.key, key=key_of(spec, record), lock="share")
    engine.check_move(workflow.definition, spec, actor, record, source, target)
    state = workflow.definition.state(target)
    assert state is not None
    changed = _record_move(session, actor, spec, record, workflow, source, state, None)
    await _run_registered(session, actor, spec, record, source, state, extras or {})
    events.emit(session, f"{spec.key}.transitioned", {"id": str(record.id), "from": source, "to": target})
    return Moved(source, target, workflow.version, changed)


async def transition(
    session: AsyncSession,
    actor: Actor,
    spec: EntitySpec,
    record: Any,
    to_state: str,
    version: int,
    *,
    note: str | None = None,
    extras: Mapping[str, Any] | None = None,
) -> Moved:
    """Move ``record`` (loaded for update, visible to the actor, permission checked by the verb) to
    ``to_state``: check the move and its guards, apply the entry actions, record history, audit
    and emit ``<entity>.transitioned``, in the caller's transaction (the caller commits).
    ``extras`` go to the module-registered entry actions (an order's serial numbers to ship)."""
    assert spec.workflow_field is not None
    if getattr(record, "deleted_at", None) is not None:
        raise NotFound(spec.key, record.id)
    if record.version != version:
        raise VersionConflict(record.id, record.version, None, getattr(record, "updated_at", None))
    if note is not None and (len(note) > 500 or "\x00" in note):
        raise ValidationFailed([FieldError("note", "too_long", "must be at most 500 characters")])
    # The record's own workflow: a stage of another pipeline is not a stage here.
    workflow = await current(session, spec.key, key=key_of(spec, record), lock="share")
    source = getattr(record, spec.workflow_field)
    target = workflow.definition.state(to_state)
    if target is None or source == to_state:
        allowed = tuple(
            s for t in workflow.definition.moves_from(source) if (s := workflow.definition.state(t.target))
        )
        raise NotAllowedTransition(spec.key, workflow.definition.state(source), to_state, allowed, target)
    engine.check_move(workflow.definition, spec, actor, record, source, to_state)
    changed = _record_move(session, actor, spec, record, workflow, source, target, note or None)
    await _run_registered(session, actor, spec, record, source, target, extras or {})
    before_version = record.version
    record.version += 1
    if hasattr(record, "updated_at"):
        record.updated_at = datetime.now(UTC)
        record.updated_by = actor.user_id if actor.via != "system" else None
    audit.record(
        session,
        actor,
        entity=spec.key,
        entity_id=record.id,
        action="transition",
        before={spec.workflow_field: source, "version": before_version},
        after={spec.workflow_field: to_state, **changed, "version": record.version},
    )
    events.emit(
        session,
        f"{spec.key}.transitioned",
        {"id": str(record.id), "from": source, "to": to_state, "version": record.version},
    )
    return Moved(source, to_state, workflow.version, changed)


async def stage_history(
    session: AsyncSession, spec: EntitySpec, record_id: uuid.UUID
) -> Sequence[StageHistory]:
    """Moves of a record the caller has already been allowed to see, newest first."""
    return await repo.history(session, spec.key, record_id)


async def stage_histories(
    session: AsyncSession, spec: EntitySpec, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StageHistory]]:
    return await repo.histories(session, spec.key, record_ids)
