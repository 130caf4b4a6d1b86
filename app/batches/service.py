"""Batch actions: one change to many records (ticked, or "all N matching" a filter) as one job.

A batch is one ``batch_jobs`` row (what, by whom, progress, refusals by reason) and one item per
record. Each record goes through its entity's own verb (``EntityService.update``, ``transition``,
``delete``), so permission, data scope, validation, workflow guards, the record's audit record and
its event apply per record, and a refusal is counted by reason without stopping the others. The
item keeps the record's prior values and its version after the change: the undo (within
``UNDO_WINDOW``, once) puts exactly those values back on every record nobody edited since.

Small batches run inside the request; larger ones are an arq job (``workers/jobs/batches.py``)
that works through the pending items a chunk per transaction, so a worker killed half-way resumes
where the last committed chunk ended and nothing is done twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.batches.models import BatchJob, BatchJobItem, BatchStatus, ItemState
from app.domain import (
    Actor,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from app.events import service as events
from app.kit import bulk
from app.kit.enums import N_
from app.kit.registry import EntitySpec
from app.kit.service import EntityService, batch, unit_of_work

ENTITY = "batch"
# At most this many records in one batch ("all N matching" included).
BATCH_MAX = 50_000
# Up to this many records run inside the request; more go to the worker.
INLINE_MAX = 200
# Records per transaction (the worker's resume point).
CHUNK = 500
# How long a batch can be undone.
UNDO_WINDOW = timedelta(hours=24)

OWNER, ADD_TAGS, REMOVE_TAGS, STAGE, DELETE = "owner", "add_tags", "remove_tags", "stage", "delete"
ACTIONS = (OWNER, ADD_TAGS, REMOVE_TAGS, STAGE, DELETE)
ACTION_LABELS = {
    OWNER: N_("Change owner"),
    ADD_TAGS: N_("Add tag"),
    REMOVE_TAGS: N_("Remove tag"),
    STAGE: N_("Move stage"),
    DELETE: N_("Delete"),
}


@dataclass(frozen=True)
class Change:
    """What a batch does to each record."""

    action: str
    owner_id: uuid.UUID | None = None
    tags: tuple[str, ...] = ()
    stage: str | None = None

    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.owner_id:
            found["owner_id"] = str(self.owner_id)
        if self.tags:
            found["tags"] = list(self.tags)
        if self.stage:
            found["stage"] = self.stage
        return found

    @classmethod
    def from_params(cls, action: str, params: dict[str, Any]) -> Change:
        owner = params.get("owner_id")
        return cls(
            action=action,
            owner_id=uuid.UUID(owner) if owner else None,
            tags=tuple(params.get("tags") or ()),
            stage=params.get("stage"),
        )


Matching = Callable[[AsyncSession, Actor, Any, int], Awaitable[list[uuid.UUID]]]


@dataclass(frozen=True)
class BatchTarget:
    """An entity's batch actions: its service, the actions it offers, its list field of tags and
    how a filter becomes the matching ids (in the actor's scope, at most ``limit``)."""

    spec: EntitySpec
    service: Callable[[AsyncSession, Actor], EntityService[Any]]
    actions: tuple[str, ...]
    matching: Matching
    tag_field: str = "tags"
    tag_max_length: int = 30
    # The entity's rule on who may receive its records (a customer's owner must be an active staff
    # member within the actor's scope), checked once per batch: with it, an owner change is one
    # UPDATE per chunk (and one audit record and event per record) instead of one verb per record.
    check_owner: Callable[[EntityService[Any], uuid.UUID], Awaitable[None]] | None = None


_targets: dict[str, BatchTarget] = {}


def register_target(target: BatchTarget) -> BatchTarget:
    _targets[target.spec.key] = target
    # The batch's own audit records are labelled on the entity's audit page.
    target.spec.actions.setdefault("batch", N_("Batch change"))
    target.spec.actions.setdefault("batch_undo", N_("Batch change undone"))
    return target


def target_for(entity: str) -> BatchTarget | None:
    return _targets.get(entity)


def now() -> datetime:
    return datetime.now(UTC)


# -- checking the request -----------------------------------------------------------------------------


def _permission(target: BatchTarget, action: str) -> str:
    return f"{target.spec.module}:{'delete' if action == DELETE else 'edit'}"


def check_change(target: BatchTarget, change: Change, prefix: str = "change") -> None:
    errors: list[FieldError] = []
    if change.action not in target.actions:
        errors.append(
            FieldError(f"{prefix}.action", "invalid_choice", f"must be one of {', '.join(target.actions)}")
        )
    elif change.action == OWNER and change.owner_id is None:
        errors.append(FieldError(f"{prefix}.owner_id", "required", "is required to change the owner"))
    elif change.action in (ADD_TAGS, REMOVE_TAGS):
        if not change.tags:
            errors.append(FieldError(f"{prefix}.tags", "required", "name at least one tag"))
        for i, tag in enumerate(change.tags):
            if not tag.strip():
                errors.append(FieldError(f"{prefix}.tags.{i}", "required", "is empty"))
            elif len(tag) > target.tag_max_length:
                errors.append(
                    FieldError(
                        f"{prefix}.tags.{i}", "too_long", f"at most {target.tag_max_length} characters"
                    )
                )
    elif change.action == STAGE and not change.stage:
        errors.append(FieldError(f"{prefix}.stage", "required", "is required to move the stage"))
    if errors:
        raise ValidationFailed(errors)


# -- starting a batch -----------------------------------------------------------------------------------


async def start(
    session: AsyncSession,
    actor: Actor,
    entity: str,
    change: Change,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    filters: Any = None,
) -> BatchJob:
    """Record the batch and its items (committed); the caller runs it (``run_inline``) when it is
    small (``job.total <= INLINE_MAX``) or hands it to the worker."""
    target = _targets.get(entity)
    if target is None:
        raise NotFound(ENTITY, entity)
    permission = _permission(target, change.action)
    if not actor.can(permission):
        raise PermissionDenied(permission)
    check_change(target, change)
    if (ids is None) == (filters is None):
        raise ValidationFailed([FieldError("ids", "required", "give either ids or a filter")])
    if ids is not None:
        record_ids = list(dict.fromkeys(ids))
    else:
        record_ids = await target.matching(session, actor, filters, BATCH_MAX + 1)
    if not record_ids:
        raise ValidationFailed(
            [FieldError("ids" if ids is not None else "filter", "empty", "no records to change")]
        )
    if len(record_ids) > BATCH_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "ids" if ids is not None else "filter",
                    "too_many",
                    f"at most {BATCH_MAX:,} records in one batch; narrow the filter",
                )
            ]
        )
    job = BatchJob(
        entity=entity,
        action=change.action,
        params=change.params(),
        actor_id=actor.user_id,
        status=BatchStatus.QUEUED,
        total=len(record_ids),
        done=0,
        refused={},
    )
    session.add(job)
    await session.flush()
    for start_at in range(0, len(record_ids), 5000):
        await session.execute(
            insert(BatchJobItem),
            [
                {"job_id": job.id, "position": start_at + i, "record_id": rid, "state": ItemState.PENDING}
                for i, rid in enumerate(record_ids[start_at : start_at + 5000])
            ],
        )
    audit.record(
        session,
        actor,
        entity=entity,
        entity_id=job.id,
        action="batch",
        before=None,
        after={"batch": str(job.id), "action": change.action, **change.params(), "total": job.total},
    )
    await session.commit()
    return job


