"""Taking a tenant's backup, and what every backup operation shares (errors, tools, the lock).

A backup is trusted only once it says so in ``public.backups``: the row is inserted as
``running``, the file is written under a hidden temporary name, fsynced and renamed into place,
and only then is the row marked ``completed``. A worker killed at any point leaves a ``running``
row and at most a hidden partial file; the next backup of that tenant (or the hourly sweep) finds
the row's advisory lock free, marks it failed and removes the leftovers. One backup, verification,
prune or restore runs per tenant at a time (a PostgreSQL advisory lock held by the process's
session, released by the server when the process dies). The lock needs a session of its own, so
the worker talks to PostgreSQL directly, not through PgBouncer in transaction mode.

Consistency: the row counts and checksums that verification compares against are taken inside
the very snapshot pg_dump reads (a REPEATABLE READ transaction exports it; ``pg_dump --snapshot``
imports it), so they describe exactly the data in the file even while the tenant keeps working.
Verification and restore are in ``app.backups.verify`` and ``app.backups.restore``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.backups import alerts
from app.backups import repository as repo
from app.backups.crypto import (
    EncryptingWriter,
    Header,
    load_master_key,
    new_header,
    wrap_data_key,
)
from app.backups.dumps import dump_schema
from app.backups.models import Backup, BackupKind, BackupStatus
from app.backups.pgtools import libpq_env, pg_tool
from app.backups.retention import scheduled_kind
from app.db import Database
from app.kit.jobs import shielded
from app.settings import Settings, get_settings
from app.storage import TenantFiles
from tenancy import registry
from tenancy.models import Tenant

Progress = Callable[[str], object]
FILE_SUFFIX = ".dcrmbak"
SCRATCH_PREFIX = "bak_"  # tenant schemas start with "t_": scratch names can never collide


class BackupError(Exception):
    """An operator-facing failure with a message that says what to do."""


class UnknownTenant(BackupError):
    pass


class UnknownBackup(BackupError):
    pass


class BackupBusy(BackupError):
    pass


class BackupNotUsable(BackupError):
    """The backup is not one to restore from (failed, deleted, still running, file gone)."""


class BackupFailed(BackupError):
    pass


def quiet(_: str) -> None:
    return None


def short_id(backup_id: uuid.UUID) -> str:
    return str(backup_id)[:8]


def backup_files(settings: Settings, schema: str) -> TenantFiles:
    """A tenant's backup folder: ``BACKUP_DIR/<schema>/dumps/``."""
    return TenantFiles(settings.backup_dir, schema, "dumps")


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


@dataclass(frozen=True)
class Tools:
    """The PostgreSQL programs matching the server, and how they reach the database."""

    pg_dump: Path
    pg_restore: Path
    psql: Path
    env: dict[str, str]


async def tools_for(db: Database, settings: Settings, purpose: str) -> Tools:
    async with db.engine.connect() as conn:
        major = await repo.server_major(conn)
    return Tools(
        pg_dump=pg_tool("pg_dump", major, settings),
        pg_restore=pg_tool("pg_restore", major, settings),
        psql=pg_tool("psql", major, settings),
        env=libpq_env(db.engine.url, f"dealercrm-{purpose}"),
    )


async def get_tenant(db: Database, slug: str) -> Tenant:
    async with db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    if tenant is None:
        raise UnknownTenant(f"no tenant {slug!r}")
    return tenant


@asynccontextmanager
async def tenant_lock(db: Database, schema: str) -> AsyncIterator[None]:
    """Hold the tenant's backup lock, or raise BackupBusy at once."""
    async with db.engine.connect() as conn:
        if not await repo.try_lock(conn, schema):
            raise BackupBusy(
                f"another backup, verification or restore of {schema} is running; try again later"
            )
        try:
            yield
        finally:
            await repo.unlock(conn, schema)


# -- listing and finding --------------------------------------------------------------------------


async def list_backups(db: Database, slug: str) -> list[Backup]:
    await get_tenant(db, slug)
    async with db.engine.connect() as conn:
        return list(await repo.list_backups(conn, slug))


async def find_backup(db: Database, slug: str, ref: str) -> Backup:
    """A backup of ``slug`` by its id or the first 8+ characters of it (what ``backup list`` shows)."""
    ref = ref.strip().lower()
    async with db.engine.connect() as conn:
        try:
            found = await repo.get_backup(conn, uuid.UUID(ref))
            matches = [found] if found and found.tenant_slug == slug else []
        except ValueError:
            if len(ref) < 8 or any(c not in "0123456789abcdef-" for c in ref):
                raise UnknownBackup(
                    f"{ref!r} is not a backup id (give at least its first 8 characters)"
                ) from None
            matches = list(await repo.find_backups_by_prefix(conn, slug, ref))
    if not matches:
        raise UnknownBackup(f"no backup {ref!r} of tenant {slug!r}")
    if len(matches) > 1:
        raise UnknownBackup(f"{ref!r} matches more than one backup of {slug!r}; give more of the id")
    return matches[0]


# -- taking a backup ------------------------------------------------------------------------------


async def reap_stale(db: Database, settings: Settings, schema: str) -> int:
    """With the tenant's lock held, nothing else is backing it up: clear what dead runs left.

    Returns how many backups were marked failed.
    """
    files = backup_files(settings, schema)
    async with db.engine.begin() as conn:
        stale = await repo.running_backups(conn, schema)
        for backup in stale:
            # Renamed into place but never marked completed: its checksum was never recorded,
            # so it is not trusted either.
            files.remove(backup.file_name)
            await repo.update_backup(
                conn,
                backup.id,
                status=BackupStatus.FAILED,
                error="interrupted: the process stopped before the backup was complete",
            )
    if files.folder.is_dir():
        for leftover in files.folder.glob(".*.part"):
            leftover.unlink(missing_ok=True)
    for backup in stale:
        await alerts.raise_alert(
            db,
            alerts.BACKUP_FAILED,
            backup.tenant_slug,
            f"backup {short_id(backup.id)} of {backup.tenant_slug} was interrupted (the process stopped)",
        )
    return len(stale)


