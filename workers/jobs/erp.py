"""The ERP connector's runs: a cron sweep every 15 minutes over the tenants whose connector is
switched on, and one tenant's run on demand ("sync now" on /settings/erp). A run's outcome is its
sync-log row (``erp_sync_runs``); pulls are idempotent, so a run arq repeats changes nothing new."""

from __future__ import annotations

import logging
from typing import Any

from app.erp.connector import sync_tenant
from app.followups.reminders import active_tenants

log = logging.getLogger("dealercrm.worker.erp")


async def sweep_erp_sync(ctx: dict[str, Any]) -> dict[str, int]:
    db = ctx["db"]
    totals = {"runs": 0, "failed": 0, "failed_tenants": 0}
    for schema, _slug in await active_tenants(db):
        try:
            run = await sync_tenant(db, schema)
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("ERP sync failed for %s", schema)
            totals["failed_tenants"] += 1
            continue
        if run is not None:
            totals["runs"] += 1
            totals["failed"] += run.status == "failed"
    return totals


async def sync_erp_now(ctx: dict[str, Any], schema: str) -> str | None:
    """One tenant's run, asked for by an administrator (job id ``erp-sync:<schema>``)."""
    run = await sync_tenant(ctx["db"], schema, trigger="manual")
    return run.status if run is not None else None
