"""What the worker does with backups every hour, and the retention prune.

``sweep_and_schedule`` (the hourly cron job): clears what killed runs left (stale ``running``
rows, partial files, scratch schemas), drops set-aside pre-restore schemas past their keep time,
enqueues a ``backup_tenant`` job for every active tenant without a good backup in the last
``BACKUP_INTERVAL_HOURS`` (job id ``backup:<slug>:<UTC date>``, so a second enqueue of the same
day collapses into the first), and raises a ``backup_missing`` alert for every active tenant
without a verified backup in the last ``BACKUP_ALERT_AFTER_HOURS``.

``backup_tenant`` (one tenant): backup, verify, prune. It is idempotent: a tenant that already
has a good backup in the interval is left alone, so a job arq runs twice does the work once.
PostgreSQL (``public.backups``) stays the record of truth; a lost enqueue is made up for by the
next hourly run.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.backups import alerts, retention
from app.backups import repository as repo
from app.backups.crypto import BackupKeyError
from app.backups.models import Backup, BackupStatus
from app.backups.pgtools import PgToolMissing
from app.backups.restore import PRE_RESTORE_PREFIX
from app.backups.service import (
    FILE_SUFFIX,
    SCRATCH_PREFIX,
    BackupBusy,
    BackupError,
    Progress,
    backup_files,
    quiet,
    reap_stale,
    run_backup,
    short_id,
    tenant_lock,
)
from app.backups.verify import verify_backup
from app.db import Database
from app.settings import Settings, get_settings
from tenancy import registry
from tenancy.models import TenantStatus

log = logging.getLogger("dealercrm.backups")
JOB_NAME = "backup_tenant"
SCRATCH_MAX_AGE = timedelta(hours=6)  # longer than any verification or restore runs
_SCRATCH_RE = re.compile(rf"^{SCRATCH_PREFIX}(?:verify|restore)_(\d+)_[0-9a-f]+$")
_PRE_RESTORE_RE = re.compile(rf"^{PRE_RESTORE_PREFIX}(\d{{14}})_")


def job_id(slug: str, moment: datetime) -> str:
    return f"backup:{slug}:{moment.astimezone(UTC):%Y-%m-%d}"


def policy_of(settings: Settings) -> retention.RetentionPolicy:
    return retention.RetentionPolicy(
        daily=settings.backup_keep_daily,
        weekly=settings.backup_keep_weekly,
        monthly=settings.backup_keep_monthly,
        manual=settings.backup_keep_manual,
    )


# -- retention ------------------------------------------------------------------------------------


async def prune_tenant(
    db: Database,
    slug: str,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    progress: Progress = quiet,
) -> list[Backup]:
    """Apply the retention policy to one tenant's backups; returns the backups pruned.

    Each row is marked deleted before its file is removed: a crash in between leaves an
    unreferenced file (removed as an orphan next time), never a row pointing at nothing.
    """
    settings = settings or get_settings()
    async with db.engine.connect() as conn:
        backups = list(await repo.list_backups(conn, slug))
    if not backups:
        return []
    schema = backups[0].schema_name
    files = backup_files(settings, schema)
    async with tenant_lock(db, schema):
        async with db.engine.connect() as conn:
            backups = list(await repo.list_backups(conn, slug))
        plan = retention.plan(backups, policy_of(settings), now=now)
        for backup in plan.prune:
            async with db.engine.begin() as conn:
                await repo.update_backup(
                    conn, backup.id, status=BackupStatus.DELETED, deleted_at=datetime.now(UTC)
                )
            files.remove(backup.file_name)
            progress(
                f"pruned backup {short_id(backup.id)} ({backup.kind}, {backup.created_at:%Y-%m-%d %H:%M})"
            )
        for backup in plan.discard_failed:
            async with db.engine.begin() as conn:
                await repo.update_backup(conn, backup.id, deleted_at=datetime.now(UTC))
            files.remove(backup.file_name)
        pruned_ids = {b.id for b in plan.prune} | {b.id for b in plan.discard_failed}
        referenced = {
            b.file_name for b in backups if b.id not in pruned_ids and b.status != BackupStatus.DELETED
        }
        if files.folder.is_dir():
            for path in files.folder.glob(f"*{FILE_SUFFIX}"):
                if path.name not in referenced:
                    log.warning("removing unreferenced backup file %s", path)
                    path.unlink(missing_ok=True)
    return plan.prune


# -- one tenant -----------------------------------------------------------------------------------


async def backup_tenant(
    db: Database, slug: str, *, settings: Settings | None = None, now: datetime | None = None
) -> str:
    """The scheduled job for one tenant: backup (if still due), verify, prune. Returns an outcome."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    async with db.engine.connect() as conn:
        last = (await repo.last_good_at(conn, [slug])).get(slug, {})
    if last.get("good") and last["good"] > now - timedelta(hours=settings.backup_interval_hours):
        return "not due"
    try:
        backup = await run_backup(db, slug, kind=None, settings=settings)
        await verify_backup(db, backup.id, settings=settings)
        await prune_tenant(db, slug, settings=settings)
    except BackupBusy:
        return "busy"
    except BackupError as exc:  # recorded on the row and alerted already
        log.warning("scheduled backup of %s: %s", slug, exc)
        return "failed"
    except (BackupKeyError, PgToolMissing) as exc:  # configuration: no backup can run at all
        await alerts.raise_alert(db, alerts.BACKUP_FAILED, slug, f"backups of {slug} cannot run: {exc}")
        return "failed"
    return "verified"


