"""Sending deliveries through their channels (the worker's side of the outbox).

A sweep claims a batch (``FOR UPDATE SKIP LOCKED``, committed as ``sending`` with the time of the
claim), sends each, and records each outcome in its own short transaction. Two sweeps never claim
the same row. A sweep killed mid-batch leaves its unsent rows ``sending``; after ``lease`` they are
claimed again. The one row that was handed to its channel but not yet recorded when the process
died is sent again: the adapter gets the same ``key`` on every attempt so a receiver that
deduplicates sees it once (see ``app.notifications.channels``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.db import Database
from app.mail import in_locale
from app.notifications import repository as repo
from app.notifications.channels import Channel, Message
from app.notifications.service import render

log = logging.getLogger("dealercrm.notifications")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


async def deliver_pending(
    db: Database,
    schema: str,
    channels: Mapping[str, Channel],
    *,
    tenant_slug: str | None = None,
    batch: int = 200,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    locale: str = "zh_CN",
) -> DeliveryRun:
    """Send the tenant's due deliveries, batch after batch, until none is due."""
    run = DeliveryRun()
    while True:
        moment = now or datetime.now(UTC)
        async with db.tenant_session(schema) as session:
            claimed = await repo.claim_deliveries(session, moment, lease, batch)
            await session.commit()
            if not claimed:
                return run
            found = await repo.notifications_with_recipients(
                session, [row.notification_id for row in claimed]
            )
        for row in claimed:
            notification, user = found[row.notification_id]
            channel = channels.get(row.channel)
            error: str | None = None
            if channel is None:
                error = f"no adapter is configured for channel {row.channel}"
            else:
                with in_locale(locale):
                    message = Message(
                        key=f"{schema}:{row.id}",
                        to_user=str(user.id),
                        to_email=user.email,
                        title=render(notification.title, notification.params),
                        body=render(notification.body, notification.params)
                        or render(notification.title, notification.params),
                        link=notification.link,
                        kind=notification.kind,
                        tenant_slug=tenant_slug,
                    )
                try:
                    await channel.send(message)
                except Exception as exc:  # any adapter failure is recorded and retried
                    error = f"{type(exc).__name__}: {exc}"[:2000]
            async with db.tenant_session(schema) as session:
                if error is None:
                    await repo.finish_delivery(
                        session, row.id, sent_at=datetime.now(UTC), error=None, retry_at=None
                    )
                    run.sent += 1
                elif row.attempts < MAX_ATTEMPTS and channel is not None:
                    retry_at = moment + backoff(row.attempts)
                    await repo.finish_delivery(session, row.id, sent_at=None, error=error, retry_at=retry_at)
                    run.retrying += 1
                else:
                    await repo.finish_delivery(session, row.id, sent_at=None, error=error, retry_at=None)
                    log.warning("delivery %s in %s failed for good: %s", row.id, schema, error)
                    run.failed += 1
                await session.commit()
        if now is not None and len(claimed) < batch:
            return run
