"""SQL for backups: backup rows, operator alerts, per-table fingerprints and schema moves."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.backups.models import Backup, BackupStatus, PlatformAlert
from tenancy.migrate import quote_ident

BACKUPS = cast(Table, Backup.__table__)
ALERTS = cast(Table, PlatformAlert.__table__)


# -- backup rows ----------------------------------------------------------------------------------


def _backup(row: Any) -> Backup:
    return Backup(**row)


async def insert_backup(conn: AsyncConnection, values: dict[str, Any]) -> Backup:
    row = (await conn.execute(BACKUPS.insert().values(**values).returning(*BACKUPS.c))).mappings().one()
    return _backup(row)


async def get_backup(conn: AsyncConnection, backup_id: uuid.UUID) -> Backup | None:
    row = (await conn.execute(select(BACKUPS).where(BACKUPS.c.id == backup_id))).mappings().first()
    return _backup(row) if row else None


async def find_backups_by_prefix(conn: AsyncConnection, tenant_slug: str, prefix: str) -> Sequence[Backup]:
    """Backups of a tenant whose id starts with ``prefix`` (the short id ``backup list`` prints)."""
    rows = await conn.execute(
        select(BACKUPS)
        .where(
            BACKUPS.c.tenant_slug == tenant_slug, text("backups.id::text LIKE :p").bindparams(p=prefix + "%")
        )
        .limit(2)
    )
    return [_backup(r) for r in rows.mappings()]


async def list_backups(
    conn: AsyncConnection, tenant_slug: str, *, include_deleted: bool = True
) -> Sequence[Backup]:
    query = select(BACKUPS).where(BACKUPS.c.tenant_slug == tenant_slug)
    if not include_deleted:
        query = query.where(BACKUPS.c.status != BackupStatus.DELETED)
    rows = await conn.execute(query.order_by(BACKUPS.c.created_at.desc()))
    return [_backup(r) for r in rows.mappings()]


async def update_backup(conn: AsyncConnection, backup_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(update(BACKUPS).where(BACKUPS.c.id == backup_id).values(**values))


async def running_backups(conn: AsyncConnection, schema: str | None = None) -> Sequence[Backup]:
    query = select(BACKUPS).where(BACKUPS.c.status == BackupStatus.RUNNING)
    if schema:
        query = query.where(BACKUPS.c.schema_name == schema)
    return [_backup(r) for r in (await conn.execute(query)).mappings()]


async def last_good_at(conn: AsyncConnection, tenant_slugs: Sequence[str]) -> dict[str, dict[str, datetime]]:
    """Per tenant, when its newest completed and newest verified backups were taken."""
    rows = await conn.execute(
        text(
            "SELECT tenant_slug, max(created_at) FILTER (WHERE status IN ('completed', 'verified')) AS good, "
            "max(created_at) FILTER (WHERE status = 'verified') AS verified "
            "FROM public.backups WHERE tenant_slug = ANY(:slugs) GROUP BY tenant_slug"
        ),
        {"slugs": list(tenant_slugs)},
    )
    return {r.tenant_slug: {"good": r.good, "verified": r.verified} for r in rows}


# -- alerts ---------------------------------------------------------------------------------------


async def open_alert(conn: AsyncConnection, kind: str, tenant_slug: str | None, message: str) -> bool:
    """Open an alert, or refresh the one already open for (kind, tenant); True when it is new."""
    row = (
        await conn.execute(
            text(
                "INSERT INTO public.platform_alerts (kind, tenant_slug, message) "
                "VALUES (:kind, :slug, :message) "
                "ON CONFLICT (kind, coalesce(tenant_slug, '')) WHERE resolved_at IS NULL "
                "DO UPDATE SET message = EXCLUDED.message, last_seen_at = now() "
                "RETURNING (xmax = 0) AS inserted"
            ),
            {"kind": kind, "slug": tenant_slug, "message": message},
        )
    ).one()
    return bool(row.inserted)


async def resolve_alerts(conn: AsyncConnection, tenant_slug: str, kinds: Sequence[str]) -> int:
    result = await conn.execute(
        update(ALERTS)
        .where(ALERTS.c.tenant_slug == tenant_slug, ALERTS.c.kind.in_(kinds), ALERTS.c.resolved_at.is_(None))
        .values(resolved_at=text("now()"))
    )
    return result.rowcount


async def list_open_alerts(conn: AsyncConnection, tenant_slug: str | None = None) -> Sequence[PlatformAlert]:
    query = select(ALERTS).where(ALERTS.c.resolved_at.is_(None))
    if tenant_slug:
        query = query.where(ALERTS.c.tenant_slug == tenant_slug)
    rows = await conn.execute(query.order_by(ALERTS.c.created_at))
    return [PlatformAlert(**r) for r in rows.mappings()]


# -- tables and their fingerprints ----------------------------------------------------------------


async def prepare_checksum_transaction(conn: AsyncConnection) -> None:
    """Settings for a long read that checksums rows, for the current transaction only.

    Text output that does not depend on the session (the same row must hash alike in the backup's
    session and the verifier's), and no statement or idle timeout: checksumming a big table can
    outlast a timeout meant for requests, and the snapshot transaction sits idle while pg_dump runs.
    """
    await conn.execute(
        text(
            "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), "
            "set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '3', true), "
            "set_config('bytea_output', 'hex', true), set_config('statement_timeout', '0', true), "
            "set_config('idle_in_transaction_session_timeout', '0', true)"
        )
    )


async def schema_tables(conn: AsyncConnection, schema: str) -> list[tuple[str, list[str]]]:
    """The schema's tables with their primary-key columns in key order."""
    rows = await conn.execute(
        text(
            "SELECT c.relname, ARRAY(SELECT a.attname FROM pg_index i "
            "  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "  WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.ord) AS pk "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ),
        {"schema": schema},
    )
    return [(r.relname, list(r.pk)) for r in rows]


async def table_fingerprints(conn: AsyncConnection, schema: str) -> dict[str, dict[str, Any]]:
    """Row count and a checksum of every table: md5 over the rows' md5s in primary-key order.

    Hashing each row first keeps the aggregated string at 32 bytes a row (a whole-row
    ``string_agg`` would hit PostgreSQL's 1 GB value limit on a big tenant).
    """
    found: dict[str, dict[str, Any]] = {}
    for table, pk in await schema_tables(conn, schema):
        order = ", ".join(f"_dcrm_row.{quote_ident(c)}" for c in pk) or "md5(_dcrm_row::text)"
        row = (
            await conn.execute(
                text(
                    "SELECT count(*) AS n, coalesce(md5(string_agg(md5(_dcrm_row::text), '' "
                    f"ORDER BY {order})), md5('')) AS checksum "
                    f"FROM {quote_ident(schema)}.{quote_ident(table)} AS _dcrm_row"
                )
            )
        ).one()
        found[table] = {"rows": int(row.n), "checksum": row.checksum}
    return found


async def schema_revision(conn: AsyncConnection, schema: str) -> str | None:
    exists = await conn.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{quote_ident(schema)}.alembic_version"}
    )
    if not exists:
        return None
    return await conn.scalar(text(f"SELECT version_num FROM {quote_ident(schema)}.alembic_version"))


