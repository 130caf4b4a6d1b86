"""A finished test's tenant schema, emptied and renamed, becomes the next test's new tenant.

Creating a tenant schema is some 200 DDL statements (tables, indexes, triggers): most of a small
test's time, and about half of the suite's. The ``tenant`` and ``other_tenant`` fixtures therefore
hand their tenant back when the test ends, and the next sign-up in the same worker takes it instead
of creating a schema, inside its own transaction and under a savepoint:

1. the old tenant's registry row and its platform rows (mail, tokens, usage, alerts, audit,
   backups) are deleted, as a purge would;
2. every table of the old schema but ``alembic_version`` is emptied (triggers and foreign keys off
   for that, as a restore does) and its sequences restart;
3. the schema is renamed to the new tenant's.

Everything else is the real sign-up: the registry row, the default roles, the owner, the plan's
mirror, the workflows, the catalog, the cast. So the new tenant is what ``sign_up`` makes, with
fresh names everywhere (slug, schema, hosts, e-mail addresses): nothing the previous test cached
under its names can reach it.

A schema is taken only when it still looks as sign-up made it (the head revision, the same number
of relations); if anything is off, or any step fails, the savepoint is rolled back and the schema
is created as usual. Only the two fixtures use this; every other sign-up in the suite (the
provisioning, migration and purge tests among them) creates its schema.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection

import tenancy.registry
from tenancy.migrate import create_schema_at_head, head_revision, quote_ident

# The platform tables that name a tenant by slug (a purge deletes their rows with the tenant).
PLATFORM_ROWS = (
    "backups",
    "one_time_tokens",
    "outbox_mail",
    "platform_alerts",
    "platform_audit",
    "tenant_usage",
)

_spare: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("spare_schema", default=None)
_relations: list[int] = []  # relations in a new tenant's schema, learned from the first one made
taken: list[int] = [0, 0]  # schemas taken over, schemas created (for the curious)


async def _relation_count(conn: AsyncConnection, schema: str) -> int:
    return int(
        await conn.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s"
            ),
            {"s": schema},
        )
        or 0
    )


async def _take_over(conn: AsyncConnection, old_slug: str, old_schema: str, schema: str) -> bool:
    """Empty ``old_schema`` and rename it ``schema``; False (and nothing changed) when it can't be."""
    if not _relations or await _relation_count(conn, old_schema) != _relations[0]:
        return False
    version = await conn.scalar(text(f"SELECT version_num FROM {quote_ident(old_schema)}.alembic_version"))
    if version != head_revision("tenant"):
        return False
    tables = (
        await conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind IN ('r', 'p') AND c.relname <> 'alembic_version'"
            ),
            {"s": old_schema},
        )
    ).scalars()
    sequences = (
        await conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": old_schema}
        )
    ).scalars()
    old = quote_ident(old_schema)
    script = ["SET LOCAL session_replication_role = replica"]
    script += [f"DELETE FROM {old}.{quote_ident(name)}" for name in tables]
    script += [f"ALTER SEQUENCE {old}.{quote_ident(name)} RESTART" for name in sequences]
    script += [f"DELETE FROM public.{table} WHERE tenant_slug = $${old_slug}$$" for table in PLATFORM_ROWS]
    script += [
        f"DELETE FROM public.tenants WHERE slug = $${old_slug}$$",
        "SET LOCAL session_replication_role = origin",
        f"ALTER SCHEMA {old} RENAME TO {quote_ident(schema)}",
    ]
    raw: Any = await conn.get_raw_connection()
    await raw.driver_connection.execute(";\n".join(script))  # one round trip (simple query protocol)
    return True


async def _create_or_take_over(conn: AsyncConnection, schema: str, metadata: MetaData) -> None:
    spare = _spare.get()
    if spare is not None:
        _spare.set(None)
        savepoint = await conn.begin_nested()
        try:
            if await _take_over(conn, *spare, schema):
                await savepoint.commit()
                taken[0] += 1
                return
        except Exception:  # a test left it unusable: create a schema as usual
            pass
        if savepoint.is_active:
            await savepoint.rollback()
    await create_schema_at_head(conn, schema, metadata)
    taken[1] += 1
    if not _relations and metadata.tables:  # a tenant's whole schema, not a test's empty one
        _relations.append(await _relation_count(conn, schema))


tenancy.registry.create_schema_at_head = _create_or_take_over  # type: ignore[assignment]


@asynccontextmanager
async def reusing(spare: tuple[str, str] | None) -> AsyncIterator[None]:
    """Within this block the next tenant schema created may be ``spare`` (slug, schema), taken over."""
    token = _spare.set(spare)
    try:
        yield
    finally:
        _spare.reset(token)
