"""The tenant registry: rows in ``public.tenants``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import MetaData, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tenancy.migrate import create_schema_at_head
from tenancy.models import SuspendedReason, Tenant, TenantStatus
from tenancy.naming import InvalidSlug, schema_for, validate_slug

TENANTS = cast(Table, Tenant.__table__)

SeedFn = Callable[[AsyncConnection, str], Awaitable[None]]


class TenantExists(Exception):
    pass


class TenantNotFound(Exception):
    pass


async def get_tenant(conn: AsyncConnection, slug: str, *, for_update: bool = False) -> Tenant | None:
    """The tenant row; ``for_update`` locks it until the caller's transaction ends."""
    query = select(TENANTS).where(TENANTS.c.slug == slug)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return Tenant(**row) if row else None


async def list_tenants(conn: AsyncConnection, *, include_purged: bool = False) -> Sequence[Tenant]:
    """Every tenant, oldest first. Purged tenants (no schema any more) only when asked for."""
    query = select(TENANTS).order_by(TENANTS.c.created_at)
    if not include_purged:
        query = query.where(TENANTS.c.status != TenantStatus.PURGED)
    rows = (await conn.execute(query)).mappings().all()
    return [Tenant(**r) for r in rows]


async def slug_taken(conn: AsyncConnection, slug: str) -> bool:
    count = await conn.scalar(select(func.count()).select_from(TENANTS).where(TENANTS.c.slug == slug))
    return bool(count)


async def provision_tenant(
    engine: AsyncEngine,
    *,
    slug: str,
    name: str,
    admin_email: str,
    metadata: MetaData,
    seed: SeedFn,
    plan: str = "trial",
    trial_ends_at: datetime | None = None,
    email_verified: bool = True,
) -> Tenant:
    """Register a tenant, create its schema at head and seed it, all in one transaction.

    PostgreSQL DDL is transactional, so a failure anywhere (a duplicate slug racing us, a seed
    error) rolls back the row, the schema and its tables together: nothing is left behind.
    ``email_verified=False`` (self-service sign-up) keeps the owner out until the emailed link is opened.
    """
    slug = validate_slug(slug)
    schema = schema_for(slug)
    try:
        async with engine.begin() as conn:
            if await slug_taken(conn, slug):
                raise TenantExists(slug)
            await conn.execute(
                TENANTS.insert().values(
                    slug=slug,
                    name=name,
                    schema_name=schema,
                    admin_email=admin_email,
                    plan=plan,
                    trial_ends_at=trial_ends_at,
                    email_verified_at=func.now() if email_verified else None,
                )
            )
            await create_schema_at_head(conn, schema, metadata)
            await seed(conn, schema)
            tenant = await get_tenant(conn, slug)
    except IntegrityError as exc:
        raise TenantExists(slug) from exc
    assert tenant is not None
    return tenant


async def update_tenant(conn: AsyncConnection, slug: str, **values: Any) -> Tenant:
    """Change columns of one tenant inside the caller's transaction; the row as it is now."""
    result = await conn.execute(update(TENANTS).where(TENANTS.c.slug == slug).values(**values))
    if result.rowcount == 0:
        raise TenantNotFound(slug)
    tenant = await get_tenant(conn, slug)
    assert tenant is not None
    return tenant


def status_values(status: str, reason: str | None = None) -> dict[str, Any]:
    """The columns that go with moving to ``active`` or ``suspended``."""
    if status not in (TenantStatus.ACTIVE, TenantStatus.SUSPENDED):
        raise ValueError(status)
    suspended = status == TenantStatus.SUSPENDED
    return {
        "status": status,
        "suspended_at": datetime.now(UTC) if suspended else None,
        "suspended_reason": (reason or SuspendedReason.OPERATOR) if suspended else None,
    }


async def set_status(engine: AsyncEngine, slug: str, status: str) -> Tenant:
    """Suspend or resume in a transaction of its own (callers that audit use ``update_tenant``)."""
    async with engine.begin() as conn:
        return await update_tenant(conn, slug, **status_values(status))


__all__ = [
    "InvalidSlug",
    "TenantExists",
    "TenantNotFound",
    "get_tenant",
    "list_tenants",
    "provision_tenant",
    "set_status",
    "status_values",
    "update_tenant",
]
