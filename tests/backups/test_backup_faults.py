"""Backups when things go wrong: a killed worker, a full disk, a missed schedule, old backups piling up.

Nothing that went wrong may look like a good backup: a run killed mid-dump leaves a ``running``
row and a hidden partial file, both cleared by the next run; a disk that fills up fails the backup
with a clear message and an operator alert. The hourly sweep schedules what is due (once per
tenant and day), alerts on tenants without a verified backup, and retention removes exactly the
backups past the policy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backup_kit import BOOK, MASTER_KEY, add_customers, backup_settings, open_alerts, schemas
from crm_testkit import TenantKit
from litestar import Litestar
from sentry_capture import CapturingTransport
from sqlalchemy import text

from app.backups import repository as repo
from app.backups import schedule
from app.backups.models import BackupKind, BackupStatus
from app.backups.service import backup_files, run_backup
from app.backups.verify import verify_backup
from app.runtime import QUEUE_NAME

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")


def cli_env(folder: Path) -> dict[str, str]:
    return {**os.environ, "BACKUP_DIR": str(folder), "BACKUP_MASTER_KEY": MASTER_KEY}


async def start_cli(
    folder: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> asyncio.subprocess.Process:
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO,
        env=cli_env(folder),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=preexec_fn,
    )


async def eventually(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if result := await check():
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def backups_of(app: Litestar, slug: str) -> list[Any]:
    async with app.state.db.engine.connect() as conn:
        return list(await repo.list_backups(conn, slug))


async def test_a_backup_killed_mid_dump_never_looks_valid_and_the_next_run_clears_it(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    await add_customers(app, tenant, "sales_a", BOOK)
    folder = backup_files(backup_settings(tmp_path), tenant.schema).folder
    async with app.state.db.engine.connect() as blocker:
        # A long migration holds the customers table: pg_dump waits on it, half-way through the backup.
        await blocker.execute(text(f"LOCK TABLE {tenant.schema}.customers IN ACCESS EXCLUSIVE MODE"))
        worker = await start_cli(tmp_path, "backup", "run", "--tenant", tenant.slug)

        async def dump_waiting() -> int | None:
            assert worker.returncode is None, (await worker.stderr.read()).decode()  # type: ignore[union-attr]
            # Activity statistics are a snapshot per transaction: take a fresh one each time.
            await blocker.execute(text("SELECT pg_stat_clear_snapshot()"))
            return await blocker.scalar(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'dealercrm-backup' AND wait_event_type = 'Lock' "
                    "AND position(:schema in query) > 0"
                ),
                {"schema": tenant.schema},
            )

        dump_pid = await eventually(dump_waiting, "pg_dump to wait for the locked table")
        worker.kill()
        await worker.wait()
        await blocker.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dump_pid})
        await blocker.rollback()

    (dead,) = await backups_of(app, tenant.slug)
    # Nothing says "done": the row is still running and only a hidden partial file exists.
    assert dead.status == BackupStatus.RUNNING and dead.sha256 is None
    assert [p.name.startswith(".") and p.name.endswith(".part") for p in folder.iterdir()] == [True]

    settings = backup_settings(tmp_path)
    fresh = await run_backup(app.state.db, tenant.slug, settings=settings)

    by_id = {b.id: b for b in await backups_of(app, tenant.slug)}
    assert by_id[dead.id].status == BackupStatus.FAILED and "interrupted" in (by_id[dead.id].error or "")
    assert sorted(p.name for p in folder.iterdir()) == [fresh.file_name]
    assert "interrupted" in (await open_alerts(app, tenant.slug))["backup_failed"]
    # The next verified backup settles the alert.
    await verify_backup(app.state.db, fresh.id, settings=settings)
    assert await open_alerts(app, tenant.slug) == {}


def _tiny_file_size_limit() -> None:
    """In the child: any file write beyond 8 KiB fails (EFBIG), as a full disk fails with ENOSPC."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


