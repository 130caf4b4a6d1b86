"""The worker's job sweep (app.kit.jobs, every minute) hands lost or orphaned exports to the queue again.

An enqueue can vanish with Redis, and a worker can die mid-run; PostgreSQL remembers the export,
so the sweep finds it in every tenant and enqueues it under the same job id (duplicates collapse).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import update
from worker_kit import load

from app.customers.repository import CustomerFilter
from app.exports import repository as repo
from app.exports import service as exports
from app.exports.models import ExportJob, ExportStatus
from app.kit import jobs
from app.runtime import QUEUE_NAME


async def requested(app: Litestar, kit: TenantKit, who: str = "sales_a") -> ExportJob:
    """An export whose enqueue never reached Redis (the row alone, as after a Redis failure)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        return await exports.request_customer_export(
            session, await actor(app, kit, who), CustomerFilter(), "csv"
        )


async def shift(app: Litestar, kit: TenantKit, export_id: uuid.UUID, **values: object) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await session.execute(update(ExportJob).where(ExportJob.id == export_id).values(**values))
        await session.commit()


async def claimed(app: Litestar, kit: TenantKit, export_id: uuid.UUID) -> ExportJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        job = await repo.claim(session, export_id, exports.utcnow())
        await session.commit()
    assert job is not None
    return job


async def in_queue(app: Litestar, kit: TenantKit, export_id: uuid.UUID) -> bool:
    arq_id = exports.arq_job_id(kit.schema, export_id)
    return bool(await app.state.redis.exists(f"arq:job:{arq_id}")) and (
        await app.state.redis.zscore(QUEUE_NAME, arq_id) is not None
    )


async def test_lost_enqueues_are_redone_in_every_tenant(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    ours, theirs, fresh = (
        await requested(app, tenant),
        await requested(app, other_tenant),
        await requested(app, tenant),
    )
    minute_and_more = exports.utcnow() - timedelta(seconds=90)
    await shift(app, tenant, ours.id, created_at=minute_and_more)
    await shift(app, other_tenant, theirs.id, created_at=minute_and_more)
    assert not await in_queue(app, tenant, ours.id)

    await jobs.sweep_jobs(app.state.db, app.state.arq, tables=[exports.EXPORT_JOBS])

    assert await in_queue(app, tenant, ours.id) and await in_queue(app, other_tenant, theirs.id)
    # Asked for a moment ago: its own enqueue may still be on the way, so the sweep leaves it be.
    assert not await in_queue(app, tenant, fresh.id)
    assert (await load(app, tenant, ours.id)).status == ExportStatus.QUEUED


async def test_a_run_whose_worker_died_is_queued_again(app: Litestar, tenant: TenantKit) -> None:
    dead, alive = await requested(app, tenant), await requested(app, tenant)
    for job in (dead, alive):
        await exports.enqueue_export(app.state.arq, tenant.schema, job.id)
        await claimed(app, tenant, job.id)
    await shift(app, tenant, dead.id, heartbeat_at=exports.utcnow() - timedelta(minutes=3))
    # The dead worker's claim on the arq job, which would otherwise block the job id for an hour.
    dead_claim = f"arq:in-progress:{exports.arq_job_id(tenant.schema, dead.id)}"
    await app.state.redis.set(dead_claim, b"1", ex=3600)

    await jobs.sweep_jobs(app.state.db, app.state.arq, tables=[exports.EXPORT_JOBS])

    requeued = await load(app, tenant, dead.id)
    assert (requeued.status, requeued.attempts) == (ExportStatus.QUEUED, 1)
    assert await in_queue(app, tenant, dead.id) and not await app.state.redis.exists(dead_claim)
    # A run that reported a moment ago is alive: left alone.
    assert (await load(app, tenant, alive.id)).status == ExportStatus.RUNNING


async def test_an_export_that_keeps_killing_its_worker_is_given_up(app: Litestar, tenant: TenantKit) -> None:
    job = await requested(app, tenant)
    await claimed(app, tenant, job.id)
    await shift(
        app,
        tenant,
        job.id,
        attempts=exports.AUTO_ATTEMPTS_LIMIT,
        heartbeat_at=exports.utcnow() - timedelta(minutes=3),
    )

    await jobs.sweep_jobs(app.state.db, app.state.arq, tables=[exports.EXPORT_JOBS])

    failed = await load(app, tenant, job.id)
    assert failed.status == ExportStatus.FAILED and "stopped" in (failed.error or "")
    assert not await in_queue(app, tenant, job.id)
    # A person can still decide to try again.
    async with app.state.db.tenant_session(tenant.schema) as session:
        again = await exports.retry_export(session, await actor(app, tenant, "sales_a"), job.id)
    assert again.status == ExportStatus.QUEUED
