"""Killing the worker mid-export leaves a retriable job, never a half file offered for download.

张伟 (sales_a) exports his 3,000 customers. The worker is SIGKILLed half-way (no clean-up code
runs). Nothing is offered for download and the export is not done; once the sweep has declared the
run dead, a new worker writes the whole file and the download works.
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
from datetime import timedelta
from pathlib import Path

from crm_testkit import TenantKit, logged_in
from litestar import Litestar
from worker_kit import bulk_customers, load, queue_state, request_export, start_worker, stop, wait_for

from app.exports import service as exports
from app.exports.models import ExportStatus
from app.kit import jobs
from app.settings import get_settings

ROWS = 3000


async def test_a_killed_export_is_not_offered_and_completes_after_a_retry(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    await bulk_customers(app, tenant, "sales_a", ROWS, "张伟客户")
    await bulk_customers(app, tenant, "sales_b", 25, "李娜客户")
    job = await request_export(app, tenant, "sales_a", "csv")
    final = get_settings().files_dir / tenant.schema / "exports" / f"{job.id}.csv"
    log = tmp_path / "worker.log"
    client = await logged_in(app, tenant, "sales_a")
    arq_id = exports.arq_job_id(tenant.schema, job.id)

    async def where() -> str:
        return f"export {(await load(app, tenant, job.id)).status}; " + await queue_state(app, arq_id)

    # Small batches with a pause: slow enough to be caught half-way, as a throttled export would be.
    worker = await start_worker(log, EXPORT_BATCH_SIZE="100", EXPORT_BATCH_PAUSE_MS="150")
    try:

        async def half_way() -> bool:
            current = await load(app, tenant, job.id)
            assert current.status != ExportStatus.DONE, "the export finished before it could be killed"
            return current.status == ExportStatus.RUNNING and current.rows_done > 0

        await wait_for(
            half_way, seconds=20, what="the export to be running with progress", log=log, clue=where
        )
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    finally:
        await stop(worker)

    killed = await load(app, tenant, job.id)
    assert killed.status == ExportStatus.RUNNING and 0 < killed.rows_done < ROWS
    assert not final.exists()
    assert (await client.get(f"/exports/{job.id}/download")).status_code == 404
    assert f"/exports/{job.id}/download" not in (await client.get("/exports")).text

    # Two minutes on (the sweep's clock is moved, not the test's): the run is declared dead, queued again.
    later = exports.utcnow() + timedelta(seconds=get_settings().export_stale_after_seconds + 60)
    swept = await jobs.sweep_jobs(app.state.db, app.state.arq, now=later, tables=[exports.EXPORT_JOBS])
    assert swept.rescued >= 1
    assert (await load(app, tenant, job.id)).status == ExportStatus.QUEUED

    worker = await start_worker(log)
    try:

        async def finished() -> bool:
            return (await load(app, tenant, job.id)).status == ExportStatus.DONE

        await wait_for(finished, seconds=20, what="the retried export to finish", log=log, clue=where)
    finally:
        await stop(worker)

    done = await load(app, tenant, job.id)
    assert (done.rows_done, done.rows_total, done.attempts) == (ROWS, ROWS, 2)
    # The killed attempt's partial file was cleared; only the finished file is left.
    assert [p.name for p in final.parent.iterdir()] == [final.name]
    response = await client.get(f"/exports/{job.id}/download")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == ROWS + 1
    assert {r[0][:4] for r in rows[1:]} == {"张伟客户"}
    assert len({r[0] for r in rows[1:]}) == ROWS  # every customer once, none twice


async def test_a_worker_stopped_politely_hands_its_export_back(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    """SIGTERM (a deploy): the export is queued again at once, without waiting for the sweep."""
    await bulk_customers(app, tenant, "sales_a", 1500, "张伟客户")
    job = await request_export(app, tenant, "sales_a", "xlsx")
    final = get_settings().files_dir / tenant.schema / "exports" / f"{job.id}.xlsx"
    log = tmp_path / "worker.log"

    async def running() -> bool:
        current = await load(app, tenant, job.id)
        return current.status == ExportStatus.RUNNING and current.rows_done > 0

    async def queued() -> bool:
        return (await load(app, tenant, job.id)).status == ExportStatus.QUEUED

    async def finished() -> bool:
        return (await load(app, tenant, job.id)).status == ExportStatus.DONE

    worker = await start_worker(log, EXPORT_BATCH_SIZE="100", EXPORT_BATCH_PAUSE_MS="150")
    try:
        await wait_for(running, seconds=20, what="the export to be running with progress", log=log)
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 15)
    finally:
        await stop(worker)
    handed_back = await load(app, tenant, job.id)
    assert (handed_back.status, handed_back.attempts) == (ExportStatus.QUEUED, 1), log.read_text()[-4000:]
    assert not final.exists() and [p.name for p in final.parent.iterdir()] == []

    worker = await start_worker(log)
    try:
        await wait_for(finished, seconds=20, what="the handed-back export to finish", log=log)
    finally:
        await stop(worker)
    done = await load(app, tenant, job.id)
    assert (done.rows_done, done.attempts) == (1500, 2) and final.exists()
