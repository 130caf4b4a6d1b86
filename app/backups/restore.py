"""Restoring a tenant from one of its backups: into the same tenant, or into a new one to inspect.

Approach: ``pg_restore`` cannot rename a schema, and renaming the live schema out of the way would
take the tenant offline for the whole restore (and is out of the question when restoring into a
new tenant next to the live one). So the dump is always restored under a fresh scratch name in
the same database: ``pg_restore -f -`` turns the archive into plain SQL, ``SchemaRename``
(app.backups.pgtools) rewrites the schema identifier in the DDL while copying table data through
untouched, and ``psql`` applies it in one transaction. Then:

1. the restored copy is compared table by table (row counts, checksums) with the fingerprints
   taken when the backup was made; any difference stops the restore with nothing swapped;
2. a copy made by an older release is migrated to head (the tenant migrations run on it);
3. one transaction moves it into place: same tenant: ``t_x`` becomes ``bak_pre_restore_<time>_t_x``
   (kept for ``BACKUP_KEEP_PRE_RESTORE_DAYS``, then dropped by the hourly sweep) and the copy
   becomes ``t_x``; new tenant: the registry row is inserted and the copy becomes its schema.

Before any of this the file is checked end to end (SHA-256 against the recorded one, header,
master key, every frame authenticated), so a corrupted, truncated or foreign file is refused
before anything in the database is touched. The live tenant keeps working throughout; it sees
the restored data from the swap's commit on. PostgreSQL invalidates cached plans on a schema
rename, so pooled connections with prepared statements read the restored tables too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit.models import AuditRecord
from app.backups import repository as repo
from app.backups.crypto import load_master_key
from app.backups.models import Backup
from app.backups.service import (
    BackupError,
    BackupNotUsable,
    Progress,
    UnknownBackup,
    UnknownTenant,
    get_tenant,
    human_size,
    quiet,
    short_id,
    tenant_lock,
    tools_for,
)
from app.backups.verify import (
    authenticate_all,
    check_file,
    compare_tables,
    drop_scratch,
    fingerprints,
    restore_as,
    scratch_name,
)
from app.db import Database
from app.kit.jobs import shielded
from app.platform.service import SLUG_MESSAGES
from app.settings import Settings, get_settings
from tenancy import registry
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER
from tenancy.migrate import pending_revisions, quote_ident, upgrade_tenants
from tenancy.naming import InvalidSlug, schema_for, validate_slug

PRE_RESTORE_PREFIX = "bak_pre_restore_"


class RestoreFailed(BackupError):
    pass


@dataclass(frozen=True)
class RestoreOutcome:
    backup: Backup
    tenant_slug: str
    schema: str
    kept_schema: str | None  # the schema the same-tenant restore set aside
    upgraded: list[str]  # tenant migrations run on the restored copy
    seconds: float


async def restore_backup(
    db: Database,
    backup_id: uuid.UUID,
    *,
    into_slug: str | None = None,
    settings: Settings | None = None,
    progress: Progress = quiet,
) -> RestoreOutcome:
    """Restore a backup into its own tenant, or into the new tenant ``into_slug``.

    The caller has the operator's confirmation for a same-tenant restore.

    Raises:
        UnknownBackup, UnknownTenant, BackupNotUsable, BackupFileError (refused: nothing touched),
        BackupBusy, RestoreFailed, BackupError (bad or taken ``into_slug``).
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    master = load_master_key(settings)
    async with db.engine.connect() as conn:
        backup = await repo.get_backup(conn, backup_id)
    if backup is None:
        raise UnknownBackup(f"no backup {backup_id}")
    short = short_id(backup.id)
    slug, target = await _target(db, backup, into_slug)
    pending = _pending(backup)

    async with AsyncExitStack() as locks:
        # The source's lock too: its retention prune must not remove the file while we read it.
        for schema in sorted({backup.schema_name, target}):
            await locks.enter_async_context(tenant_lock(db, schema))
        progress(f"restore {short}: checking the file (SHA-256, header, key, every frame)")
        opened = await asyncio.to_thread(check_file, backup, settings, master)
        size = await asyncio.to_thread(authenticate_all, opened)
        progress(f"restore {short}: file intact, {human_size(size)} of dump authenticated")
        tools = await tools_for(db, settings, "restore")
        scratch = scratch_name("restore")
        try:
            progress(f"restore {short}: restoring into new schema {scratch}")
            await restore_as(db, tools, opened, backup.schema_name, scratch)
            details, problems = compare_tables(backup.source_tables or {}, await fingerprints(db, scratch))
            if problems:
                raise RestoreFailed(f"the restored copy differs from the backup: {'; '.join(problems)}")
            rows = sum(d["rows"] or 0 for d in details.values())
            progress(f"restore {short}: copy matches the backup ({len(details)} tables, {rows:,} rows)")
            if pending:
                progress(
                    f"restore {short}: migrating the copy from {backup.schema_revision}: {', '.join(pending)}"
                )
                report = await upgrade_tenants(db.engine, [scratch], concurrency=1)
                if not report.ok:
                    raise RestoreFailed(f"migrating the restored copy failed: {report.failed[scratch]}")
            kept = await _move_into_place(db, backup, scratch, slug, target, new_tenant=into_slug is not None)
        except BaseException:
            await shielded(drop_scratch(db, scratch))
            raise
    if kept:
        progress(
            f"restore {short}: {slug} now runs on the restored data; the previous data is kept in {kept}"
        )
    else:
        progress(f"restore {short}: tenant {slug} created from the backup (schema {target})")
    return RestoreOutcome(backup, slug, target, kept, pending, round(time.perf_counter() - started, 3))


