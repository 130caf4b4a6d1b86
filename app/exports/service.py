"""Background exports of the customer list: request, follow, download, retry, and the run itself.

PostgreSQL is the record of truth (ARCHITECTURE "Workers"): the ``export_jobs`` row is written and
committed first, then handed to arq under a natural job id; a sweep hands it over again when the
enqueue was lost or its worker died. The run claims the row for one attempt, streams customers in
the requester's data scope (re-derived from the user at run time, not frozen at request time),
writes the file under a hidden name, and marks the export done only once the complete file has
been renamed into place. A killed run therefore leaves no file for anyone to download.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.permissions import CUSTOMERS_EXPORT, SCOPE_ALL, STAFF_MANAGE
from app.accounts.service import actor_for, staff_names, visible_owner_ids
from app.audit import service as audit
from app.customers import repository as customers_repo
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.repository import CustomerFilter
from app.customfields import service as custom_fields
from app.db import Database
from app.domain import Actor, FieldError, NotFound, PermissionDenied, QuotaExceeded, ValidationFailed
from app.exports import repository as repo
from app.exports.files import (
    CHILD_HEADERS,
    CONTENT_TYPES,
    FILE_TZ,
    FORMATS,
    addresses_cell,
    contacts_cell,
    customer_row,
    row_writer,
)
from app.exports.models import ExportJob, ExportStatus
from app.i18n import translate
from app.kit import jobs
from app.kit.jobs import JobTable, register_job
from app.kit.service import service_for
from app.observability import scrub_text
from app.platform.quotas import ensure_storage_room
from app.settings import get_settings
from app.storage import tenant_files

log = logging.getLogger("dealercrm.exports")

ENTITY = "export"
AREA = "exports"
JOB_NAME = "export_customers"
# A run that keeps dying (a poison export that kills its worker) is not re-queued forever: after this
# many attempts the sweep marks it failed and a person decides (the retry button still works).
AUTO_ATTEMPTS_LIMIT = 5
LIST_LIMIT = 50


class Superseded(Exception):
    """This run's attempt is no longer the export's current one (it was declared dead and re-run)."""


class RequesterRefused(Exception):
    """The requester can no longer export (deactivated, or their role lost the permission)."""


@dataclass(frozen=True)
class ExportFile:
    path: Path
    download_name: str
    content_type: str


def utcnow() -> datetime:
    return datetime.now(UTC)


def arq_job_id(schema: str, export_id: uuid.UUID) -> str:
    """The natural key: one arq job per export, however often it is enqueued."""
    return f"export:{schema}:{export_id}"


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


def sees_everyones(actor: Actor) -> bool:
    """Administrators (user management and the "all" data scope) follow every export of the tenant."""
    return actor.data_scope == SCOPE_ALL and actor.can(STAFF_MANAGE)


def filters_from_json(data: dict[str, Any]) -> CustomerFilter:
    """The stored filters back as a CustomerFilter, through the customer's filter spec (a value it
    refuses is left out; never the recycle bin)."""
    given = {k: v for k, v in data.items() if k not in ("trashed", "custom")}
    if isinstance(data.get("custom"), list):
        given["custom"] = [c for c in data["custom"] if isinstance(c, list) and len(c) == 3]
    return CustomerFilter(**CUSTOMER_FILTERS.parse(given).values)


async def _checked_custom(session: AsyncSession, filters: CustomerFilter) -> CustomerFilter:
    """Custom-field filters checked against the fields as they are now (refused if one no longer fits)."""
    if not filters.custom:
        return filters
    definitions = await custom_fields.active_definitions(session, "customer")
    conditions, problems = custom_fields.resolve_filters(definitions, filters.custom)
    if problems:
        raise ValidationFailed(problems)
    return CustomerFilter(**{**filters.__dict__, "custom": conditions})


def _validate(filters: CustomerFilter, fmt: str) -> None:
    errors: list[FieldError] = []
    if fmt not in FORMATS:
        errors.append(FieldError("format", "invalid_choice", f"must be one of {', '.join(FORMATS)}"))
    # The customer's one filter spec (app.customers.filters), as the list and the API check them.
    errors.extend(
        FieldError(e.field.removeprefix("filter."), e.code, e.message)
        for e in CUSTOMER_FILTERS.parse(vars(filters)).errors
    )
    if filters.trashed:
        errors.append(FieldError("trashed", "invalid", "the recycle bin cannot be exported"))
    if errors:
        raise ValidationFailed(errors)


# -- requests from people -------------------------------------------------------------------------


async def request_customer_export(
    session: AsyncSession, actor: Actor, filters: CustomerFilter, fmt: str
) -> ExportJob:
    """Record an export of the customer list as filtered now; the caller enqueues it once this commits."""
    _require(actor, CUSTOMERS_EXPORT)
    _validate(filters, fmt)
    await _checked_custom(session, filters)
    job = ExportJob(
        entity="customer",
        format=fmt,
        filters=filters.as_dict(),
        requested_by=actor.user_id,
        status=ExportStatus.QUEUED,
        attempts=0,
        rows_done=0,
    )
    session.add(job)
    await session.flush()
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=job.id,
        action="request",
        before=None,
        after={"entity": job.entity, "format": fmt, "filters": job.filters},
    )
    await session.commit()
    return job


async def list_exports(session: AsyncSession, actor: Actor) -> list[ExportJob]:
    """The actor's own exports, newest first; administrators see everyone's."""
    _require(actor, CUSTOMERS_EXPORT)
    return list(
        await repo.recent(session, None if sees_everyones(actor) else actor.user_id, limit=LIST_LIMIT)
    )


async def get_export(
    session: AsyncSession, actor: Actor, export_id: uuid.UUID, *, for_update: bool = False
) -> ExportJob:
    _require(actor, CUSTOMERS_EXPORT)
    job = await repo.get(session, export_id, for_update=for_update)
    if job is None or (job.requested_by != actor.user_id and not sees_everyones(actor)):
        # Someone else's export reads exactly like a missing one.
        raise NotFound(ENTITY, export_id)
    return job


def is_stalled(job: ExportJob, now: datetime | None = None) -> bool:
    """Running, but its worker has not reported for longer than a live run ever goes quiet."""
    if job.status != ExportStatus.RUNNING or job.heartbeat_at is None:
        return False
    stale_after = timedelta(seconds=get_settings().export_stale_after_seconds)
    return job.heartbeat_at < (now or utcnow()) - stale_after


def is_retriable(job: ExportJob, now: datetime | None = None) -> bool:
    return job.status == ExportStatus.FAILED or is_stalled(job, now)


async def retry_export(session: AsyncSession, actor: Actor, export_id: uuid.UUID) -> ExportJob:
    """Queue a failed or stalled export again; the caller enqueues it after this commits."""
    job = await get_export(session, actor, export_id, for_update=True)
    before = {"status": job.status, "attempts": job.attempts, "error": job.error}
    stale_before = utcnow() - timedelta(seconds=get_settings().export_stale_after_seconds)
    if not await repo.requeue(session, job.id, stale_before=stale_before):
        raise ValidationFailed(
            [FieldError("status", "not_retriable", "only failed or stalled exports can be retried")]
        )
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=job.id,
        action="retry",
        before=before,
        after={"status": ExportStatus.QUEUED},
    )
    await session.commit()
    await session.refresh(job)
    return job


def download_name(job: ExportJob) -> str:
    stamp = job.created_at.astimezone(FILE_TZ).strftime("%Y%m%d-%H%M")
    return f"客户导出-{stamp}.{job.format}"


async def export_file(session: AsyncSession, actor: Actor, schema: str, export_id: uuid.UUID) -> ExportFile:
    """The finished file of a done export, for its requester or an administrator; audited."""
    job = await get_export(session, actor, export_id)
    files = tenant_files(schema, AREA)
    if job.status != ExportStatus.DONE or not job.file_name or not files.exists(job.file_name):
        raise NotFound(ENTITY, export_id)
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=job.id,
        action="download",
        before=None,
        after={"file": job.file_name, "rows": job.rows_done},
    )
    await session.commit()
    return ExportFile(files.path(job.file_name), download_name(job), CONTENT_TYPES[job.format])


# The lost-job sweep (app.kit.jobs): an export whose enqueue was lost is enqueued again; one whose
# worker died starts again from scratch (its attempt fence stops the old run should it wake up).
EXPORT_JOBS = register_job(
    JobTable(
        key="export",
        model=ExportJob,
        job_name=JOB_NAME,
        job_id=lambda schema, row: arq_job_id(schema, row.id),
        waiting=(ExportStatus.QUEUED,),
        running=(ExportStatus.RUNNING,),
        requeue_after=lambda: timedelta(seconds=get_settings().export_requeue_after_seconds),
        stale_after=lambda: timedelta(seconds=get_settings().export_stale_after_seconds),
        restart={"status": ExportStatus.QUEUED, "error": None, "finished_at": None},
        max_attempts=AUTO_ATTEMPTS_LIMIT,
        failed=lambda tries: {
            "status": ExportStatus.FAILED,
            "error": f"the worker stopped {tries} times during this export",
            "finished_at": utcnow(),
        },
    )
)


async def enqueue_export(
    arq: ArqRedis, schema: str, export_id: uuid.UUID, *, release_claim: bool = False
) -> bool:
    """Hand an export to the worker. Never raises: a lost enqueue is picked up by the sweep.

    ``release_claim`` drops arq's in-progress marker left by a worker that died mid-run (the retry
    of a stalled export); safe even if the old run is alive after all: the attempt fence stops it.
    """
    return await jobs.enqueue(
        arq, EXPORT_JOBS, schema, str(export_id), arq_job_id(schema, export_id), release_claim=release_claim
    )


# -- the run (the arq job) ------------------------------------------------------------------------


async def run_customer_export(
    db: Database, tenant_schema: str, job_id: uuid.UUID, *, batch_size: int = 500, pause_ms: int = 0
) -> str:
    """Produce the export's file. Idempotent: a done export, or one another run owns, is left alone."""
    async with db.tenant_session(tenant_schema) as session:
        job = await repo.claim(session, job_id, utcnow())
        await session.commit()
        if job is None:
            current = await repo.get(session, job_id)
            return f"skipped: {current.status}" if current else "skipped: missing"
    attempt = job.attempts
    files = tenant_files(tenant_schema, AREA)
    file_name = f"{job.id}.{job.format}"
    files.discard_partials(file_name)  # what an earlier, killed attempt left behind
    try:
        async with db.tenant_session(tenant_schema) as session:
            # A tenant already at its storage quota gets no new files (the export fails, saying why).
            await ensure_storage_room(session, get_settings().files_dir, tenant_schema, 0)
        rows = await _write_file(db, tenant_schema, job, attempt, file_name, batch_size, pause_ms)
    except Superseded:
        return "superseded"
    except asyncio.CancelledError:
        # The worker is stopping (a deploy, SIGTERM): hand the export back at once rather than leave
        # it "running" until the sweep declares it dead. arq runs the same job id again.
        await jobs.shielded(_hand_back(db, tenant_schema, job.id, attempt))
        raise
    except Exception as exc:
        if isinstance(exc, QuotaExceeded | RequesterRefused):
            log.warning("export %s in %s refused: %s", job.id, tenant_schema, type(exc).__name__)
        else:
            log.exception("export %s in %s failed", job.id, tenant_schema)
        if isinstance(exc, RequesterRefused):
            message = "the requester may no longer export customers"
        elif isinstance(exc, QuotaExceeded):
            message = str(exc)[:300]
        else:
            message = f"{type(exc).__name__}: {scrub_text(str(exc))}"[:300]
        async with db.tenant_session(tenant_schema) as session:
            await repo.mark_failed(session, job.id, attempt, message, utcnow())
            await session.commit()
        return "failed"
    async with db.tenant_session(tenant_schema) as session:
        finished = await repo.mark_done(
            session, job.id, attempt, file_name=file_name, rows_done=rows, now=utcnow()
        )
        await session.commit()
    return f"done: {rows} rows" if finished else "superseded"


