"""Contract expiry reminders: the hourly cron sweep (and at start-up, so a restarted worker finishes
what its predecessor dropped). Each contract's owner is told once per end date
(``app.opportunities.expiry``); the notifications' outside deliveries go out with the minute's
reminder sweep."""

from __future__ import annotations

import logging
from typing import Any

from app.followups.reminders import active_tenants
from app.opportunities.expiry import remind_expiring

log = logging.getLogger("dealercrm.worker.contracts")


async def sweep_contract_expiry(ctx: dict[str, Any]) -> dict[str, int]:
    """Remind every active tenant's contracts that end within the tenant's notice period."""
    db = ctx["db"]
    totals = {"contracts": 0, "failed_tenants": 0}
    for schema, _slug in await active_tenants(db):
        try:
            totals["contracts"] += await remind_expiring(db, schema)
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("contract expiry sweep failed for %s", schema)
            totals["failed_tenants"] += 1
    return totals
