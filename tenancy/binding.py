"""Binding tenant tables to one tenant's schema.

Tenant tables are declared once against the placeholder schema ``tenant``; a request gets an engine
whose ``schema_translate_map`` renders it as the tenant's real schema. ``execution_options`` on an
engine returns a lightweight copy sharing the pool, so one copy per tenant is cheap. We never
``SET search_path`` on pooled connections: with asyncpg's statement cache a changed search_path
can read another schema's table (asyncpg #72).
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncEngine

TENANT_SCHEMA_PLACEHOLDER = "tenant"


class TenantEngines:
    """Per-schema engine views over one shared pool, bounded so thousands of tenants stay cheap."""

    def __init__(self, engine: AsyncEngine, max_cached: int = 4096) -> None:
        self.engine = engine
        self._cache: OrderedDict[str, AsyncEngine] = OrderedDict()
        self._max = max_cached

    def for_schema(self, schema: str) -> AsyncEngine:
        bound = self._cache.get(schema)
        if bound is None:
            bound = self.engine.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
            self._cache[schema] = bound
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(schema)
        return bound