async def _hand_back(db: Database, schema: str, export_id: uuid.UUID, attempt: int) -> None:
    async with db.tenant_session(schema) as session:
        if attempt >= AUTO_ATTEMPTS_LIMIT:
            # Also what a job timeout looks like from inside; do not loop on an export that never fits.
            await repo.mark_failed(session, export_id, attempt, f"interrupted {attempt} times", utcnow())
        else:
            await repo.hand_back(session, export_id, attempt)
        await session.commit()


async def _write_file(
    db: Database, schema: str, job: ExportJob, attempt: int, file_name: str, batch_size: int, pause_ms: int
) -> int:
    files = tenant_files(schema, AREA)
    async with db.tenant_session(schema) as read, db.tenant_session(schema) as progress:

        async def report(**values: Any) -> None:
            # Its own short transaction, so the admin's progress bar moves while the export runs.
            if "total" in values:
                ok = await repo.set_total(progress, job.id, attempt, values["total"], utcnow())
            else:
                ok = await repo.record_progress(progress, job.id, attempt, values["done"], utcnow())
            await progress.commit()
            if not ok:
                raise Superseded(job.id)

        requester = await accounts_repo.user_by_id(read, job.requested_by)
        if requester is None or not requester.is_active or CUSTOMERS_EXPORT not in requester.role.permissions:
            raise RequesterRefused(job.requested_by)
        # The requester's scope as it is now: a salesperson moved to another team exports that team's list.
        requester_actor = actor_for(requester, via="system")
        owners = await visible_owner_ids(read, requester_actor)
        filters = await _checked_custom(read, filters_from_json(job.filters))
        columns = await custom_fields.active_definitions(read, "customer")
        await report(total=await customers_repo.count(read, filters, owners))
        await read.commit()
        names: dict[uuid.UUID, str] = {}
        done = 0
        with files.write_atomic(file_name) as out:
            writer = row_writer(job.format, out, [*(d.label_zh for d in columns), *CHILD_HEADERS])
            async for batch in customers_repo.stream(read, filters, owners, batch=batch_size):
                tags = await customers_repo.tags_by_customer(read, [c.id for c in batch])
                children = await _children(read, requester_actor, [c.id for c in batch])
                unknown = [c.owner_id for c in batch if c.owner_id and c.owner_id not in names]
                if unknown:
                    names.update(await staff_names(read, unknown))
                await read.commit()  # no transaction stays open across the whole export
                for customer in batch:
                    row = customer_row(customer, [t.name for t in tags[customer.id]], names)
                    writer.write(
                        row
                        + custom_fields.export_cells(columns, customer.custom or {})
                        + [
                            contacts_cell(children["contact"].get(customer.id, [])),
                            addresses_cell(children["address"].get(customer.id, []), _address_kind),
                        ]
                    )
                done += len(batch)
                await report(done=done)
                if pause_ms:
                    await asyncio.sleep(pause_ms / 1000)
            await asyncio.to_thread(writer.close)  # zipping a big XLSX must not stall the worker's loop
        return done


async def _children(
    session: AsyncSession, actor: Actor, customer_ids: list[uuid.UUID]
) -> dict[str, dict[Any, list[Any]]]:
    """The live contacts and addresses of a batch of customers, through their kit services (in the
    requester's scope, one query each)."""
    found: dict[str, dict[Any, list[Any]]] = {}
    for key in ("contact", "address"):
        service = service_for(key)(session, actor)
        found[key] = (
            await service.for_parents(customer_ids)
            if service.actor.can(f"{service.spec.module}:read")
            else {}
        )
    return found


def _address_kind(kind: str | None) -> str:
    from app.addresses.fields import AddressKind

    member = AddressKind.parse(kind) if kind else None
    return translate(member.label, "zh_CN") if member is not None else (kind or "")
