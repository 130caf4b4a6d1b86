"""A pooled connection's memory is bounded by the tenants it has served, not by how long it lived.

A PostgreSQL backend keeps relation and catalog caches for every tenant table it has touched (3 MB
after one tenant, 1.4 GB after ~8,800: issue 12). Each pooled connection counts the distinct
tenant schemas it has served and is replaced at its next checkout once it has served more than
``DB_SCHEMAS_PER_CONNECTION``. These tests serve tenants through the app's own paths (a tenant
session bound with ``schema_translate_map``, provisioning, the migration runner's revision reads)
on an engine with a small limit and watch which PostgreSQL backend answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from sqlalchemy import func, select, text

from app.db import Database
from app.models import tenant_metadata
from tenancy import migrate
from tenancy.binding import schemas_served

USERS = tenant_metadata.tables["tenant.users"]
SCHEMAS = [f"t_recycle_{i:02d}" for i in range(12)]
BACKEND_MEMORY = text(
    "SELECT sum(total_bytes) FROM pg_backend_memory_contexts "
    "WHERE name IN ('CacheMemoryContext', 'index info', 'Relcache by OID')"
)


@pytest.fixture(scope="module")
async def twelve_schemas(app: Litestar) -> AsyncIterator[list[str]]:
    # One transaction per schema: a full tenant is some 75 tables, and a dozen of them at once
    # would hold more locks than the server's lock table has room for.
    for schema in SCHEMAS:
        async with app.state.db.engine.begin() as conn:
            await migrate.drop_schema(conn, schema)
            await migrate.create_schema_at_head(conn, schema, tenant_metadata)
    yield SCHEMAS
    for schema in SCHEMAS:
        async with app.state.db.engine.begin() as conn:
            await migrate.drop_schema(conn, schema)


def _database(app: Litestar, limit: int) -> Database:
    return Database(app.state.urls.database_url, pool_size=1, schemas_per_connection=limit)


async def _serve(db: Database, schema: str) -> int:
    """One tenant request's worth: count the tenant's users; returns the backend that answered."""
    async with db.tenant_session(schema) as session:
        await session.execute(select(func.count()).select_from(USERS))
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _backend(db: Database) -> tuple[int, int, int]:
    """(backend pid, schemas its pooled connection has served, bytes of its relation caches)."""
    async with db.engine.connect() as conn:
        pid = int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)
        return pid, schemas_served(conn), int(await conn.scalar(BACKEND_MEMORY) or 0)


async def test_a_connection_is_replaced_after_serving_more_than_its_limit_of_tenants(
    app: Litestar, twelve_schemas: list[str]
) -> None:
    """With a limit of 4, one pooled connection serves four tenants (and any of them again) on the
    same backend; the fifth tenant is still served, and the next checkout gets a fresh backend that
    has served nobody."""
    db = _database(app, limit=4)
    try:
        first = {await _serve(db, schema) for schema in twelve_schemas[:4]}
        again = await _serve(db, twelve_schemas[0])
        assert len(first) == 1 and again in first
        assert (await _backend(db))[1] == 4

        fifth = await _serve(db, twelve_schemas[4])
        assert fifth in first  # served on the old backend; replaced when it went back to the pool

        pid, served, _ = await _backend(db)
        assert pid not in first
        assert served == 0
    finally:
        await db.dispose()


async def test_backend_memory_stays_bounded_while_an_unbounded_connection_grows_with_tenants(
    app: Litestar, twelve_schemas: list[str]
) -> None:
    """The same twelve tenants, served round the clock through two engines: the bounded one's
    backend never holds caches of more than four tenants; the unbounded one (limit 0: only the
    30-minute recycle, as before) holds all twelve and more memory for them."""
    bounded, unbounded = _database(app, limit=4), _database(app, limit=0)
    try:
        for _ in range(2):
            for schema in twelve_schemas:
                await _serve(bounded, schema)
                await _serve(unbounded, schema)
        _, bounded_served, bounded_bytes = await _backend(bounded)
        _, unbounded_served, unbounded_bytes = await _backend(unbounded)

        assert bounded_served <= 4
        assert unbounded_served == 12
        assert unbounded_bytes > bounded_bytes
    finally:
        await bounded.dispose()
        await unbounded.dispose()


async def test_provisioning_and_the_migration_runner_count_the_schemas_they_touch(
    app: Litestar, twelve_schemas: list[str]
) -> None:
    """Raw-SQL passes count too: creating a schema counts it, and reading twelve tenants' revisions
    through an engine limited to four replaces the connection it read them with."""
    db = _database(app, limit=4)
    try:
        before, _, _ = await _backend(db)
        revisions = await migrate.current_revisions(db.engine, twelve_schemas)
        assert set(revisions.values()) == {migrate.head_revision()}
        after, served, _ = await _backend(db)
        assert after != before and served == 0

        async with db.engine.begin() as conn:
            await migrate.drop_schema(conn, "t_recycle_new")
            await migrate.create_schema_at_head(conn, "t_recycle_new", tenant_metadata)
            assert schemas_served(conn) == 1
            await migrate.drop_schema(conn, "t_recycle_new")
    finally:
        await db.dispose()


async def test_each_tenant_keeps_to_its_pool_slice_so_its_connection_stays_warm(
    app: Litestar, twelve_schemas: list[str]
) -> None:
    """With the tenant pool split in three slices, a tenant's requests always reach the backend
    of its own slice, and each backend serves only the tenants of its slice: with twelve tenants
    about four each, within a limit of six, so none is replaced and every tenant stays cached."""
    db = Database(app.state.urls.database_url, pool_size=3, schemas_per_connection=6, pool_slices=3)
    try:
        seen: dict[str, set[int]] = {schema: set() for schema in twelve_schemas}
        for _ in range(3):
            for schema in twelve_schemas:
                seen[schema].add(await _serve(db, schema))

        assert all(len(pids) == 1 for pids in seen.values())
        by_backend: dict[int, set[str]] = {}
        for schema, pids in seen.items():
            by_backend.setdefault(next(iter(pids)), set()).add(schema)
        assert len(by_backend) == 3
        assert all(len(schemas) <= 6 for schemas in by_backend.values())
        for schemas in by_backend.values():
            assert {db.tenants.slice_of(s) for s in schemas} == {db.tenants.slice_of(next(iter(schemas)))}
    finally:
        await db.dispose()


async def test_a_connection_is_replaced_after_its_lifetime_and_kept_before(
    app: Litestar, twelve_schemas: list[str]
) -> None:
    """``DB_POOL_RECYCLE_SECONDS`` bounds a connection's life whatever it served: within it, one
    tenant's requests keep their backend (and its warm caches); past it, the next checkout
    gets a new backend."""
    db = Database(app.state.urls.database_url, pool_size=1, schemas_per_connection=0, recycle_seconds=2)
    try:
        first = await _serve(db, twelve_schemas[0])
        assert await _serve(db, twelve_schemas[0]) == first
        await asyncio.sleep(2.5)
        assert await _serve(db, twelve_schemas[0]) != first
    finally:
        await db.dispose()