async def run_backup(
    db: Database,
    slug: str,
    *,
    kind: str | None = BackupKind.MANUAL,
    settings: Settings | None = None,
    progress: Progress = quiet,
) -> Backup:
    """Take a backup of tenant ``slug`` (``kind=None``: a scheduled one, labelled by retention bucket).

    Raises:
        UnknownTenant, BackupBusy, BackupFailed (recorded on the row and alerted).
    """
    settings = settings or get_settings()
    master = load_master_key(settings)
    tenant = await get_tenant(db, slug)
    schema = tenant.schema_name
    files = backup_files(settings, schema)
    async with tenant_lock(db, schema):
        if reaped := await reap_stale(db, settings, schema):
            progress(f"marked {reaped} interrupted backup(s) of {slug} as failed")
        tools = await tools_for(db, settings, "backup")
        now = datetime.now(UTC)
        if kind is None:
            async with db.engine.connect() as conn:
                kind = scheduled_kind(await repo.list_backups(conn, slug), now)
        backup_id = uuid.uuid4()
        data_key = secrets.token_bytes(32)
        wrapped = wrap_data_key(master, data_key, backup_id)
        file_name = f"{schema}-{now:%Y%m%dT%H%M%SZ}-{backup_id.hex[:8]}{FILE_SUFFIX}"
        async with db.engine.begin() as conn:
            backup = await repo.insert_backup(
                conn,
                dict(
                    id=backup_id,
                    tenant_id=tenant.id,
                    tenant_slug=slug,
                    schema_name=schema,
                    kind=kind,
                    status=BackupStatus.RUNNING,
                    file_name=file_name,
                    key_id=master.key_id,
                    wrapped_key=wrapped,
                    created_at=now,
                ),
            )
        header = new_header(
            backup_id=backup_id,
            tenant_slug=slug,
            schema_name=schema,
            created_at=now.isoformat(),
            master=master,
            wrapped_key=wrapped,
        )
        progress(f"backup {short_id(backup_id)} of {slug}: dumping schema {schema} with {tools.pg_dump}")
        started = time.perf_counter()
        try:
            size, sha256, revision, tables = await _dump(
                db, settings, tools, files, file_name, header, data_key
            )
        except BaseException as exc:
            message = _failure_message(exc, settings)
            await shielded(_record_failure(db, backup, message))
            if isinstance(exc, Exception):
                raise BackupFailed(f"backup of {slug} failed: {message}") from exc
            raise
        async with db.engine.begin() as conn:
            await repo.update_backup(
                conn,
                backup_id,
                status=BackupStatus.COMPLETED,
                size_bytes=size,
                sha256=sha256,
                schema_revision=revision,
                source_tables=tables,
                completed_at=datetime.now(UTC),
            )
            backup = await repo.get_backup(conn, backup_id)  # type: ignore[assignment]
    rows = sum(t["rows"] for t in tables.values())
    progress(
        f"backup {short_id(backup_id)} completed: {len(tables)} tables, {rows:,} rows, {human_size(size)} "
        f"encrypted in {time.perf_counter() - started:.2f}s -> {files.path(file_name)}"
    )
    return backup


async def _dump(
    db: Database,
    settings: Settings,
    tools: Tools,
    files: TenantFiles,
    file_name: str,
    header: Header,
    data_key: bytes,
) -> tuple[int, str, str | None, dict[str, Any]]:
    """Dump and fingerprint the schema inside one snapshot; the file appears only when complete."""
    schema = header.schema_name
    async with db.engine.connect() as conn:
        snap = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with snap.begin():
            await repo.prepare_checksum_transaction(snap)
            snapshot = await snap.scalar(text("SELECT pg_export_snapshot()"))
            revision = await repo.schema_revision(snap, schema)
            with files.write_atomic(file_name) as out:
                writer = EncryptingWriter(out, header, data_key)
                dump = dump_schema(
                    pg_dump=tools.pg_dump,
                    env=tools.env,
                    schema=schema,
                    snapshot=str(snapshot),
                    writer=writer,
                    lock_wait_seconds=settings.backup_lock_wait_seconds,
                )
                # The fingerprints read the exported snapshot while pg_dump streams it.
                results = await _together(dump, repo.table_fingerprints(snap, schema))
                tables = results[1]
    return writer.size, writer.sha256.hexdigest(), revision, tables


async def _together(*steps: Any) -> list[Any]:
    """Await steps concurrently; the first failure cancels the others before it is raised."""
    tasks = [asyncio.ensure_future(s) for s in steps]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _failure_message(exc: BaseException, settings: Settings) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return f"could not write the backup file in {settings.backup_dir}: {exc.strerror or exc}"
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted: the backup was cancelled before it was complete"
    return str(exc) or type(exc).__name__


async def _record_failure(db: Database, backup: Backup, message: str) -> None:
    async with db.engine.begin() as conn:
        await repo.update_backup(conn, backup.id, status=BackupStatus.FAILED, error=message[:4000])
    await alerts.raise_alert(
        db,
        alerts.BACKUP_FAILED,
        backup.tenant_slug,
        f"backup {short_id(backup.id)} of {backup.tenant_slug} failed: {message}",
    )