# -- one record ---------------------------------------------------------------------------------------


async def _tags_of(service: EntityService[Any], record: Any, field: str) -> list[str]:
    return list((await service.snapshot(record)).get(field) or [])


async def _apply(
    target: BatchTarget, service: EntityService[Any], change: Change, record_id: uuid.UUID
) -> tuple[dict[str, Any] | None, int]:
    """Change one record through its verbs: its prior values (None when it already was so) and its
    version after the change."""
    record: Any = await service.get(record_id)
    if record.deleted_at is not None:
        raise NotFound(target.spec.key, record_id)
    changed: Any
    if change.action == OWNER:
        if record.owner_id == change.owner_id:
            return None, record.version
        before: dict[str, Any] = {"owner_id": str(record.owner_id) if record.owner_id else None}
        changed = await service.update(record_id, record.version, {"owner_id": change.owner_id})
    elif change.action in (ADD_TAGS, REMOVE_TAGS):
        current = await _tags_of(service, record, target.tag_field)
        if change.action == ADD_TAGS:
            wanted = current + [t for t in change.tags if t not in current]
        else:
            wanted = [t for t in current if t not in change.tags]
        if wanted == current:
            return None, record.version
        before = {target.tag_field: current}
        changed = await service.update(record_id, record.version, {target.tag_field: wanted})
    elif change.action == STAGE:
        field = target.spec.workflow_field
        assert field and change.stage
        if getattr(record, field) == change.stage:
            return None, record.version
        before = {field: getattr(record, field)}
        changed = await service.transition(record_id, change.stage, record.version)
    else:
        before = {"deleted": False}
        changed = await service.delete(record_id)
    return before, changed.version


