"""Batch actions too big for a request (app.batches): the run and the undo."""

from __future__ import annotations

import uuid
from typing import Any

from app import entities as _entities  # noqa: F401  (every entity's batch target registered)
from app.batches import run


async def run_batch(ctx: dict[str, Any], schema: str, job_id: str) -> str:
    """Run (or undo) one batch, resuming after its last committed chunk."""
    return await run.run_job(ctx["db"], schema, uuid.UUID(job_id))
