"""Usage per tenant for operators: measured from each tenant's schema, files and API counter, kept in
``public.tenant_usage`` by a cron job, and read from that one table by the console (fast with
thousands of tenants). Nothing here runs on a tenant's request path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.platform.models import TenantUsage
from app.platform.plans import DEFAULT_PLAN, PLANS, Plan
from app.platform.quotas import api_calls_today, storage_bytes
from tenancy import passes
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER, note_schemas
from tenancy.migrate import quote_ident
from tenancy.models import SuspendedReason, Tenant, TenantStatus

log = logging.getLogger("dealercrm.platform")
USAGE = cast(Table, TenantUsage.__table__)
TENANTS = cast(Table, Tenant.__table__)
PAGE_SIZE = 50
MEASURED_TABLES = ("users", "customers", "tenant_settings")  # what _schema_query reads


@dataclass(frozen=True)
class Measured:
    users: int
    customers: int
    last_login_at: datetime | None
    support_until: datetime | None


def _schema_query(schema: str) -> str:
    s = quote_ident(schema)
    literal = schema.replace("'", "''")
    return (
        f"SELECT '{literal}' AS schema, "
        f"(SELECT count(*) FROM {s}.users WHERE is_active) AS users, "
        f"(SELECT count(*) FROM {s}.customers WHERE deleted_at IS NULL) AS customers, "
        f"(SELECT max(last_login_at) FROM {s}.users) AS last_login_at, "
        f"(SELECT (value->>'until')::timestamptz FROM {s}.tenant_settings WHERE key = 'support_access') "
        "AS support_until"
    )


def _locks_per_schema() -> int:
    """Relations ``_schema_query`` locks in one schema: its three tables and their indexes."""
    from app.models import tenant_metadata

    tables = [tenant_metadata.tables[f"{TENANT_SCHEMA_PLACEHOLDER}.{name}"] for name in MEASURED_TABLES]
    return passes.relations_read(tables)


async def measure_schemas(conn: AsyncConnection, schemas: Sequence[str]) -> dict[str, Measured | str]:
    """Counts per schema in one query; if that fails (a broken schema), schema by schema, so one
    bad tenant costs only its own numbers (its value is then the error text)."""
    if not schemas:
        return {}
    found: dict[str, Measured | str] = {}
    try:
        async with conn.begin_nested():
            rows = (await conn.execute(text(" UNION ALL ".join(_schema_query(s) for s in schemas)))).all()
        for row in rows:
            found[row.schema] = Measured(
                int(row.users), int(row.customers), row.last_login_at, row.support_until
            )
        return found
    except Exception:  # noqa: BLE001 - find the culprit below
        log.warning("usage: batch of %d schemas failed, measuring one by one", len(schemas))
    for schema in schemas:
        try:
            async with conn.begin_nested():
                row = (await conn.execute(text(_schema_query(schema)))).one()
            found[schema] = Measured(int(row.users), int(row.customers), row.last_login_at, row.support_until)
        except Exception as exc:  # noqa: BLE001 - recorded per tenant, shown to operators
            found[schema] = f"{type(exc).__name__}: {exc}"[:500]
    return found


async def table_exists(conn: AsyncConnection, qualified: str) -> bool:
    return bool(await conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": qualified}))


async def last_verified_backups(conn: AsyncConnection, slugs: Sequence[str]) -> dict[str, datetime]:
    """When each tenant's newest verified backup was verified (empty while backups do not exist)."""
    if not slugs or not await table_exists(conn, "public.backups"):
        return {}
    rows = await conn.execute(
        text(
            "SELECT tenant_slug, max(verified_at) FROM public.backups "
            "WHERE status = 'verified' AND tenant_slug = ANY(:slugs) GROUP BY tenant_slug"
        ),
        {"slugs": list(slugs)},
    )
    return {slug: at for slug, at in rows.all() if at is not None}


@dataclass
class RefreshReport:
    refreshed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def refresh_usage(
    engine: AsyncEngine,
    redis: Any,
    files_dir: Path,
    slugs: Sequence[str] | None = None,
    *,
    batch: int = 200,
) -> RefreshReport:
    """Measure tenants (all with a schema, or ``slugs``) and upsert their rows in ``tenant_usage``.

    One transaction per batch, a batch no larger than the server's lock budget allows
    (``tenancy.passes``): each measured schema keeps its tables and their indexes locked until
    the transaction ends, so one transaction over thousands of tenants would run the lock table out.
    """
    report = RefreshReport()
    async with engine.connect() as conn:
        batch = passes.schemas_per_batch(await passes.lock_budget(conn), _locks_per_schema(), batch)
        query = select(TENANTS.c.slug, TENANTS.c.schema_name).where(
            TENANTS.c.status.in_(TenantStatus.WITH_SCHEMA)
        )
        if slugs is not None:
            query = query.where(TENANTS.c.slug.in_(list(slugs)))
        tenants = [
            (r.slug, r.schema_name) for r in (await conn.execute(query.order_by(TENANTS.c.slug))).all()
        ]
    for start in range(0, len(tenants), batch):
        chunk = tenants[start : start + batch]
        chunk_slugs = [slug for slug, _ in chunk]
        calls = await api_calls_today(redis, chunk_slugs)
        async with engine.begin() as conn:
            note_schemas(conn, [schema for _, schema in chunk])
            measured = await measure_schemas(conn, [schema for _, schema in chunk])
            backups = await last_verified_backups(conn, chunk_slugs)
            now = datetime.now(UTC)
            for slug, schema in chunk:
                found = measured.get(schema, "not measured")
                values: dict[str, Any] = {
                    "api_calls_today": calls.get(slug, 0),
                    "last_backup_verified_at": backups.get(slug),
                    "refreshed_at": now,
                    "storage_bytes": await storage_bytes(files_dir, schema),
                }
                if isinstance(found, Measured):
                    values.update(
                        users=found.users,
                        customers=found.customers,
                        last_login_at=found.last_login_at,
                        support_until=found.support_until,
                        error=None,
                    )
                    report.refreshed.append(slug)
                else:
                    values["error"] = found
                    report.failed[slug] = found
                statement = pg_insert(USAGE).values(tenant_slug=slug, **values)
                await conn.execute(
                    statement.on_conflict_do_update(index_elements=[USAGE.c.tenant_slug], set_=values)
                )
    if report.failed:
        log.warning(
            "usage refresh: %d tenants failed: %s", len(report.failed), ", ".join(sorted(report.failed))
        )
    return report


