"""The import run (an arq job) and its undo.

Rows are handled in chunks; each chunk is one transaction holding the records it wrote, one
``import_rows`` line per row (what it did; an updated record as it was) and the batch's counters,
fenced by the run's attempt. A run killed half-way therefore leaves whole chunks only, and the
next attempt starts after the last committed line: nothing is lost and nothing is done twice.
Undo walks the same lines back in one transaction: records the import created are removed,
records it updated get every column back; a record someone edited since is left as it is.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import Date, DateTime, delete, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.audit import service as audit
from app.customfields import service as custom_fields
from app.db import Database
from app.domain import Actor, FieldError, NotFound, PermissionDenied, QuotaExceeded, ValidationFailed
from app.kit import jobs
from app.kit.fields import Errors
from app.kit.imports import repository as repo
from app.kit.imports.convert import RowConverter, StaffIndex
from app.kit.imports.models import ImportBatch, ImportStatus, RowAction
from app.kit.imports.reader import Table, cell_text
from app.kit.imports.service import AREA, ENTITY, _spec, get_batch, utcnow
from app.kit.imports.spec import ImportSpec
from app.kit.jobs import JobTable, register_job
from app.kit.service import EntityService, batch, json_ready
from app.observability import scrub_text
from app.platform import quotas
from app.storage import tenant_files

log = logging.getLogger("dealercrm.imports")

JOB_NAME = "import_rows"
CHUNK_ROWS = 1000
STALE_AFTER = timedelta(seconds=120)
REQUEUE_AFTER = timedelta(seconds=60)
AUTO_ATTEMPTS_LIMIT = 5


class Superseded(Exception):
    """This run's attempt is no longer the batch's current one."""


def arq_job_id(schema: str, batch_id: uuid.UUID) -> str:
    return f"import:{schema}:{batch_id}"


# The lost-job sweep (app.kit.jobs): an import whose enqueue was lost is enqueued again; one whose
# worker died is queued again and its next attempt resumes after the last committed chunk.
IMPORT_JOBS = register_job(
    JobTable(
        key="import",
        model=ImportBatch,
        job_name=JOB_NAME,
        job_id=lambda schema, row: arq_job_id(schema, row.id),
        waiting=(ImportStatus.QUEUED,),
        running=(ImportStatus.RUNNING,),
        requeue_after=lambda: REQUEUE_AFTER,
        stale_after=lambda: STALE_AFTER,
        restart={"status": ImportStatus.QUEUED, "error": None, "finished_at": None},
        max_attempts=AUTO_ATTEMPTS_LIMIT,
        failed=lambda tries: {
            "status": ImportStatus.FAILED,
            "error": f"the worker stopped {tries} times",
            "finished_at": utcnow(),
        },
    )
)


async def enqueue_import(
    arq: ArqRedis, schema: str, batch_id: uuid.UUID, *, release_claim: bool = False
) -> bool:
    """Hand a committed batch to the worker. Never raises: a lost enqueue is picked up by the sweep."""
    return await jobs.enqueue(
        arq, IMPORT_JOBS, schema, str(batch_id), arq_job_id(schema, batch_id), release_claim=release_claim
    )


# -- records as rows, for undo ------------------------------------------------------------------------


def row_image(record: Any) -> dict[str, Any]:
    """Every column of a record, JSON-ready."""
    return {c.key: json_ready(getattr(record, c.key)) for c in record.__mapper__.column_attrs}


def put_back(record: Any, image: dict[str, Any]) -> None:
    """Set every column from ``row_image``'s output (types restored from the columns)."""
    for attr in record.__mapper__.column_attrs:
        if attr.key not in image or attr.key in ("id", "version"):
            continue
        value = image[attr.key]
        kind = attr.columns[0].type
        if value is not None:
            if isinstance(kind, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(kind, Date):
                value = date.fromisoformat(value)
            elif isinstance(kind, PG_UUID):
                value = uuid.UUID(value)
        setattr(record, attr.key, value)


# -- one row ----------------------------------------------------------------------------------------


def _match_values(
    service: EntityService[Any], spec: ImportSpec, raw: dict[str, Any]
) -> list[tuple[str, Any]]:
    found = []
    for name in spec.match:
        kind = service.fields.types.get(name)
        if kind is None or raw.get(name) in (None, ""):
            continue
        value = kind.clean(Errors(), name, raw[name])
        if value is not None:
            found.append((name, value))
    return found


async def find_existing(
    service: EntityService[Any], spec: ImportSpec, raw: dict[str, Any], cache: dict[tuple[str, Any], Any]
) -> tuple[Any, bool]:
    """The live record this row is about (visible to the actor), and whether a match exists that
    the actor cannot see (then the row must not touch it or learn anything of it)."""
    model: Any = service.model
    for name, value in _match_values(service, spec, raw):
        if (name, value) in cache:
            return cache[(name, value)], False
        query = select(model).where(getattr(model, name) == value, model.deleted_at.is_(None)).limit(1)
        record = await service.session.scalar(await service.visible(query))
        if record is not None:
            return record, False
        hidden = await service.session.scalar(
            select(model.id).where(getattr(model, name) == value, model.deleted_at.is_(None)).limit(1)
        )
        if hidden is not None:
            return None, True
    return None, False


def _formula_cells(
    cells: Sequence[Any], headers: Sequence[str], mapping: Sequence[str | None]
) -> list[FieldError]:
    """Cells a spreadsheet would run as a formula (=, or +/-/@ before something not a number)."""
    found = []
    for header, target, value in zip(headers, mapping, cells, strict=False):
        if target is None or not isinstance(value, str):
            continue
        text = value.strip()
        if text.startswith("=") or (
            len(text) > 1 and text[0] in "+-@" and not (text[1].isdigit() or text[1] == " ")
        ):
            found.append(FieldError(target, "formula", f"{header} looks like a spreadsheet formula"))
    return found


@dataclass
class Outcome:
    action: str
    record: Any = None
    before: dict[str, Any] | None = None
    problems: list[FieldError] | None = None


class RowImporter:
    def __init__(
        self, service: EntityService[Any], spec: ImportSpec, converter: RowConverter, batch: ImportBatch
    ) -> None:
        self.service = service
        self.spec = spec
        self.converter = converter
        self.batch = batch
        self.created: dict[tuple[str, Any], Any] = {}  # match key → record created by this batch
        # Chunks written in bulk (app.kit.imports.bulk) when the entity's creates allow it.
        self.bulk = type(service).writes_in_bulk()

    def convert(self, cells: list[Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """The row as input, and what only the file can get wrong (formulas, unknown staff)."""
        problems = _formula_cells(cells, self.batch.headers, self.batch.mapping)
        raw, found = self.converter.convert(cells)
        problems.extend(found)
        return raw, problems

    async def apply(self, cells: list[Any]) -> Outcome:
        raw, problems = self.convert(cells)
        if problems:
            return Outcome(RowAction.REJECTED, problems=problems)
        policy = self.batch.policy
        existing, hidden = (None, False)
        if policy != "create":
            existing, hidden = await find_existing(self.service, self.spec, raw, self.created)
        if hidden:
            problem = FieldError(self.spec.match[0], "duplicate_hidden", "matches a record you cannot see")
            return Outcome(RowAction.SKIPPED if policy == "skip" else RowAction.REJECTED, problems=[problem])
        try:
            if existing is None:
                record = await self.verbs().create(raw)
                for key in _match_values(self.service, self.spec, raw):
                    self.created[key] = record
                return Outcome(RowAction.CREATED, record)
            if policy == "skip":
                return self.skipped(existing)
            return await self.update(existing, raw)
        except ValidationFailed as exc:
            return Outcome(RowAction.REJECTED, problems=list(exc.errors))

    def verbs(self) -> EntityService[Any]:
        """A service of its own for one verb (as a request has): hooks keep per-record state."""
        service = type(self.service)(self.service.session, self.service.actor)
        service.accept_duplicates = self.service.accept_duplicates
        service._owners = self.service._owners
        return service

    def skipped(self, existing: Any) -> Outcome:
        problem = FieldError(self.spec.match[0], "duplicate", "matches an existing record")
        return Outcome(RowAction.SKIPPED, existing, problems=[problem])

    async def update(self, existing: Any, raw: dict[str, Any]) -> Outcome:
        """The matching record updated by the entity's verb, its prior state kept for undo."""
        before = row_image(existing)
        if self.spec.extra_state is not None:
            before["_extra"] = (await self.spec.extra_state[0](self.service.session, [existing.id])).get(
                existing.id
            )
        try:
            record = await self.verbs().update(existing.id, existing.version, raw)
        except ValidationFailed as exc:
            return Outcome(RowAction.REJECTED, problems=list(exc.errors))
        except NotFound:
            problem = FieldError(self.spec.match[0], "not_found", "the matching record is gone")
            return Outcome(RowAction.REJECTED, problems=[problem])
        return Outcome(RowAction.UPDATED, record, before=before)


def _problems(items: Sequence[FieldError] | None) -> list[dict[str, str]] | None:
    if not items:
        return None
    return [{"field": p.field, "code": p.code, "message": p.message} for p in items]


# -- the run ----------------------------------------------------------------------------------------


async def run_import(db: Database, schema: str, batch_id: uuid.UUID, *, chunk_rows: int = CHUNK_ROWS) -> str:
    """Import a queued batch's rows, resuming after the last committed chunk. Idempotent."""
    async with db.tenant_session(schema) as session:
        claimed = await repo.claim(session, batch_id, utcnow())
        await session.commit()
        if claimed is None:
            current = await repo.get(session, batch_id)
            return f"skipped: {current.status}" if current else "skipped: missing"
    attempt = claimed.attempts
    try:
        with _fewer_collections():
            counts = await _rows(db, schema, claimed, attempt, chunk_rows)
    except Superseded:
        return "superseded"
    except asyncio.CancelledError:
        await jobs.shielded(_hand_back(db, schema, batch_id, attempt))
        raise
    except Exception as exc:
        if isinstance(exc, QuotaExceeded | PermissionDenied):
            message = (
                str(exc)[:300] if isinstance(exc, QuotaExceeded) else "the requester may no longer import"
            )
        else:
            log.exception("import %s in %s failed", batch_id, schema)
            message = f"{type(exc).__name__}: {scrub_text(str(exc))}"[:300]
        async with db.tenant_session(schema) as session:
            await repo.fenced(
                session, batch_id, attempt, status=ImportStatus.FAILED, error=message, finished_at=utcnow()
            )
            await session.commit()
        return "failed"
    async with db.tenant_session(schema) as session:
        finished = await repo.fenced(
            session, batch_id, attempt, status=ImportStatus.DONE, finished_at=utcnow()
        )
        await session.commit()
    return f"done: {counts}" if finished else "superseded"


_running = 0  # runs under ``_fewer_collections`` in this process
_thresholds = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector set for a run's many short-lived rows: what the process held when
    the first run began (the app: a few hundred MB) is left out of collections (``gc.freeze``)
    and the youngest generation is collected every 20,000 allocations instead of 700. Otherwise a
    run spends about a quarter of its CPU rescanning objects that live on. Runs at once in one
    worker share it; the last to end sets the collector back (and frozen objects are collected
    again as usual)."""
    global _running, _thresholds
    if _running == 0:
        _thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(20_000, *_thresholds[1:])
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0:
            gc.set_threshold(*_thresholds)
            gc.unfreeze()


async def _hand_back(db: Database, schema: str, batch_id: uuid.UUID, attempt: int) -> None:
    async with db.tenant_session(schema) as session:
        await repo.fenced(session, batch_id, attempt, status=ImportStatus.QUEUED)
        await session.commit()


async def requester_actor(session: AsyncSession, batch: ImportBatch) -> Actor:
    """The requester as they are now (a deactivated one, or one whose role lost the permission, stops it)."""
    user = await accounts_repo.user_by_id(session, batch.requested_by)
    if user is None or not user.is_active:
        raise PermissionDenied("import")
    actor = actor_for(user, via="import", request_id=f"import:{batch.id}")
    _, declared, _ = _spec(batch.entity)
    if not actor.can(f"{declared.module}:import"):
        raise PermissionDenied(f"{declared.module}:import")
    return actor


async def _rows(db: Database, schema: str, job: ImportBatch, attempt: int, chunk_rows: int) -> dict[str, int]:
    spec, declared, service_cls = _spec(job.entity)
    table = Table(tenant_files(schema, AREA).path(job.file_name), job.format, job.encoding)
    totals: dict[str, int] = {}
    async with db.tenant_session(schema) as session:
        actor = await requester_actor(session, job)
        done_upto = await repo.last_row(session, job.id)
        definitions = (
            await custom_fields.active_definitions(session, job.entity) if declared.customizable else []
        )
        staff = StaffIndex(await accounts_repo.list_users(session))
        await session.commit()
        converter = RowConverter(
            spec, service_cls.fields, dict(declared.choices), job.mapping, definitions, staff
        )
        service = service_cls(session, actor)
        # A file cannot answer the duplicate warning: under the tenant's "warn" policy its rows are
        # saved (the audit record names the match); under "refuse" they are rejected with the reason.
        # Matches on the import's own key (the mobile) follow the batch's policy before that.
        service.accept_duplicates = True
        importer = RowImporter(service, spec, converter, job)
        analyze_at = chunk_rows
        async for chunk in table.chunks(chunk_rows, after=done_upto):
            _add(totals, await _chunk(session, importer, job, attempt, chunk))
            written = totals.get(RowAction.CREATED, 0) + totals.get(RowAction.UPDATED, 0)
            if written >= analyze_at:
                # The table grows under the import faster than autovacuum looks at it: without fresh
                # statistics a match lookup planned on the near-empty table (a sequential scan) is
                # kept by the connection's plan cache while the table reaches 100,000 rows. Analysed
                # at 1, 2, 4, ... chunks' worth of rows: a handful of times an import, ~0.2 s each.
                model: Any = service_cls.model
                await repo.refresh_statistics(session, schema, model.__table__.name)
                await session.commit()
                analyze_at = 2 * written
    return totals


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        totals[key] = totals.get(key, 0) + value


async def _chunk(
    session: AsyncSession,
    importer: RowImporter,
    job: ImportBatch,
    attempt: int,
    chunk: list[tuple[int, list[Any]]],
) -> dict[str, int]:
    """One chunk in one transaction: in bulk when the entity allows it (``app.kit.imports.bulk``),
    else row by row through the verbs."""
    if importer.bulk:
        from app.kit.imports.bulk import bulk_chunk

        return await bulk_chunk(session, importer, job, attempt, chunk)
    counts: dict[str, int] = {}
    importer.created.clear()  # records of earlier chunks are found by the query again
    importer.service._owners = False  # scope as it is now (a team change mid-import applies)
    async with batch(session):
        # The fence first: it locks the batch row, so a superseding attempt waits for this chunk.
        if not await repo.fenced(session, job.id, attempt, heartbeat_at=utcnow()):
            raise Superseded(job.id)
        journal = []
        async with quotas.reserved(session, importer.spec.quota, len(chunk)):
            for line, cells in chunk:
                outcome = await importer.apply(cells)
                counts[outcome.action] = counts.get(outcome.action, 0) + 1
                journal.append(journal_line(job, line, cells, outcome))
        await repo.add_rows(session, journal)
        if not await repo.add_counts(session, job.id, attempt, counts, utcnow()):
            raise Superseded(job.id)
    return counts


def journal_line(job: ImportBatch, line: int, cells: Sequence[Any], outcome: Outcome) -> dict[str, Any]:
    """What one row did, as its ``import_rows`` line (undo and the rejects file read these)."""
    written = outcome.action in (RowAction.CREATED, RowAction.UPDATED)
    return {
        "batch_id": job.id,
        "row_no": line,
        "action": outcome.action,
        "record_id": getattr(outcome.record, "id", None),
        "before": outcome.before,
        "version_after": getattr(outcome.record, "version", None) if written else None,
        "problems": _problems(outcome.problems),
        "cells": [cell_text(c) for c in cells] if outcome.action == RowAction.REJECTED else None,
    }


# -- undo -------------------------------------------------------------------------------------------


@dataclass
class UndoResult:
    batch: ImportBatch
    removed: int
    restored: int
    kept: int  # edited by someone since the import: left as they are


async def undo_import(session: AsyncSession, actor: Actor, batch_id: uuid.UUID) -> UndoResult:
    """Put back every record the import touched, in one transaction. A batch still running must
    finish or stall first; a stalled one (its worker died) can be undone, which also stops it."""
    job = await get_batch(session, actor, batch_id, for_update=True)
    stalled = job.status == ImportStatus.RUNNING and (job.heartbeat_at or utcnow()) < utcnow() - STALE_AFTER
    if job.status not in (ImportStatus.DONE, ImportStatus.FAILED) and not stalled:
        raise ValidationFailed(
            [FieldError("status", "not_undoable", "only finished, failed or stalled imports can be undone")]
        )
    spec, declared, service_cls = _spec(job.entity)
    model: Any = service_cls.model
    removed = restored = kept = 0
    # Per record: whether the import created it, and the version its last line left it at. A row
    # may touch a record an earlier row of the file created or updated: the record is removed, or
    # put back as the first line found it, unless someone changed it after the import's last write.
    created, last_version = await repo.touched(session, job.id)
    seen: set[uuid.UUID] = set()
    after = 0
    while rows := await repo.rows(session, job.id, [RowAction.CREATED, RowAction.UPDATED], after=after):
        after = rows[-1].row_no
        firsts = []  # each record's first line: it holds the record as it was before the import
        for line in rows:
            if line.record_id is not None and line.record_id not in seen:
                seen.add(line.record_id)
                firsts.append(line)
        ids = [r.record_id for r in firsts]
        current = {
            rec.id: rec
            for rec in (await session.scalars(select(model).where(model.id.in_(ids)).with_for_update())).all()
        }
        gone: list[uuid.UUID] = []
        entries: list[dict[str, Any]] = []
        for row in firsts:
            record = current.get(row.record_id)
            if record is None or record.version != last_version.get(record.id):
                kept += 1
                continue
            if record.id in created:
                gone.append(record.id)
                entries.append(
                    audit.row(
                        actor,
                        entity=declared.key,
                        entity_id=record.id,
                        action="delete",
                        before={"import": str(job.id)},
                        after=None,
                    )
                )
                continue
            image = dict(row.before or {})
            extra = image.pop("_extra", None)
            put_back(record, image)
            record.version = record.version + 1
            if spec.extra_state is not None:
                await spec.extra_state[1](session, record.id, extra)
            entries.append(
                audit.row(
                    actor,
                    entity=declared.key,
                    entity_id=record.id,
                    action="update",
                    before={"import": str(job.id)},
                    after={"restored_version": image.get("version")},
                )
            )
            restored += 1
        if gone:
            await session.execute(
                delete(model).where(model.id.in_(gone)).execution_options(synchronize_session=False)
            )
            removed += len(gone)
        await audit.record_many(session, entries)
    before = {"status": job.status}
    job.status = ImportStatus.UNDONE
    job.attempts = job.attempts + 1  # a stalled run that wakes up finds itself superseded
    job.undone_at = utcnow()
    job.undone_by = actor.user_id
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=job.id,
        action="undo",
        before=before,
        after={"removed": removed, "restored": restored, "kept": kept},
    )
    await session.commit()
    return UndoResult(job, removed, restored, kept)
