"""The one sweep of lost background jobs (app.kit.jobs), with real PostgreSQL and Redis and an arq
worker running in the test (burst mode: it runs what is queued, then returns).

A batch action's or a data-subject export's enqueue can be lost (Redis down, the process dying
between commit and enqueue), and a worker can die mid-run. The sweep finds such rows in every tenant
and hands them to arq again under the same job id: a lost job runs once, a live run is left alone,
a run whose worker died resumes (batches) or restarts (exports) and ends as an uninterrupted run would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.worker import Worker
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select, update
from worker_kit import bulk_customers

from app.batches import run as batch_run
from app.batches import service as batches
from app.batches.models import BatchJob, BatchJobItem, BatchStatus, ItemState
from app.customers.models import Customer, CustomerTag, Tag
from app.kit import jobs
from app.privacy import subject_export
from app.privacy.models import SubjectExport, SubjectExportStatus
from app.runtime import QUEUE_NAME
from workers.jobs import JOBS

TAGS = batches.Change("add_tags", tags=("夏季促销",))


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
async def empty_queue(app: Litestar) -> None:
    """Jobs that earlier tests in this process left queued (their tenants since dropped) are not
    this test's to run: the worker below must see only what the sweep enqueues."""
    await app.state.arq.delete(QUEUE_NAME)


async def sweep(app: Litestar, *kits: TenantKit, **options: Any) -> jobs.SweepResult:
    """One pass of the sweep over this test's tenants: the cron's ``sweep_jobs`` runs this pass for
    every active tenant, and the other tests' tenants in this database are not this test's."""
    result = jobs.SweepResult()
    for kit in kits:
        await jobs.sweep_tenant(app.state.db, app.state.arq, kit.schema, result=result, **options)
    return result


async def run_worker(app: Litestar) -> Worker:
    """An arq worker in this process: runs every queued job once, then returns."""
    worker = Worker(
        functions=JOBS,
        redis_pool=app.state.arq,
        queue_name=QUEUE_NAME,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
        keep_result=0,
        ctx={"db": app.state.db},
    )
    await worker.main()
    return worker


async def customer_ids(app: Litestar, kit: TenantKit, prefix: str) -> list[uuid.UUID]:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.scalars(
            select(Customer.id).where(Customer.name.like(f"{prefix}%")).order_by(Customer.name)
        )
        return list(found.all())


async def batch_of(app: Litestar, kit: TenantKit, prefix: str, count: int) -> BatchJob:
    """A recorded batch whose enqueue never reached Redis (the row alone, as after a lost enqueue)."""
    await bulk_customers(app, kit, "sales_a", count, prefix)
    ids = await customer_ids(app, kit, prefix)
    async with app.state.db.tenant_session(kit.schema) as session:
        return await batches.start(session, await actor(app, kit, "sales_a"), "customer", TAGS, ids=ids)


async def job_row(app: Litestar, kit: TenantKit, model: Any, row_id: uuid.UUID) -> Any:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.get(model, row_id)
        assert found is not None
        return found


async def shift(app: Litestar, kit: TenantKit, model: Any, row_id: uuid.UUID, **values: object) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await session.execute(update(model).where(model.id == row_id).values(**values))
        await session.commit()