async def _undo(target: BatchTarget, service: EntityService[Any], action: str, item: BatchJobItem) -> None:
    """Put one record's prior values back; ``VersionConflict`` when someone changed it since."""
    before = item.before or {}
    version = item.after_version or 0
    if action == DELETE:
        record: Any = await service.get(item.record_id)
        if record.version != version:
            raise VersionConflict(record.id, record.version, None, record.updated_at)
        await service.restore(item.record_id)
    elif action == STAGE:
        # Back to the stage it was in, whether or not the workflow allows that move: an undo restores.
        field = target.spec.workflow_field
        assert field
        async with unit_of_work(service.session):
            record = await service._load(item.record_id, for_update=True)
            if record.version != version:
                raise VersionConflict(record.id, record.version, None, record.updated_at)
            previous = await service.snapshot(record)
            setattr(record, field, before.get(field))
            record.version += 1
            record.updated_at = now()
            record.updated_by = service.actor.user_id
            service._audit(record, "update", previous, await service.snapshot(record))
            service._emit(record, "updated", version=record.version)
    else:
        values = dict(before)
        if "owner_id" in values and values["owner_id"]:
            values["owner_id"] = uuid.UUID(values["owner_id"])
        await service.update(item.record_id, version, values)


# -- running ------------------------------------------------------------------------------------------


