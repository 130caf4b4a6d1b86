"""Leads and pools: the cron sweep every few minutes (and at start-up, so a restarted worker finishes
what its predecessor dropped): overdue leads' owners told once, the pool's return rule (warning,
then return) for tenants that set one."""

from __future__ import annotations

import logging
from typing import Any

from app.followups.reminders import active_tenants
from app.leads.sweeps import sweep_tenant

log = logging.getLogger("dealercrm.worker.leads")


async def sweep_leads_and_pools(ctx: dict[str, Any]) -> dict[str, int]:
    db = ctx["db"]
    totals = {"overdue": 0, "warned": 0, "returned": 0}
    for schema, _slug in await active_tenants(db):
        try:
            run = await sweep_tenant(db, schema)
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("lead and pool sweep failed for %s", schema)
            continue
        totals["overdue"] += run.overdue
        totals["warned"] += run.warned
        totals["returned"] += run.returned
    return totals
