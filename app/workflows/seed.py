"""New tenants start with the default workflows (the role templates already grant who may edit them)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.workflows.definition import DEFAULTS
from app.workflows.models import Workflow
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER


async def seed_workflows(conn: AsyncConnection, schema: str) -> None:
    """On the provisioning connection (same transaction as the tenant's schema and roles)."""
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    await bound.execute(
        insert(Workflow),
        [
            {"entity": key, "version": 1, "is_current": True, "definition": make()}
            for key, make in DEFAULTS.items()
        ],
    )
    await conn.execution_options(schema_translate_map=None)