async def outcome(app: Litestar, kit: TenantKit, prefix: str) -> list[tuple[list[str], int]]:
    """Each customer's tags and version, in name order (what the batch did to them)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        rows = await session.execute(
            select(Customer.version, func.array_remove(func.array_agg(Tag.name), None))
            .outerjoin(CustomerTag, CustomerTag.customer_id == Customer.id)
            .outerjoin(Tag, Tag.id == CustomerTag.tag_id)
            .where(Customer.name.like(f"{prefix}%"))
            .group_by(Customer.id, Customer.name, Customer.version)
            .order_by(Customer.name)
        )
        return [(sorted(tags), version) for version, tags in rows.all()]


async def queued(app: Litestar) -> int:
    return int(await app.state.redis.zcard(QUEUE_NAME))


async def test_a_batch_whose_enqueue_was_lost_runs_once(app: Litestar, tenant: TenantKit) -> None:
    job = await batch_of(app, tenant, "丢失批次", 12)
    tables = [batch_run.BATCH_JOBS]
    # Just recorded: its own enqueue may still be on the way, so the sweep leaves it be.
    assert (await sweep(app, tenant, tables=tables)).enqueued == 0
    assert await queued(app) == 0
    # A minute and more on: enqueued again under its own job id; a second pass adds nothing.
    assert (await sweep(app, tenant, now=later(2), tables=tables)).enqueued == 1
    assert (await sweep(app, tenant, now=later(3), tables=tables)).enqueued == 0
    assert await queued(app) == 1
    assert await app.state.redis.zscore(QUEUE_NAME, batch_run.arq_job_id(tenant.schema, job)) is not None

    worker = await run_worker(app)

    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 0, 0)
    done = await job_row(app, tenant, BatchJob, job.id)
    assert (done.status, done.done, done.attempts) == (BatchStatus.DONE, 12, 0)
    assert await outcome(app, tenant, "丢失批次") == [(["夏季促销"], 2)] * 12  # each changed once


async def test_a_run_with_a_live_worker_is_left_alone(app: Litestar, tenant: TenantKit) -> None:
    job = await batch_of(app, tenant, "运行批次", 3)
    arq_id = batch_run.arq_job_id(tenant.schema, job)
    # A worker holds it: running, its heartbeat a minute old, arq's claim on the job id in Redis.
    await shift(app, tenant, BatchJob, job.id, status=BatchStatus.RUNNING, heartbeat_at=later(-1))
    await app.state.redis.set(f"arq:in-progress:{arq_id}", b"1", ex=3600)

    swept = await sweep(app, tenant, tables=[batch_run.BATCH_JOBS])

    assert (swept.enqueued, swept.rescued, swept.given_up) == (0, 0, 0)
    assert await app.state.redis.exists(f"arq:in-progress:{arq_id}")
    assert await queued(app) == 0
    still = await job_row(app, tenant, BatchJob, job.id)
    assert (still.status, still.attempts) == (BatchStatus.RUNNING, 0)


async def test_a_batch_whose_worker_died_mid_run_resumes_to_the_uninterrupted_result(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await batch_of(app, tenant, "完整批次", 25)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await batches.run_chunks(session, await actor(app, tenant, "sales_a"), whole.id, chunk=10)
    killed = await batch_of(app, tenant, "中断批次", 25)
    arq_id = batch_run.arq_job_id(tenant.schema, killed)

    # The worker dies after its first chunk of ten committed (nothing of the second is kept).
    real_pending = batches._pending
    calls = 0

    async def dies_on_the_second_chunk(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("worker killed")
        return await real_pending(*args, **kwargs)

    monkeypatch.setattr(batches, "_pending", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        async with app.state.db.tenant_session(tenant.schema) as session:
            await batches.run_chunks(session, await actor(app, tenant, "sales_a"), killed.id, chunk=10)
    monkeypatch.setattr(batches, "_pending", real_pending)
    half = await job_row(app, tenant, BatchJob, killed.id)
    assert (half.status, half.done) == (BatchStatus.RUNNING, 10)
    await app.state.redis.set(f"arq:in-progress:{arq_id}", b"1", ex=3600)  # the dead worker's claim

    # Within five minutes of its last chunk it may be a slow worker: left alone. After: rescued.
    assert (await sweep(app, tenant, now=later(2))).rescued == 0
    swept = await sweep(app, tenant, now=later(6))
    assert swept.rescued == 1 and swept.by_table == {"batch": 1}
    assert not await app.state.redis.exists(f"arq:in-progress:{arq_id}")
    rescued = await job_row(app, tenant, BatchJob, killed.id)
    assert (rescued.status, rescued.attempts) == (BatchStatus.RUNNING, 1)

    worker = await run_worker(app)

    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    finished = await job_row(app, tenant, BatchJob, killed.id)
    reference = await job_row(app, tenant, BatchJob, whole.id)
    assert (finished.status, finished.done, finished.refused) == (reference.status, 25, reference.refused)
    assert await outcome(app, tenant, "中断批次") == await outcome(app, tenant, "完整批次")
    async with app.state.db.tenant_session(tenant.schema) as session:
        states = await session.scalars(select(BatchJobItem.state).where(BatchJobItem.job_id == killed.id))
        assert set(states.all()) == {ItemState.DONE}


async def test_a_batch_that_keeps_killing_its_worker_is_given_up(app: Litestar, tenant: TenantKit) -> None:
    job = await batch_of(app, tenant, "毒批次", 2)
    await shift(
        app, tenant, BatchJob, job.id, status=BatchStatus.RUNNING, heartbeat_at=later(-10), attempts=5
    )

    swept = await sweep(app, tenant, tables=[batch_run.BATCH_JOBS])

    assert (swept.given_up, swept.enqueued) == (1, 0)
    failed = await job_row(app, tenant, BatchJob, job.id)
    assert failed.status == BatchStatus.FAILED and "5 times" in (failed.error or "")
    assert await queued(app) == 0


async def test_data_subject_exports_lost_or_orphaned_are_finished_once(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    await bulk_customers(app, tenant, "sales_a", 2, "隐私客户")
    await bulk_customers(app, other_tenant, "sales_a", 1, "隐私客户")
    made: list[tuple[TenantKit, uuid.UUID]] = []
    for kit in (tenant, tenant, other_tenant):
        ids = await customer_ids(app, kit, "隐私客户")
        async with app.state.db.tenant_session(kit.schema) as session:
            job = await subject_export.request_subject_export(
                session, await actor(app, kit, "owner"), ids[len(made) % len(ids)]
            )
            await session.commit()
        made.append((kit, job.id))
    (_, lost), (_, orphan), (other, theirs) = made
    # The second one's worker died: running, claimed once, no heartbeat for a quarter of an hour.
    await shift(
        app,
        tenant,
        SubjectExport,
        orphan,
        status=SubjectExportStatus.RUNNING,
        attempts=1,
        heartbeat_at=later(-15),
    )

    swept = await sweep(app, tenant, other_tenant, now=later(2))

    assert (swept.enqueued, swept.rescued) == (3, 1) and swept.by_table == {"subject_export": 3}
    worker = await run_worker(app)
    assert (worker.jobs_complete, worker.jobs_failed) == (3, 0)
    for kit, export_id, attempts in ((tenant, lost, 1), (tenant, orphan, 2), (other, theirs, 1)):
        done = await job_row(app, kit, SubjectExport, export_id)
        assert (done.status, done.attempts, done.error) == (SubjectExportStatus.DONE, attempts, None)
    # The orphan's old run, should it wake up, finds its attempt superseded and writes nothing.
    assert await subject_export.run_subject_export(app.state.db, tenant.schema, orphan) == "skipped"
