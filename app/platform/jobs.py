"""The console's jobs page: the arq queue, the worker's heartbeat, recent failures.

Failed exports live in each tenant's schema; the page reads them for one page of tenants at a
time (at most ``TENANTS_PER_PAGE`` schemas in one query, a few rows each), never for all tenants
at once. Failed backups and open alerts are platform tables, read when they exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.platform.usage import table_exists
from tenancy.migrate import quote_ident
from tenancy.models import Tenant, TenantStatus

TENANTS = cast(Table, Tenant.__table__)
TENANTS_PER_PAGE = 50
FAILURES_PER_TENANT = 5
# Written by the worker (workers/settings.py HEARTBEAT_KEY) every 30 seconds.
WORKER_HEARTBEAT_KEY = "dealercrm:worker:heartbeat"


@dataclass(frozen=True)
class FailedJob:
    tenant_slug: str
    kind: str
    job_id: str
    error: str
    at: datetime | None


@dataclass
class JobsOverview:
    queue_length: int
    heartbeat_at: datetime | None
    failed_exports: list[FailedJob] = field(default_factory=list)
    failed_backups: list[FailedJob] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    page: int = 1
    pages: int = 1

    @property
    def worker_alive(self) -> bool:
        return self.heartbeat_at is not None and (datetime.now(UTC) - self.heartbeat_at).total_seconds() < 120


async def overview(engine: AsyncEngine, redis: Any, queue_name: str, *, page: int = 1) -> JobsOverview:
    queue_length = int(await redis.zcard(queue_name) or 0)
    raw = await redis.get(WORKER_HEARTBEAT_KEY)
    heartbeat = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw) if raw else None
    result = JobsOverview(queue_length, heartbeat)
    async with engine.connect() as conn:
        live = TENANTS.c.status.in_(TenantStatus.WITH_SCHEMA)
        total = int(await conn.scalar(select(func.count()).select_from(TENANTS).where(live)) or 0)
        result.pages = max(1, -(-total // TENANTS_PER_PAGE))
        result.page = min(max(page, 1), result.pages)
        tenants = (
            await conn.execute(
                select(TENANTS.c.slug, TENANTS.c.schema_name)
                .where(live)
                .order_by(TENANTS.c.slug)
                .limit(TENANTS_PER_PAGE)
                .offset((result.page - 1) * TENANTS_PER_PAGE)
            )
        ).all()
        if tenants:
            parts = []
            for slug, schema in tenants:
                literal = slug.replace("'", "''")
                parts.append(
                    f"(SELECT '{literal}' AS slug, id::text AS id, coalesce(error, '') AS error, "
                    f"coalesce(finished_at, created_at) AS at FROM {quote_ident(schema)}.export_jobs "
                    f"WHERE status = 'failed' ORDER BY created_at DESC LIMIT {FAILURES_PER_TENANT})"
                )
            try:
                async with conn.begin_nested():
                    union = " UNION ALL ".join(parts)
                    sql = f"SELECT * FROM ({union}) AS failures ORDER BY at DESC LIMIT 100"
                    rows = (await conn.execute(text(sql))).all()
                result.failed_exports = [FailedJob(r.slug, "export", r.id, r.error, r.at) for r in rows]
            except Exception as exc:  # noqa: BLE001 - a broken schema must not take the page down
                result.failed_exports = [FailedJob("-", "export", "-", f"could not read: {exc}"[:300], None)]
        if await table_exists(conn, "public.backups"):
            rows = (
                await conn.execute(
                    text(
                        "SELECT tenant_slug, id::text AS id, coalesce(error, '') AS error, created_at AS at "
                        "FROM public.backups WHERE status = 'failed' ORDER BY created_at DESC LIMIT 50"
                    )
                )
            ).all()
            result.failed_backups = [FailedJob(r.tenant_slug, "backup", r.id, r.error, r.at) for r in rows]
        if await table_exists(conn, "public.platform_alerts"):
            alerts = (
                (
                    await conn.execute(
                        text(
                            "SELECT kind, tenant_slug, message, created_at, last_seen_at "
                            "FROM public.platform_alerts WHERE resolved_at IS NULL "
                            "ORDER BY last_seen_at DESC LIMIT 100"
                        )
                    )
                )
                .mappings()
                .all()
            )
            result.alerts = [dict(r) for r in alerts]
    return result
