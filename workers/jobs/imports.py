"""Import jobs: run one import batch, resuming after its last committed chunk (lost or orphaned ones
are found by workers/jobs/job_sweep.py)."""

from __future__ import annotations

import uuid
from typing import Any

from app.kit.imports import run


async def import_rows(ctx: dict[str, Any], schema: str, batch_id: str) -> str:
    """Import one batch's rows (idempotent: a finished or undone batch returns at once)."""
    return await run.run_import(ctx["db"], schema, uuid.UUID(batch_id))