async def schema_exists(conn: AsyncConnection, schema: str) -> bool:
    return bool(
        await conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
    )


async def schemas_like(conn: AsyncConnection, prefix: str) -> list[str]:
    rows = await conn.execute(
        text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p) ORDER BY nspname"),
        {"p": prefix},
    )
    return [r.nspname for r in rows]


async def rename_schema(conn: AsyncConnection, old: str, new: str) -> None:
    await conn.execute(text(f"ALTER SCHEMA {quote_ident(old)} RENAME TO {quote_ident(new)}"))


async def drop_schema(conn: AsyncConnection, schema: str) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE"))


async def server_major(conn: AsyncConnection) -> int:
    return int(await conn.scalar(text("SHOW server_version_num"))) // 10000


# -- one backup or restore per tenant at a time ---------------------------------------------------


def lock_key(schema: str) -> int:
    """The advisory-lock key of a tenant schema (a signed 64-bit integer)."""
    return int.from_bytes(
        hashlib.sha256(b"dealercrm:tenant-backup:" + schema.encode()).digest()[:8], "big", signed=True
    )


async def try_lock(conn: AsyncConnection, schema: str) -> bool:
    """Session-level: held until unlocked or the connection ends (a killed worker frees it)."""
    got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(schema)}))
    await conn.commit()
    return got


async def unlock(conn: AsyncConnection, schema: str) -> None:
    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(schema)})
    await conn.commit()
