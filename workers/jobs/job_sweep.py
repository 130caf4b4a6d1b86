"""The one sweep of lost background jobs (app.kit.jobs): every minute, and at start-up so a restarted
worker hands on what its predecessor dropped. Every job table registers itself where it is declared;
the imports below make sure each declaration is loaded in the worker."""

from __future__ import annotations

from typing import Any

from app.batches import run as _batches  # noqa: F401  (registers batch_jobs)
from app.exports import service as _exports  # noqa: F401  (registers export_jobs)
from app.kit import jobs
from app.kit.imports import run as _imports  # noqa: F401  (registers import_batches)
from app.privacy import subject_export as _subject_exports  # noqa: F401  (registers subject_exports)


async def sweep_jobs(ctx: dict[str, Any]) -> dict[str, Any]:
    """Enqueue again, in every active tenant, jobs whose enqueue was lost or whose worker died."""
    result = await jobs.sweep_jobs(ctx["db"], ctx["redis"])
    return {
        "enqueued": result.enqueued,
        "rescued": result.rescued,
        "given_up": result.given_up,
        "failed_tenants": result.failed_tenants,
        **{f"seen_{key}": count for key, count in result.by_table.items()},
    }
