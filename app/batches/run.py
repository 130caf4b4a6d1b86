"""Where a batch runs: inside the request when small, else on the worker (arq job ``run_batch``)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.batches import service as batches
from app.batches.models import BatchJob, BatchStatus
from app.db import Database
from app.domain import Actor
from app.kit import jobs
from app.kit.jobs import JobTable, register_job

log = logging.getLogger("dealercrm.batches")

JOB_NAME = "run_batch"


def arq_job_id(schema: str, job: BatchJob) -> str:
    """One arq job per batch and phase (the run, its undo), however often it is enqueued."""
    phase = "undo" if job.status == BatchStatus.UNDOING else "run"
    return f"batch:{schema}:{job.id}:{phase}"


# The lost-job sweep (app.kit.jobs): a batch whose enqueue was lost is enqueued again; one whose
# worker died resumes after its last committed chunk (nothing to reset), up to five rescues.
BATCH_JOBS = register_job(
    JobTable(
        key="batch",
        model=BatchJob,
        job_name=JOB_NAME,
        job_id=arq_job_id,
        waiting=(BatchStatus.QUEUED,),
        running=(BatchStatus.RUNNING, BatchStatus.UNDOING),
        requeue_after=lambda: timedelta(seconds=60),
        stale_after=lambda: timedelta(minutes=5),
        restart=None,
        count_rescues=True,
        failed=lambda tries: {
            "status": BatchStatus.FAILED,
            "error": f"the worker stopped {tries} times during this batch",
            "finished_at": datetime.now(UTC),
        },
    )
)


async def enqueue(arq: Any, schema: str, job: BatchJob) -> bool:
    """Hand a batch to the worker. Never raises: the job stays queued in PostgreSQL (and the sweep
    enqueues it again)."""
    return await jobs.enqueue(arq, BATCH_JOBS, schema, str(job.id), arq_job_id(schema, job))


async def dispatch(session: AsyncSession, actor: Actor, job: BatchJob, arq: Any, schema: str) -> BatchJob:
    """Run a just-started batch (or undo) now when it is small, else queue it for the worker."""
    size = job.total if job.status != BatchStatus.UNDOING else await batches.changed_count(session, job.id)
    if size <= batches.INLINE_MAX or arq is None:
        return await batches.run_chunks(session, actor, job.id)
    await enqueue(arq, schema, job)
    return job


async def run_job(db: Database, schema: str, job_id: uuid.UUID) -> str:
    """The worker's run of a batch or its undo, as the person who started it (as they are now: a
    deactivated person's batch stops). Idempotent: resumes after the last committed chunk."""
    async with db.tenant_session(schema) as session:
        job = await session.get(BatchJob, job_id)
        if job is None:
            return "missing"
        user = await accounts_repo.user_by_id(session, job.undone_by or job.actor_id)
        if user is None or not user.is_active:
            job.status, job.error = BatchStatus.FAILED, "the person who started it is no longer active"
            await session.commit()
            return "failed"
        actor = actor_for(user, via="batch", request_id=f"batch:{job.id}")
        finished = await batches.run_chunks(session, actor, job.id)
        return str(finished.status)
