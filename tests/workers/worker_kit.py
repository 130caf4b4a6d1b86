"""A real ``dealercrm worker`` process for tests, on the run's own database, Redis database and files."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import insert

from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.exports import service as exports
from app.exports.models import ExportJob
from app.runtime import QUEUE_NAME

REPO = Path(__file__).resolve().parents[2]


async def start_worker(log: Path, **env: str) -> asyncio.subprocess.Process:
    """``python -m app.cli worker`` with the run's DATABASE_URL, REDIS_URL and FILES_DIR (set by conftest)."""
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "worker",
            cwd=REPO,
            env={**os.environ, **env},
            stdout=handle,
            stderr=handle,
        )
    finally:
        handle.close()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def cli(*args: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=REPO,
        env=dict(os.environ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 60)


async def wait_for(
    check: Callable[[], Awaitable[bool]],
    *,
    seconds: float,
    what: str,
    log: Path | None = None,
    clue: Callable[[], Awaitable[str]] | None = None,
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            tail = _tail(log)
            state = await clue() if clue else ""
            raise AssertionError(f"timed out waiting for {what}; {state}\n{tail}")
        await asyncio.sleep(0.05)


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


async def queue_state(app: Litestar, arq_job_id: str) -> str:
    """Where arq has the job, for a failure message: queued, claimed by a worker, gone."""
    redis = app.state.redis
    return (
        f"arq job key: {bool(await redis.exists('arq:job:' + arq_job_id))}, "
        f"in queue: {await redis.zscore(QUEUE_NAME, arq_job_id) is not None}, "
        f"in progress: {bool(await redis.exists('arq:in-progress:' + arq_job_id))}"
    )


async def bulk_customers(app: Litestar, kit: TenantKit, owner_key: str, count: int, prefix: str) -> None:
    """Many customers in one INSERT (the service path would take minutes for thousands)."""
    owner = kit.people[owner_key]
    rows = [
        {
            "name": f"{prefix}{i:05d}",
            "kind": "individual",
            "status": "lead",
            "owner_id": owner,
            "province": "广东省",
            "city": "深圳市",
            "district": "南山区",
            "version": 1,
            "custom": {},
            "search_grams": [],
            "search_text": "",
        }
        for i in range(count)
    ]
    async with app.state.db.tenant_session(kit.schema) as session:
        await session.execute(insert(Customer), rows)
        await session.commit()


async def request_export(app: Litestar, kit: TenantKit, who: str, fmt: str) -> ExportJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        job = await exports.request_customer_export(
            session, await actor(app, kit, who), CustomerFilter(), fmt
        )
    await exports.enqueue_export(app.state.arq, kit.schema, job.id)
    return job


async def load(app: Litestar, kit: TenantKit, export_id: uuid.UUID) -> ExportJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        job = await session.get(ExportJob, export_id)
        assert job is not None
        return job
