"""The nightly tier pass: hourly (and at start-up), every active tenant whose tier rules are switched
on and have not run on the tenant's day yet is re-rated (``app.tiers.service.nightly_pass``: chunks
of customers, a transaction each, one audit record for the pass). The day's claim makes it once per
tenant and day however often the cron fires or however many workers run it."""

from __future__ import annotations

import logging
from typing import Any

from app.followups.reminders import active_tenants
from app.tiers.service import nightly_pass

log = logging.getLogger("dealercrm.worker.tiers")


async def sweep_tier_rules(ctx: dict[str, Any]) -> dict[str, int]:
    """Re-rate the customers of every active tenant due today; the counts over all tenants."""
    db = ctx["db"]
    totals = {"tenants": 0, "customers": 0, "changed": 0, "failed_tenants": 0}
    for schema, _slug in await active_tenants(db):
        try:
            result = await nightly_pass(db, schema)
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("tier rules pass failed for %s", schema)
            totals["failed_tenants"] += 1
            continue
        if result is not None:
            totals["tenants"] += 1
            totals["customers"] += result.customers
            totals["changed"] += result.changed
    return totals
