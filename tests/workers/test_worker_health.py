"""The worker proves it is alive: the heartbeat job, and ``dealercrm worker --check`` per host."""

from __future__ import annotations

import socket
from pathlib import Path

from litestar import Litestar
from worker_kit import cli, start_worker, stop, wait_for

from workers.settings import HEALTH_CHECK_KEY, HEARTBEAT_KEY, WorkerSettings, heartbeat


async def test_heartbeat_job_touches_postgres_and_writes_its_key(app: Litestar) -> None:
    redis = app.state.redis
    await redis.delete(HEARTBEAT_KEY)

    stamp = await heartbeat({"db": app.state.db, "redis": redis})

    assert (await redis.get(HEARTBEAT_KEY)).decode() == stamp
    # It expires on its own, so a dead worker's last beat does not look alive for ever.
    assert 0 < await redis.ttl(HEARTBEAT_KEY) <= 300


async def test_worker_check_fails_without_a_worker_and_passes_with_one(app: Litestar, tmp_path: Path) -> None:
    """A liveness probe on each pod: the health key names this host, and --check reads exactly that key."""
    assert WorkerSettings.health_check_key == HEALTH_CHECK_KEY and HEALTH_CHECK_KEY.endswith(
        socket.gethostname()
    )
    redis = app.state.redis
    await redis.delete(HEALTH_CHECK_KEY, HEARTBEAT_KEY)
    assert await cli("worker", "--check") != 0

    log = tmp_path / "worker.log"
    worker = await start_worker(log)
    try:

        async def reported() -> bool:
            return bool(await redis.exists(HEALTH_CHECK_KEY)) and bool(await redis.exists(HEARTBEAT_KEY))

        # The heartbeat cron runs at start-up, and arq records health on its first poll.
        await wait_for(reported, seconds=20, what="the worker's health record and heartbeat", log=log)
        assert await cli("worker", "--check") == 0
    finally:
        await stop(worker)
