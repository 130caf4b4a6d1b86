"""Outbound traffic of fulfilment: the webhook relay and deliveries, and customers' SMS.

Every minute (and at start-up) ``sweep_outbound`` turns each tenant's new outbox events into
webhook deliveries, enqueues the due ones (one arq job per delivery and attempt: the job id
``webhook:<schema>:<id>:<attempt>`` is the natural key, so a sweep that runs twice enqueues once),
and sends due SMS to customers. PostgreSQL holds every outcome; arq only carries the work.
"""

from __future__ import annotations

import logging
from typing import Any

from app.erp import webhooks
from app.followups.reminders import active_tenants
from app.notifications.channels import Channel, RecordingChannel
from app.notifications.customers import SMS, deliver_customer_messages
from app.runtime import QUEUE_NAME

log = logging.getLogger("dealercrm.worker.fulfilment")
JOB_NAME = "deliver_webhook"


def customer_channels(ctx: dict[str, Any]) -> dict[str, Channel]:
    """The channels customers are texted through: a recording adapter until an SMS provider's
    adapter is configured (a test or a deployment puts its own on ``ctx["customer_channels"]``)."""
    found = ctx.get("customer_channels")
    if found is None:
        found = {SMS: RecordingChannel(SMS)}
        ctx["customer_channels"] = found
    return found  # type: ignore[no-any-return]


async def deliver_webhook(ctx: dict[str, Any], schema: str, delivery_id: int) -> str:
    """Send one webhook delivery (idempotent: one not due any more is skipped)."""
    attempt = await webhooks.deliver(ctx["db"], schema, delivery_id, client=ctx.get("webhook_client"))
    return attempt.status


async def sweep_outbound(ctx: dict[str, Any]) -> dict[str, int]:
    db, redis = ctx["db"], ctx["redis"]
    totals = {"relayed": 0, "enqueued": 0, "sms_sent": 0}
    for schema, _slug in await active_tenants(db):
        try:
            async with db.tenant_session(schema) as session:
                totals["relayed"] += await webhooks.relay(session)
                due = await webhooks.due(session)
            for delivery_id, attempts in due:
                job = await redis.enqueue_job(
                    JOB_NAME,
                    schema,
                    delivery_id,
                    _job_id=f"webhook:{schema}:{delivery_id}:{attempts}",
                    _queue_name=QUEUE_NAME,
                )
                totals["enqueued"] += job is not None
            run = await deliver_customer_messages(db, schema, customer_channels(ctx))
            totals["sms_sent"] += run.sent
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("outbound sweep failed for %s", schema)
    return totals
