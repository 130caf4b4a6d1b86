"""Background jobs that PostgreSQL remembers: one declaration per job table, one sweep for them all.

A background job is a row (the record of truth, committed first) and an arq job under a natural id
(``export:<schema>:<id>``...). Two things lose a job: the enqueue never reaches Redis (Redis down, the
process dies between the commit and the enqueue), or the worker dies mid-run and the row says
"running" forever. A module declares its table once::

    register_job(JobTable(
        key="export", model=ExportJob, job_name="export_customers",
        job_id=lambda schema, row: f"export:{schema}:{row.id}",
        waiting=("queued",), running=("running",),
        requeue_after=lambda: timedelta(seconds=60), stale_after=lambda: timedelta(seconds=120),
        restart={"status": "queued"},            # a dead run starts again; None: it resumes as it is
        failed=lambda tries: {"status": "failed", "error": f"the worker stopped {tries} times"},
    ))

and ``sweep_jobs`` (the worker's one cron entry for all of them) goes over every active tenant:

- a row **waiting** (queued) for longer than ``requeue_after`` is enqueued again under its own job id:
  if its arq job is still there, arq refuses the duplicate and nothing changes;
- a row **running** whose heartbeat is older than ``stale_after`` lost its worker: it gets the
  declaration's ``restart`` values (or none: it resumes), a fresh heartbeat (so the next pass leaves
  it alone while the new run starts), and its job is enqueued again after dropping the dead worker's
  arq claim, which would otherwise block the job id until arq's own timeout. A job that keeps killing
  its worker is given up after ``max_attempts`` (``failed`` values) for a person to look at.

Each table's due rows are taken ``FOR UPDATE SKIP LOCKED`` and at most ``limit`` per table per pass
and tenant, in one short transaction per tenant (two sweeps never take the same row; a big backlog
drains over passes). The runs themselves stay safe if a "dead" worker was only slow: exports,
imports and data-subject exports fence their writes by attempt number, batch chunks lock their job row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select, update

from app.db import Database
from app.runtime import QUEUE_NAME
from tenancy.models import TenantStatus
from tenancy.registry import list_tenants

log = logging.getLogger("dealercrm.jobs")

PASS_LIMIT = 200


@dataclass(frozen=True)
class JobTable:
    """How the sweep finds and re-enqueues one kind of background job.

    ``model`` has ``id`` and ``status`` columns plus ``since`` (when a waiting row was queued) and
    ``heartbeat`` (set by the run as it goes). The arq job is ``job_name(schema, str(row.id))``
    under ``job_id(schema, row)``. ``attempts`` names the column counting runs (None: not counted);
    ``count_rescues``: the sweep increments it itself (the run does not).
    """

    key: str
    model: Any
    job_name: str
    job_id: Callable[[str, Any], str]
    waiting: tuple[str, ...]
    running: tuple[str, ...]
    requeue_after: Callable[[], timedelta]
    stale_after: Callable[[], timedelta]
    restart: Mapping[str, Any] | None
    failed: Callable[[int], Mapping[str, Any]]
    since: str = "created_at"
    heartbeat: str = "heartbeat_at"
    attempts: str | None = "attempts"
    count_rescues: bool = False
    max_attempts: int = 5


@dataclass
class SweepResult:
    enqueued: int = 0  # arq took a new job (its old one was lost)
    rescued: int = 0  # runs whose worker died, handed on
    given_up: int = 0
    failed_tenants: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


_tables: dict[str, JobTable] = {}


_finishing: set[asyncio.Future[Any]] = set()


async def shielded(step: Awaitable[Any]) -> None:
    """Run a bookkeeping step (a run handing its job back, a failure record) to its end even while the
    surrounding task is being cancelled, and even if it is cancelled again while it waits. The worker's
    shutdown waits for such steps (``finish_shielded``) before it closes the database."""
    task = asyncio.ensure_future(step)
    _finishing.add(task)
    task.add_done_callback(_finishing.discard)
    await asyncio.shield(task)


SHIELDED_WAIT_SECONDS = 15.0


async def finish_shielded() -> None:
    """Wait (bounded) for the shielded steps still running: a SIGTERMed worker's hand-backs."""
    pending = [task for task in _finishing if not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=SHIELDED_WAIT_SECONDS)