async def publish_support_until(engine: AsyncEngine, slug: str, until: datetime | None) -> None:
    """Copy a tenant's new support grant to the console's table at once (the cron would, later)."""
    async with engine.begin() as conn:
        statement = pg_insert(USAGE).values(tenant_slug=slug, support_until=until)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[USAGE.c.tenant_slug], set_={"support_until": until}
            )
        )


# -- the console's list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleRow:
    tenant: Tenant
    usage: TenantUsage | None

    @property
    def plan(self) -> Plan:
        return PLANS.get(self.tenant.plan, DEFAULT_PLAN)

    @property
    def users(self) -> int | None:
        return self.usage.users if self.usage else None

    @property
    def customers(self) -> int | None:
        return self.usage.customers if self.usage else None

    @property
    def trial_expired(self) -> bool:
        t = self.tenant
        if t.status == TenantStatus.SUSPENDED and t.suspended_reason == SuspendedReason.TRIAL_EXPIRED:
            return True
        return t.plan == "trial" and t.trial_ends_at is not None and t.trial_ends_at <= datetime.now(UTC)

    @property
    def support_active(self) -> bool:
        until = self.usage.support_until if self.usage else None
        return until is not None and until > datetime.now(UTC)

    @property
    def backup_age_hours(self) -> float | None:
        at = self.usage.last_backup_verified_at if self.usage else None
        return None if at is None else (datetime.now(UTC) - at).total_seconds() / 3600


@dataclass(frozen=True)
class ConsoleFilter:
    q: str = ""
    status: str = ""
    plan: str = ""
    support: bool = False


@dataclass(frozen=True)
class ConsolePage:
    rows: list[ConsoleRow]
    total: int
    page: int
    pages: int


def _row(mapping: Any) -> ConsoleRow:
    tenant = Tenant(**{c.name: mapping[c.name] for c in TENANTS.columns})
    usage = None
    if mapping["u_tenant_slug"] is not None:
        usage = TenantUsage(**{c.name: mapping[f"u_{c.name}"] for c in USAGE.columns})
    return ConsoleRow(tenant, usage)


def _console_query(filters: ConsoleFilter) -> Any:
    usage_columns = [c.label(f"u_{c.name}") for c in USAGE.columns]
    query = select(TENANTS, *usage_columns).select_from(
        TENANTS.outerjoin(USAGE, USAGE.c.tenant_slug == TENANTS.c.slug)
    )
    if filters.q:
        escaped = filters.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                TENANTS.c.slug.ilike(pattern, escape="\\"),
                TENANTS.c.name.ilike(pattern, escape="\\"),
                TENANTS.c.admin_email.ilike(pattern, escape="\\"),
            )
        )
    if filters.status in TenantStatus.ALL:
        query = query.where(TENANTS.c.status == filters.status)
    if filters.plan in PLANS:
        query = query.where(TENANTS.c.plan == filters.plan)
    if filters.support:
        query = query.where(USAGE.c.support_until > func.now())
    return query


async def console_page(
    engine: AsyncEngine, filters: ConsoleFilter, page: int = 1, per_page: int = PAGE_SIZE
) -> ConsolePage:
    """One page of tenants, newest first, with their cached usage: two queries whatever the count."""
    query = _console_query(filters)
    async with engine.connect() as conn:
        total = int(await conn.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        rows = (
            (
                await conn.execute(
                    query.order_by(TENANTS.c.created_at.desc(), TENANTS.c.slug)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            )
            .mappings()
            .all()
        )
    return ConsolePage([_row(r) for r in rows], total, page, pages)


async def console_row(engine: AsyncEngine, slug: str) -> ConsoleRow | None:
    async with engine.connect() as conn:
        row = (
            (await conn.execute(_console_query(ConsoleFilter()).where(TENANTS.c.slug == slug)))
            .mappings()
            .first()
        )
    return _row(row) if row else None