async def test_a_full_backup_disk_fails_the_backup_cleanly_with_an_alert(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    await add_customers(app, tenant, "sales_a", BOOK)
    run = await start_cli(
        tmp_path, "backup", "run", "--tenant", tenant.slug, preexec_fn=_tiny_file_size_limit
    )
    out, err = await asyncio.wait_for(run.communicate(), 60)

    assert run.returncode == 1, out.decode() + err.decode()
    assert "Traceback" not in err.decode()
    assert (
        f"error: backup of {tenant.slug} failed: could not write the backup file in {tmp_path}"
        in err.decode()
    )
    (failed,) = await backups_of(app, tenant.slug)
    assert failed.status == BackupStatus.FAILED and "File too large" in (failed.error or "")
    folder = backup_files(backup_settings(tmp_path), tenant.schema).folder
    assert list(folder.iterdir()) == []  # not even a partial file
    assert "could not write the backup file" in (await open_alerts(app, tenant.slug))["backup_failed"]


async def _forget_jobs(app: Litestar, slugs: list[str], moment: datetime) -> None:
    """Take this test's scheduled jobs back off the queue (no worker of this run should pick them up)."""
    for slug in slugs:
        job = schedule.job_id(slug, moment)
        await app.state.redis.zrem(QUEUE_NAME, job)
        await app.state.redis.delete(f"arq:job:{job}")


async def test_the_hourly_sweep_clears_dead_runs_schedules_due_tenants_once_and_alerts_on_missing_backups(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit, tmp_path: Path, sentry: CapturingTransport
) -> None:
    settings = backup_settings(tmp_path)
    db = app.state.db
    # other_tenant (a dealer backed up an hour ago) is not due; tenant (signed up two days ago,
    # never backed up) is due and overdue.
    done = await run_backup(db, other_tenant.slug, settings=settings)
    await verify_backup(db, done.id, settings=settings)
    # A worker died mid-backup of tenant long ago: its row, a partial file and a renamed file.
    files = backup_files(settings, tenant.schema)
    dead_id = uuid.uuid4()
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE public.tenants SET created_at = now() - interval '2 days' WHERE slug = :s"),
            {"s": tenant.slug},
        )
        await repo.insert_backup(
            conn,
            dict(
                id=dead_id, tenant_id=uuid.uuid4(), tenant_slug=tenant.slug, schema_name=tenant.schema,
                kind=BackupKind.DAILY, status=BackupStatus.RUNNING, file_name="dead.dcrmbak", key_id="x",
                wrapped_key="x", created_at=datetime.now(UTC) - timedelta(hours=3),
            ),
        )  # fmt: skip
        # Leftovers of a killed verification (7 h ago), a fresh one still running, a set-aside schema
        # past its keep time and one within it.
        stale, live = (
            int((datetime.now(UTC) - timedelta(hours=7)).timestamp()),
            int(datetime.now(UTC).timestamp()),
        )
        old_day = (datetime.now(UTC) - timedelta(days=8)).strftime("%Y%m%d%H%M%S")
        new_day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y%m%d%H%M%S")
        leftovers = {
            f"bak_verify_{stale}_{secrets.token_hex(3)}": True,
            f"bak_verify_{live}_{secrets.token_hex(3)}": False,
            f"bak_pre_restore_{old_day}_{tenant.schema}": True,
            f"bak_pre_restore_{new_day}_{tenant.schema}": False,
        }
        for name in leftovers:
            await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    files.folder.mkdir(parents=True, exist_ok=True)
    (files.folder / ".dead.dcrmbak.1a2b3c.part").write_bytes(b"half")
    (files.folder / "dead.dcrmbak").write_bytes(b"renamed but never recorded")

    now = datetime.now(UTC)
    report = await schedule.sweep_and_schedule(db, app.state.arq, settings=settings, queue_name=QUEUE_NAME)
    try:
        assert tenant.slug in report.enqueued and other_tenant.slug not in report.enqueued
        assert await app.state.redis.exists(f"arq:job:backup:{tenant.slug}:{now:%Y-%m-%d}")
        # The same day's job is not queued twice.
        again = await schedule.sweep_and_schedule(db, app.state.arq, settings=settings, queue_name=QUEUE_NAME)
        assert tenant.slug in again.already_queued and tenant.slug not in again.enqueued
    finally:
        await _forget_jobs(app, report.enqueued, now)

    present = await schemas(app)
    async with db.engine.begin() as conn:  # what the sweep rightly kept, this test removes
        for name in leftovers:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}"'))
    assert report.reaped == 1 and list(files.folder.iterdir()) == []
    (dead,) = await backups_of(app, tenant.slug)
    assert dead.status == BackupStatus.FAILED
    for name, expired in leftovers.items():
        assert (name in report.dropped_schemas) is expired and (name in present) is not expired
    assert report.missing == [tenant.slug]
    assert "no verified backup in the last 26 h" in (await open_alerts(app, tenant.slug))["backup_missing"]
    assert await open_alerts(app, other_tenant.slug) == {}
    # Sentry heard about the missing backup once, though the sweep ran twice.
    missing = [e for e in sentry.events() if e.get("tags", {}).get("alert") == "backup_missing"]
    assert len(missing) == 1 and missing[0]["tags"]["tenant"] == tenant.slug

    # The queued job, when a worker runs it: backup, verify, prune; a second run does nothing.
    assert await schedule.backup_tenant(db, tenant.slug, settings=settings) == "verified"
    assert await schedule.backup_tenant(db, tenant.slug, settings=settings) == "not due"
    newest = (await backups_of(app, tenant.slug))[0]
    assert newest.status == BackupStatus.VERIFIED and newest.kind == BackupKind.MONTHLY
    assert await open_alerts(app, tenant.slug) == {}


