"""Reminders and notification delivery: the cron sweep every minute (and at start-up, so a
restarted worker finishes what its predecessor dropped)."""

from __future__ import annotations

import logging
from typing import Any

from app.followups.reminders import active_tenants, remind_tenant
from app.mail import mailer_for
from app.notifications.channels import Channel, EmailChannel
from app.notifications.delivery import deliver_pending

log = logging.getLogger("dealercrm.worker.reminders")


def channels(ctx: dict[str, Any]) -> dict[str, Channel]:
    """The outside channels this worker sends through (a test or a WeCom adapter adds its own on
    ``ctx["notification_channels"]``)."""
    found = ctx.get("notification_channels")
    if found is None:
        found = {"email": EmailChannel(mailer_for(ctx))}
        ctx["notification_channels"] = found
    return found  # type: ignore[no-any-return]


async def sweep_reminders(ctx: dict[str, Any]) -> dict[str, int]:
    """Remind every tenant's due follow-ups and tasks, then send pending deliveries."""
    db = ctx["db"]
    totals = {"follow_ups": 0, "tasks": 0, "sent": 0, "failed": 0}
    for schema, slug in await active_tenants(db):
        try:
            settings = ctx["settings"]
            run = await remind_tenant(
                db, schema, batch=settings.reminder_batch_size, pause_ms=settings.reminder_batch_pause_ms
            )
            sent = await deliver_pending(db, schema, channels(ctx), tenant_slug=slug)
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("reminder sweep failed for %s", schema)
            continue
        totals["follow_ups"] += run.follow_ups
        totals["tasks"] += run.tasks
        totals["sent"] += sent.sent
        totals["failed"] += sent.failed
    return totals