async def _target(db: Database, backup: Backup, into_slug: str | None) -> tuple[str, str]:
    """The tenant slug and schema to restore into, refusing a bad or taken new slug."""
    if into_slug is None:
        try:
            tenant = await get_tenant(db, backup.tenant_slug)
        except UnknownTenant:
            raise UnknownTenant(
                f"tenant {backup.tenant_slug!r} no longer exists; restore its backup into a new tenant "
                "with --into"
            ) from None
        return tenant.slug, tenant.schema_name
    try:
        slug = validate_slug(into_slug)
    except InvalidSlug as exc:
        raise BackupError(f"{into_slug!r} cannot name a tenant: it {SLUG_MESSAGES[exc.code]}") from None
    schema = schema_for(slug)
    async with db.engine.connect() as conn:
        if await registry.slug_taken(conn, slug) or await repo.schema_exists(conn, schema):
            raise BackupError(f"tenant {slug!r} already exists; choose another name for --into")
    return slug, schema


def _pending(backup: Backup) -> list[str]:
    if not backup.schema_revision:
        return []
    try:
        return pending_revisions(backup.schema_revision)
    except Exception:  # alembic: a revision this release does not know (made by a newer one)
        raise BackupNotUsable(
            f"backup {short_id(backup.id)} is at schema revision {backup.schema_revision}, unknown to this "
            "release of DealerCRM; restore it with the release that made it"
        ) from None


async def _move_into_place(
    db: Database, backup: Backup, scratch: str, slug: str, target: str, *, new_tenant: bool
) -> str | None:
    """One transaction: the restored copy takes the tenant's schema name (see the module docstring)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    kept: str | None = None
    async with db.engine.begin() as conn:
        await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        if new_tenant:
            await conn.execute(
                registry.TENANTS.insert().values(**await _copy_row(conn, backup, slug, target))
            )
        elif await repo.schema_exists(conn, target):
            kept = f"{PRE_RESTORE_PREFIX}{stamp}_{target}"[:63]
            await repo.rename_schema(conn, target, kept)
        await repo.rename_schema(conn, scratch, target)
        if new_tenant:
            await _quiesce_copy(conn, target)
        await _audit(conn, target, slug, backup, kept)
    return kept


# Registry columns a copy does not take from its source: who it is, and where the source stands in
# its own life (suspended, deleted, purged...). Everything else (plan, trial, verified email...)
# carries over, so the copy behaves like the source did.
_OWN_COLUMNS = frozenset({"id", "slug", "name", "schema_name", "created_at", "status"})
_LIFECYCLE_MARKS = ("suspend", "delete", "purge")


async def _copy_row(conn: AsyncConnection, backup: Backup, slug: str, schema: str) -> dict[str, object]:
    """The registry row of a tenant restored for inspection, modelled on the source tenant's."""
    source = (
        (await conn.execute(select(registry.TENANTS).where(registry.TENANTS.c.slug == backup.tenant_slug)))
        .mappings()
        .first()
    )
    values: dict[str, object] = {
        column: value
        for column, value in (source or {}).items()
        if column not in _OWN_COLUMNS and not any(mark in column for mark in _LIFECYCLE_MARKS)
    }
    label = source["name"] if source else backup.tenant_slug
    values.update(slug=slug, schema_name=schema, name=f"{label} [backup {short_id(backup.id)}]"[:100])
    values.setdefault("admin_email", "restored@invalid.example")
    return values


async def _quiesce_copy(conn: AsyncConnection, schema: str) -> None:
    """A copy for inspection must not repeat the source tenant's side effects (webhooks...)."""
    if await conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"{quote_ident(schema)}.outbox"}):
        await conn.execute(
            text(f"UPDATE {quote_ident(schema)}.outbox SET dispatched_at = now() WHERE dispatched_at IS NULL")
        )


async def _audit(conn: AsyncConnection, schema: str, slug: str, backup: Backup, kept: str | None) -> None:
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    await bound.execute(
        cast(Table, AuditRecord.__table__)
        .insert()
        .values(
            actor_label="platform operator (backup restore)",
            entity="tenant",
            entity_id=slug,
            action="restore_backup",
            before=None,
            after={
                "backup_id": str(backup.id),
                "backup_taken_at": backup.created_at.isoformat(),
                "source_tenant": backup.tenant_slug,
                "previous_data_schema": kept,
            },
        )
    )
