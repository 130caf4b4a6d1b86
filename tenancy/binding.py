"""Binding tenant tables to one tenant's schema, and bounding what a pooled connection keeps of them.

Tenant tables are declared once against the placeholder schema ``tenant``; a request gets an engine
whose ``schema_translate_map`` renders it as the tenant's real schema. ``execution_options`` on an
engine returns a lightweight copy sharing the pool, so one copy per tenant is cheap. We never
``SET search_path`` on pooled connections: with asyncpg's statement cache a changed search_path
can read another schema's table (asyncpg #72).

A PostgreSQL backend keeps relation and catalog caches for every table it has touched, for as long
as it lives: about 3 MB after one tenant, 116 MB after 614, 1.4 GB after ~8,800 (issue 12). So each
pooled connection counts the distinct tenant schemas it has served (every statement run under a
``schema_translate_map``, plus what raw-SQL passes declare with ``note_schemas``) and is replaced at
its next checkout once it has served more than a limit: its memory is bounded by what it served,
not by how long it lived. Replacing one costs a reconnect (a few ms) every ``limit`` tenants.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

TENANT_SCHEMA_PLACEHOLDER = "tenant"
SCHEMAS_SERVED = "dcrm_schemas_served"  # key in a pooled connection's ``info``: the set of schemas


class TenantEngines:
    """Per-schema engine views over the shared pool, bounded so thousands of tenants stay cheap.

    Given several engines (pool slices), each schema always goes to the same one, chosen by a
    stable hash of its name: a tenant's requests then land on the few connections of its slice,
    whose caches already hold its tables, instead of on whichever connection is free (every one
    of which would in time cache every tenant, or, bounded, keep few of them warm).
    """

    def __init__(self, engine: AsyncEngine | Sequence[AsyncEngine], max_cached: int = 4096) -> None:
        self.slices = [engine] if isinstance(engine, AsyncEngine) else list(engine)
        self.engine = self.slices[0]
        self._cache: OrderedDict[str, AsyncEngine] = OrderedDict()
        self._max = max_cached

    def slice_of(self, schema: str) -> int:
        digest = hashlib.blake2b(schema.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % len(self.slices)

    def for_schema(self, schema: str) -> AsyncEngine:
        bound = self._cache.get(schema)
        if bound is None:
            base = self.slices[self.slice_of(schema)]
            bound = base.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
            self._cache[schema] = bound
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(schema)
        return bound


def note_schemas(conn: AsyncConnection | Any, schemas: Iterable[str]) -> None:
    """Count ``schemas`` as served by ``conn``'s pooled connection (for SQL that names them itself)."""
    conn.info.setdefault(SCHEMAS_SERVED, set()).update(schemas)


def schemas_served(conn: AsyncConnection | Any) -> int:
    """How many distinct tenant schemas ``conn``'s pooled connection has served since it connected."""
    return len(conn.info.get(SCHEMAS_SERVED, ()))


def recycle_after_schemas(engine: AsyncEngine, limit: int) -> None:
    """Replace a pooled connection of ``engine`` at its next checkout once it has served more than
    ``limit`` distinct tenant schemas (0: never; the count is kept all the same). The count lives
    in the connection's ``info``, which SQLAlchemy clears whenever the connection is replaced."""
    sync = engine.sync_engine

    @event.listens_for(sync, "before_cursor_execute")
    def _served(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, many: bool) -> None:
        translate = conn.get_execution_options().get("schema_translate_map")
        if translate:
            schema = translate.get(TENANT_SCHEMA_PLACEHOLDER)
            if schema:
                served = conn.info.get(SCHEMAS_SERVED)
                if served is None:
                    conn.info[SCHEMAS_SERVED] = {schema}
                else:
                    served.add(schema)

    if limit <= 0:
        return

    @event.listens_for(sync.pool, "checkin")
    def _recycle(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None and len(record.info.get(SCHEMAS_SERVED, ())) > limit:
            record.invalidate(soft=True)  # closed and reopened when next checked out
