"""New tenants start with the default workflows (the role templates already grant who may edit them)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.entities import entities
from app.workflows.models import Workflow
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER


async def seed_workflows(conn: AsyncConnection, schema: str) -> None:
    """On the provisioning connection (same transaction as the tenant's schema and roles)."""
    rows = [
        {"entity": spec.key, "version": 1, "is_current": True, "definition": spec.default_workflow()}
        for spec in entities()
        if spec.workflow_field and spec.default_workflow is not None
    ]
    if not rows:
        return
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    await bound.execute(insert(Workflow), rows)
    await conn.execution_options(schema_translate_map=None)
