"""The tenant registry: rows in ``public.tenants``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import MetaData, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tenancy.migrate import create_schema_at_head
from tenancy.models import Tenant, TenantStatus
from tenancy.naming import InvalidSlug, schema_for, validate_slug

TENANTS = Tenant.__table__

SeedFn = Callable[[AsyncConnection, str], Awaitable[None]]


class TenantExists(Exception):
    pass


class TenantNotFound(Exception):
    pass


async def get_tenant(conn: AsyncConnection, slug: str) -> Tenant | None:
    row = (await conn.execute(select(TENANTS).where(TENANTS.c.slug == slug))).mappings().first()
    return Tenant(**row) if row else None


async def list_tenants(conn: AsyncConnection) -> Sequence[Tenant]:
    rows = (await conn.execute(select(TENANTS).order_by(TENANTS.c.created_at))).mappings().all()
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
) -> Tenant:
    """Register a tenant, create its schema at head and seed it, all in one transaction.

    PostgreSQL DDL is transactional, so a failure anywhere (a duplicate slug racing us, a seed
    error) rolls back the row, the schema and its tables together: nothing is left behind.
    """
    slug = validate_slug(slug)
    schema = schema_for(slug)
    try:
        async with engine.begin() as conn:
            if await slug_taken(conn, slug):
                raise TenantExists(slug)
            await conn.execute(
                TENANTS.insert().values(slug=slug, name=name, schema_name=schema, admin_email=admin_email)
            )
            await create_schema_at_head(conn, schema, metadata)
            await seed(conn, schema)
            tenant = await get_tenant(conn, slug)
    except IntegrityError as exc:
        raise TenantExists(slug) from exc
    assert tenant is not None
    return tenant


async def set_status(engine: AsyncEngine, slug: str, status: str) -> Tenant:
    if status not in TenantStatus.ALL:
        raise ValueError(status)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(TENANTS)
            .where(TENANTS.c.slug == slug)
            .values(
                status=status,
                suspended_at=datetime.now(UTC) if status == TenantStatus.SUSPENDED else None,
            )
        )
        if result.rowcount == 0:
            raise TenantNotFound(slug)
        tenant = await get_tenant(conn, slug)
    assert tenant is not None
    return tenant


__all__ = [
    "InvalidSlug",
    "TenantExists",
    "TenantNotFound",
    "get_tenant",
    "list_tenants",
    "provision_tenant",
    "set_status",
]