# -- every hour -----------------------------------------------------------------------------------


@dataclass
class SweepReport:
    reaped: int = 0
    dropped_schemas: list[str] = field(default_factory=list)
    enqueued: list[str] = field(default_factory=list)
    already_queued: list[str] = field(default_factory=list)  # today's job is waiting or running
    missing: list[str] = field(default_factory=list)


async def sweep_and_schedule(
    db: Database,
    arq: Any | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    queue_name: str | None = None,
) -> SweepReport:
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    report = SweepReport()
    report.reaped = await _reap_all(db, settings)
    report.dropped_schemas = await _drop_leftover_schemas(db, settings, now)
    async with db.engine.connect() as conn:
        # Deleted tenants stay backed up through their grace period (they can still be restored).
        tenants = [
            t
            for t in await registry.list_tenants(conn)
            if t.status in (TenantStatus.ACTIVE, TenantStatus.DELETED)
        ]
        last = await repo.last_good_at(conn, [t.slug for t in tenants])
    due_after = now - timedelta(hours=settings.backup_interval_hours)
    alert_after = now - timedelta(hours=settings.backup_alert_after_hours)
    for tenant in tenants:
        seen = last.get(tenant.slug, {})
        if arq is not None and not (seen.get("good") and seen["good"] > due_after):
            job = await arq.enqueue_job(
                JOB_NAME, tenant.slug, _job_id=job_id(tenant.slug, now), _queue_name=queue_name
            )
            (report.enqueued if job is not None else report.already_queued).append(tenant.slug)
        if tenant.created_at < alert_after and not (seen.get("verified") and seen["verified"] > alert_after):
            report.missing.append(tenant.slug)
            when = f"{seen['verified']:%Y-%m-%d %H:%M} UTC" if seen.get("verified") else "never"
            await alerts.raise_alert(
                db,
                alerts.BACKUP_MISSING,
                tenant.slug,
                f"{tenant.slug} has no verified backup in the last {settings.backup_alert_after_hours} h "
                f"(last verified: {when})",
            )
    return report


async def _reap_all(db: Database, settings: Settings) -> int:
    async with db.engine.connect() as conn:
        running = await repo.running_backups(conn)
    by_schema: dict[str, list[uuid.UUID]] = defaultdict(list)
    for backup in running:
        by_schema[backup.schema_name].append(backup.id)
    reaped = 0
    for schema in by_schema:
        try:
            async with tenant_lock(db, schema):
                reaped += await reap_stale(db, settings, schema)
        except BackupBusy:
            continue  # a live backup: its owner holds the lock
    return reaped


async def _drop_leftover_schemas(db: Database, settings: Settings, now: datetime) -> list[str]:
    dropped: list[str] = []
    async with db.engine.connect() as conn:
        candidates = await repo.schemas_like(conn, SCRATCH_PREFIX)
    for schema in candidates:
        if match := _SCRATCH_RE.match(schema):
            expired = datetime.fromtimestamp(int(match.group(1)), UTC) < now - SCRATCH_MAX_AGE
        elif match := _PRE_RESTORE_RE.match(schema):
            made = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            expired = made < now - timedelta(days=settings.backup_keep_pre_restore_days)
        else:
            continue
        if expired:
            async with db.engine.begin() as conn:
                await repo.drop_schema(conn, schema)
            dropped.append(schema)
            log.info("dropped leftover schema %s", schema)
    return dropped