async def test_pruning_removes_exactly_the_backups_past_the_retention_policy(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        backup_settings(tmp_path),
        backup_keep_daily=3,
        backup_keep_weekly=2,
        backup_keep_monthly=2,
        backup_keep_manual=1,
    )
    files = backup_files(settings, tenant.schema)
    files.folder.mkdir(parents=True)
    names: dict[str, str] = {}  # label -> file name

    async def add(
        label: str, when: datetime, kind: str = BackupKind.DAILY, status: str = BackupStatus.VERIFIED
    ) -> None:
        name = f"{tenant.schema}-{label}.dcrmbak"
        names[label] = name
        (files.folder / name).write_bytes(b"x")
        async with app.state.db.engine.begin() as conn:
            await repo.insert_backup(
                conn,
                dict(
                    tenant_id=uuid.uuid4(), tenant_slug=tenant.slug, schema_name=tenant.schema, kind=kind,
                    status=status, file_name=name, key_id="x", wrapped_key="x", created_at=when,
                ),
            )  # fmt: skip

    for day in range(1, 31):  # one scheduled backup a night in June 2026 (30 June is a Tuesday)
        await add(f"jun{day:02d}", datetime(2026, 6, day, 2, 0, tzinfo=UTC))
    await add("may15", datetime(2026, 5, 15, 2, 0, tzinfo=UTC))
    await add("apr10", datetime(2026, 4, 10, 2, 0, tzinfo=UTC))
    await add("manual-jun10", datetime(2026, 6, 10, 9, 0, tzinfo=UTC), kind=BackupKind.MANUAL)
    await add("manual-jun20", datetime(2026, 6, 20, 9, 0, tzinfo=UTC), kind=BackupKind.MANUAL)
    await add("failed-jun15", datetime(2026, 6, 15, 3, 0, tzinfo=UTC), status=BackupStatus.FAILED)
    (files.folder / f"{tenant.schema}-orphan.dcrmbak").write_bytes(b"no row")

    pruned = await schedule.prune_tenant(app.state.db, tenant.slug, settings=settings)

    # Three days (30, 29, 28 June), two ISO weeks (newest of 29 Jun-5 Jul and 22-28 Jun: 30 and
    # 28 June), two months (30 June, 15 May) and the newest manual backup.
    kept = {"jun30", "jun29", "jun28", "may15", "manual-jun20"}
    assert sorted(p.name for p in files.folder.iterdir()) == sorted(names[label] for label in kept)
    assert len(pruned) == len(names) - len(kept) - 1  # everything else but the failed one
    rows = {b.file_name: b for b in await backups_of(app, tenant.slug)}
    for label, name in names.items():
        if label in kept:
            assert rows[name].status == BackupStatus.VERIFIED, label
        elif label == "failed-jun15":
            # A failed backup's file goes after the daily window; the row keeps saying why it failed.
            assert rows[name].status == BackupStatus.FAILED and rows[name].deleted_at is not None
        else:
            assert rows[name].status == BackupStatus.DELETED and rows[name].deleted_at is not None, label