async def _pending(session: AsyncSession, job_id: uuid.UUID, state: str, limit: int) -> list[BatchJobItem]:
    query = (
        select(BatchJobItem)
        .where(BatchJobItem.job_id == job_id, BatchJobItem.state == state)
        .order_by(BatchJobItem.position)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def run_chunks(
    session: AsyncSession, actor: Actor, job_id: uuid.UUID, *, chunk: int = CHUNK
) -> BatchJob:
    """Work through the job's pending items (or, while undoing, its changed ones) a chunk per
    transaction; idempotent: a finished job returns as it is."""
    job = await session.get(BatchJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound(ENTITY, job_id)
    target = _targets[job.entity]
    undoing = job.status == BatchStatus.UNDOING
    if job.status == BatchStatus.QUEUED:
        job.status, job.heartbeat_at = BatchStatus.RUNNING, now()
        await session.commit()
    elif job.status not in (BatchStatus.RUNNING, BatchStatus.UNDOING):
        return job
    change = Change.from_params(job.action, job.params)
    while True:
        # Each chunk holds the job's row: should a run thought dead (app.kit.jobs) still be going,
        # the two take turns by chunk and each reads the items the other left pending.
        locked = await session.get(BatchJob, job_id, populate_existing=True, with_for_update=True)
        assert locked is not None
        job = locked
        if job.status not in (BatchStatus.RUNNING, BatchStatus.UNDOING):  # the other run finished it
            await session.commit()
            return job
        items = await _pending(session, job.id, ItemState.DONE if undoing else ItemState.PENDING, chunk)
        if not items:
            break
        done = kept = 0
        refused: dict[str, int] = {}
        if job.action == OWNER and target.check_owner is not None:
            async with batch(session):
                if undoing:
                    done, kept = await _owner_undo_chunk(target, target.service(session, actor), items)
                    values_fast: dict[str, Any] = {
                        "undo_done": BatchJob.undo_done + done,
                        "undo_kept": BatchJob.undo_kept + kept,
                        "heartbeat_at": now(),
                    }
                else:
                    done, refused = await _owner_chunk(target, target.service(session, actor), change, items)
                    values_fast = {
                        "done": BatchJob.done + done,
                        "refused": _merge(job.refused, refused),
                        "heartbeat_at": now(),
                    }
                await session.execute(update(BatchJob).where(BatchJob.id == job.id).values(**values_fast))
            job = await session.get(BatchJob, job_id, populate_existing=True)
            assert job is not None
            continue
        async with batch(session):
            for item in items:
                service = target.service(session, actor)
                try:
                    if undoing:
                        await _undo(target, service, job.action, item)
                    else:
                        before, version = await _apply(target, service, change, item.record_id)
                except DomainError as exc:
                    if undoing:
                        item.state, kept = ItemState.KEPT, kept + 1
                    else:
                        reason = refusal_reason(exc)
                        item.state, item.reason = ItemState.REFUSED, reason
                        refused[reason] = refused.get(reason, 0) + 1
                    continue
                if undoing:
                    item.state, done = ItemState.UNDONE, done + 1
                    continue
                done += 1
                if before is None:
                    item.state = ItemState.UNCHANGED
                else:
                    item.state, item.before, item.after_version = ItemState.DONE, before, version
            # The counters move with the chunk's changes, in the same transaction.
            values: dict[str, Any] = (
                {"undo_done": BatchJob.undo_done + done, "undo_kept": BatchJob.undo_kept + kept}
                if undoing
                else {"done": BatchJob.done + done, "refused": _merge(job.refused, refused)}
            )
            values["heartbeat_at"] = now()
            await session.execute(update(BatchJob).where(BatchJob.id == job.id).values(**values))
        job = await session.get(BatchJob, job_id, populate_existing=True)
        assert job is not None
    job.status = BatchStatus.UNDONE if undoing else BatchStatus.DONE
    if undoing:
        job.undone_at = now()
    else:
        job.finished_at = now()
    if undoing:
        audit.record(
            session,
            actor,
            entity=job.entity,
            entity_id=job.id,
            action="batch_undo",
            before=None,
            after={"batch": str(job.id), "restored": job.undo_done, "kept": job.undo_kept},
        )
    await session.commit()
    return job


# -- owner changes, set-based ---------------------------------------------------------------------------


def _owner_audit(service: EntityService[Any], record_id: uuid.UUID, old: Any, new: Any, version: int) -> None:
    audit.record(
        service.session,
        service.actor,
        entity=service.spec.key,
        entity_id=record_id,
        action="update",
        before={"owner_id": str(old) if old else None, "version": version - 1},
        after={"owner_id": str(new) if new else None, "version": version},
    )
    events.emit(service.session, f"{service.spec.key}.updated", {"id": str(record_id), "version": version})


async def _owner_chunk(
    target: BatchTarget, service: EntityService[Any], change: Change, items: Sequence[BatchJobItem]
) -> tuple[int, dict[str, int]]:
    """One chunk of an owner change: the owner rule once, the visible live records locked and changed
    by one UPDATE, an audit record and an event per record; the rest counted as refused."""
    model: Any = service.model
    refused: dict[str, int] = {}
    try:
        service.require("edit")
        assert target.check_owner is not None and change.owner_id is not None
        await target.check_owner(service, change.owner_id)
    except DomainError as exc:
        reason = refusal_reason(exc)
        for item in items:
            item.state, item.reason = ItemState.REFUSED, reason
        return 0, {reason: len(items)}
    query = await service.visible(
        select(model.id, model.owner_id, model.version).where(
            model.id.in_([i.record_id for i in items]), model.deleted_at.is_(None)
        )
    )
    found = {row.id: row for row in (await service.session.execute(query.with_for_update())).all()}
    moving = [i for i in items if i.record_id in found and found[i.record_id].owner_id != change.owner_id]
    done = 0
    if moving:
        changed = await service.session.execute(
            update(model)
            .where(model.id.in_([i.record_id for i in moving]))
            .values(
                owner_id=change.owner_id,
                version=model.version + 1,
                updated_at=now(),
                updated_by=service.actor.user_id,
            )
            .returning(model.id, model.version)
            .execution_options(synchronize_session=False)
        )
        versions: dict[uuid.UUID, int] = dict(changed.all())
        for item in moving:
            old = found[item.record_id].owner_id
            item.state, item.after_version = ItemState.DONE, versions[item.record_id]
            item.before = {"owner_id": str(old) if old else None}
            _owner_audit(service, item.record_id, old, change.owner_id, versions[item.record_id])
    for item in items:
        if item.record_id not in found:
            item.state, item.reason = ItemState.REFUSED, bulk.NOT_FOUND
            refused[bulk.NOT_FOUND] = refused.get(bulk.NOT_FOUND, 0) + 1
        else:
            done += 1
            if item.state == ItemState.PENDING:
                item.state = ItemState.UNCHANGED
    return done, refused


async def _owner_undo_chunk(
    target: BatchTarget, service: EntityService[Any], items: Sequence[BatchJobItem]
) -> tuple[int, int]:
    """Put the prior owners back, in one UPDATE, on every record still at the version the batch left
    it at; the others were changed since and are kept as they are."""
    model: Any = service.model
    current = await service.session.execute(
        select(model.id, model.owner_id, model.version)
        .where(model.id.in_([i.record_id for i in items]))
        .with_for_update()
    )
    found = {row.id: row for row in current.all()}
    back = [
        i for i in items if (row := found.get(i.record_id)) is not None and row.version == i.after_version
    ]
    previous = {i.record_id: (i.before or {}).get("owner_id") for i in back}
    if back:
        owners = case(
            *((model.id == rid, cast(literal(old), PG_UUID)) for rid, old in previous.items()),
            else_=model.owner_id,
        )
        await service.session.execute(
            update(model)
            .where(model.id.in_(list(previous)))
            .values(
                owner_id=owners, version=model.version + 1, updated_at=now(), updated_by=service.actor.user_id
            )
            .execution_options(synchronize_session=False)
        )
    for item in items:
        if item.record_id in previous:
            old = previous[item.record_id]
            row = found[item.record_id]
            _owner_audit(service, item.record_id, row.owner_id, old, row.version + 1)
            item.state = ItemState.UNDONE
        else:
            item.state = ItemState.KEPT
    return len(back), len(items) - len(back)


def _merge(current: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    merged = dict(current or {})
    for reason, n in more.items():
        merged[reason] = merged.get(reason, 0) + n
    return merged


def refusal_reason(exc: DomainError) -> str:
    """Why a record was refused: the bulk reasons, and a workflow's own (a move the workflow does not
    allow, a guard the record does not meet)."""
    code = getattr(exc, "code", "")
    if code in ("not_allowed_transition", "guard_failed"):
        return str(code)
    return bulk.reason_of(exc)


# -- reading and undoing ------------------------------------------------------------------------------


async def get_job(session: AsyncSession, actor: Actor, job_id: uuid.UUID) -> BatchJob:
    """The actor's own batch; anyone else's reads like absent."""
    job = await session.get(BatchJob, job_id, populate_existing=True)
    if job is None or job.actor_id != actor.user_id:
        raise NotFound(ENTITY, job_id)
    return job


def undo_deadline(job: BatchJob) -> datetime:
    return job.created_at + UNDO_WINDOW


def can_undo(job: BatchJob, at: datetime | None = None) -> bool:
    return job.status == BatchStatus.DONE and job.done > 0 and (at or now()) < undo_deadline(job)


async def begin_undo(session: AsyncSession, actor: Actor, job_id: uuid.UUID) -> BatchJob:
    """Mark the batch as being undone (the caller runs it, inline or on the worker); refused when it
    was undone already, is still running, or is past the window."""
    job = await get_job(session, actor, job_id)
    problem: tuple[str, str] | None = None
    if job.status in (BatchStatus.UNDOING, BatchStatus.UNDONE):
        problem = ("already_undone", "this batch was undone already")
    elif job.status in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        problem = ("still_running", "wait until the batch has finished")
    elif now() >= undo_deadline(job):
        problem = (
            "undo_expired",
            f"a batch can be undone within {int(UNDO_WINDOW.total_seconds() // 3600)} h",
        )
    if problem:
        raise ValidationFailed([FieldError("id", *problem)])
    # One statement, so two undo clicks at once start one undo.
    claimed = await session.execute(
        update(BatchJob)
        .where(BatchJob.id == job.id, BatchJob.status == job.status)
        .values(status=BatchStatus.UNDOING, undone_by=actor.user_id, heartbeat_at=now())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise ValidationFailed([FieldError("id", "already_undone", "this batch was undone already")])
    await session.commit()
    return await get_job(session, actor, job_id)


async def changed_count(session: AsyncSession, job_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(BatchJobItem)
            .where(BatchJobItem.job_id == job_id, BatchJobItem.state == ItemState.DONE)
        )
        or 0
    )
