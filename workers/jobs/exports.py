"""Export jobs: run one customer export (lost or orphaned ones are found by workers/jobs/job_sweep.py)."""

from __future__ import annotations

import uuid
from typing import Any

from app.exports import service


async def export_customers(ctx: dict[str, Any], schema: str, export_id: str) -> str:
    """Write one export's file (idempotent: a done export returns at once)."""
    settings = ctx["settings"]
    return await service.run_customer_export(
        ctx["db"],
        schema,
        uuid.UUID(export_id),
        batch_size=settings.export_batch_size,
        pause_ms=settings.export_batch_pause_ms,
    )