def register_job(table: JobTable) -> JobTable:
    _tables[table.key] = table
    return table


def registered() -> list[JobTable]:
    return list(_tables.values())


def utcnow() -> datetime:
    return datetime.now(UTC)


async def enqueue(
    arq: Any, table: JobTable, schema: str, row_id: str, job_id: str, *, release_claim: bool = False
) -> bool:
    """Hand one job to arq under its natural id; never raises (the row stays and the sweep retries).
    ``release_claim`` drops a dead worker's in-progress marker, so arq runs the queued job again now."""
    try:
        if release_claim:
            await arq.delete(in_progress_key_prefix + job_id)
        job = await arq.enqueue_job(table.job_name, schema, row_id, _job_id=job_id, _queue_name=QUEUE_NAME)
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %s: %s", job_id, exc)
        return False
    return job is not None


@dataclass(frozen=True)
class _Ready:
    table: JobTable
    row_id: str
    job_id: str
    rescued: bool


async def sweep_tenant(
    db: Database,
    arq: Any,
    schema: str,
    *,
    now: datetime | None = None,
    tables: Sequence[JobTable] | None = None,
    limit: int = PASS_LIMIT,
    result: SweepResult | None = None,
) -> SweepResult:
    """One pass over one tenant's job tables (one transaction), then the enqueues."""
    now = now or utcnow()
    result = result or SweepResult()
    ready: list[_Ready] = []
    async with db.tenant_session(schema) as session:
        for table in tables if tables is not None else registered():
            model = table.model
            since, beat = getattr(model, table.since), getattr(model, table.heartbeat)
            due = (
                select(model)
                .where(
                    or_(
                        and_(model.status.in_(table.waiting), since < now - table.requeue_after()),
                        and_(
                            model.status.in_(table.running),
                            func.coalesce(beat, since) < now - table.stale_after(),
                        ),
                    )
                )
                .order_by(since)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            for row in (await session.scalars(due)).all():
                row_id, job_id = str(row.id), table.job_id(schema, row)
                if row.status not in table.running:
                    ready.append(_Ready(table, row_id, job_id, False))
                    continue
                tries = int(getattr(row, table.attempts) or 0) if table.attempts else 0
                if table.attempts and tries >= table.max_attempts:
                    await session.execute(
                        update(model)
                        .where(model.id == row.id)
                        .values(**table.failed(tries))
                        .execution_options(synchronize_session=False)
                    )
                    log.warning(
                        "%s %s in %s killed its worker %s times: given up", table.key, row_id, schema, tries
                    )
                    result.given_up += 1
                    continue
                values: dict[str, Any] = {table.heartbeat: now, **(table.restart or {})}
                if table.attempts and table.count_rescues:
                    values[table.attempts] = getattr(model, table.attempts) + 1
                await session.execute(
                    update(model)
                    .where(model.id == row.id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                log.warning("%s %s in %s lost its worker; handed on", table.key, row_id, schema)
                ready.append(_Ready(table, row_id, job_id, True))
        await session.commit()
    for item in ready:
        taken = await enqueue(arq, item.table, schema, item.row_id, item.job_id, release_claim=item.rescued)
        result.enqueued += int(taken)
        result.rescued += int(item.rescued)
        result.by_table[item.table.key] = result.by_table.get(item.table.key, 0) + 1
    return result


async def sweep_jobs(
    db: Database,
    arq: Any,
    *,
    now: datetime | None = None,
    tables: Sequence[JobTable] | None = None,
    limit: int = PASS_LIMIT,
) -> SweepResult:
    """The cron job: every active tenant, every registered job table. One broken tenant is logged
    and counted, never stops the others."""
    async with db.engine.connect() as conn:
        tenants = await list_tenants(conn)
    result = SweepResult()
    for tenant in tenants:
        if tenant.status != TenantStatus.ACTIVE:
            continue
        try:
            await sweep_tenant(
                db, arq, tenant.schema_name, now=now, tables=tables, limit=limit, result=result
            )
        except Exception:
            log.exception("job sweep failed for %s", tenant.schema_name)
            result.failed_tenants += 1
    return result
