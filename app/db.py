"""Engines, the tenant declarative base and the per-request session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import DateTime, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER, TenantEngines, recycle_after_schemas
from tenancy.models import NAMING_CONVENTION, PlatformBase


def tenant_schema_of(session: AsyncSession) -> str:
    """The tenant schema a tenant-bound session works in ("" for a platform session)."""
    mapping = session.get_bind().get_execution_options().get("schema_translate_map") or {}
    return str(mapping.get(TENANT_SCHEMA_PLACEHOLDER, ""))


class TenantBase(DeclarativeBase):
    """Base of every table that lives in a tenant's schema (bound per request)."""

    metadata = MetaData(schema=TENANT_SCHEMA_PLACEHOLDER, naming_convention=NAMING_CONVENTION)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def created_at_col() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


# A pooled connection is replaced after serving this many tenant schemas (DB_SCHEMAS_PER_CONNECTION).
SCHEMAS_PER_CONNECTION = 200


def make_engine(
    database_url: str,
    pool_size: int = 10,
    statement_cache_size: int = 500,
    schemas_per_connection: int = SCHEMAS_PER_CONNECTION,
    recycle_seconds: int = 1800,
) -> AsyncEngine:
    connect_args: dict[str, object] = {
        # Each tenant renders its own schema into the SQL text, so statements differ per tenant;
        # a larger asyncpg cache keeps the hot ones prepared.
        "statement_cache_size": statement_cache_size,
        "prepared_statement_cache_size": statement_cache_size,
        "server_settings": {"application_name": "dealercrm"},
    }
    if statement_cache_size == 0:
        # Behind PgBouncer in transaction mode without prepared-statement support: unnamed-looking
        # unique names, so statements prepared on one server connection never collide on another.
        connect_args["prepared_statement_name_func"] = lambda: f"__dcrm_{uuid.uuid4().hex}__"
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        # A server connection keeps catalog caches for every tenant schema it has served (measured:
        # ~300 MB per connection after 2,000 tenants). Replacing it after ``schemas_per_connection``
        # distinct schemas bounds that by what it served (tenancy.binding); the recycle after
        # ``recycle_seconds`` (DB_POOL_RECYCLE_SECONDS, 30 minutes) stays for everything else a
        # long-lived backend accumulates. With pool slices, each recycle drops a connection's warm
        # caches of all its slice's tenants, so sliced deployments set it longer (infra/README.md).
        pool_recycle=recycle_seconds,
        connect_args=connect_args,
    )
    recycle_after_schemas(engine, schemas_per_connection)
    return engine


class Database:
    """The process's engine and the per-tenant views over it.

    ``pool_slices`` > 1 (``DB_POOL_SLICES``) gives tenant sessions pools of their own, that many,
    ``pool_size / pool_slices`` connections each (rounded up), and sends each tenant to one of them
    by a hash of its schema: a connection then serves about ``tenants / pool_slices`` tenants and
    keeps them warm within its ``schemas_per_connection`` (see infra/README.md, "Capacity").
    ``engine`` (the platform's tables, raw-SQL passes, jobs) keeps its own pool either way.
    """

    def __init__(
        self,
        database_url: str,
        pool_size: int = 10,
        statement_cache_size: int = 500,
        schemas_per_connection: int | None = None,
        pool_slices: int | None = None,
        recycle_seconds: int | None = None,
    ) -> None:
        from app.settings import get_settings

        settings = get_settings()
        if schemas_per_connection is None:
            schemas_per_connection = settings.db_schemas_per_connection
        if pool_slices is None:
            pool_slices = settings.db_pool_slices
        recycle = settings.db_pool_recycle_seconds if recycle_seconds is None else recycle_seconds
        self.engine = make_engine(
            database_url, pool_size, statement_cache_size, schemas_per_connection, recycle
        )
        slices = [self.engine]
        if pool_slices > 1:
            per_slice = -(-pool_size // pool_slices)
            slices = [
                make_engine(database_url, per_slice, statement_cache_size, schemas_per_connection, recycle)
                for _ in range(pool_slices)
            ]
        self.tenants = TenantEngines(slices)
        self.platform_sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def engines(self) -> list[AsyncEngine]:
        """Every engine with a pool of its own: the platform's, then the tenant slices if any."""
        return [self.engine, *(e for e in self.tenants.slices if e is not self.engine)]

    def tenant_session(self, schema: str) -> AsyncSession:
        return AsyncSession(self.tenants.for_schema(schema), expire_on_commit=False)

    def platform_session(self) -> AsyncSession:
        return self.platform_sessions()

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()


async def session_scope(db: Database, schema: str) -> AsyncIterator[AsyncSession]:
    """A tenant session that is always closed, even when the request fails."""
    async with db.tenant_session(schema) as session:
        yield session


__all__ = ["Database", "PlatformBase", "TenantBase", "created_at_col", "uuid_pk"]
