"""Export jobs: run one customer export, and the sweep that re-enqueues lost or orphaned exports."""

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


async def sweep_exports(ctx: dict[str, Any]) -> int:
    """Every minute: enqueue again exports queued too long or running without a live worker."""
    return await service.requeue_stalled_exports(ctx["db"], ctx["redis"])
