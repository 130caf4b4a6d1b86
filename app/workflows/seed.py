"""New tenants start with the default workflows (the role templates already grant who may edit them)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.entities import entities
from app.workflows.models import DEFAULT_KEY, Pipeline, Workflow
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

# The first pipeline's name (tenant data in the tenant's language, renamed in the admin).
DEFAULT_PIPELINE_NAME = "销售管道"


async def seed_workflows(conn: AsyncConnection, schema: str) -> None:
    """On the provisioning connection (same transaction as the tenant's schema and roles)."""
    rows = [
        {"entity": spec.key, "version": 1, "is_current": True, "definition": spec.default_workflow()}
        for spec in entities()
        if spec.workflow_field and spec.default_workflow is not None
    ]
    if not rows:
        return
    # Entities that run several workflows start with one pipeline: the default workflow.
    pipelines = [
        {"entity": spec.key, "key": DEFAULT_KEY, "name": DEFAULT_PIPELINE_NAME, "position": 0}
        for spec in entities()
        if spec.workflow_key_field and spec.default_workflow is not None
    ]
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    await bound.execute(insert(Workflow), rows)
    if pipelines:
        await bound.execute(insert(Pipeline), pipelines)
    await conn.execution_options(schema_translate_map=None)
