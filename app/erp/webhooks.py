"""Outbound webhooks: endpoints the tenant registers, the relay from the outbox, signed delivery
with retries and backoff, the delivery log and replay.

The relay turns each committed outbox event (``app.events``) into one delivery row per endpoint
that picked its public name, in one transaction with marking the event dispatched; the worker then
sends due deliveries (``deliver``), one arq job per delivery and attempt. A delivery is POSTed as
JSON with these headers, so the receiver can check it came from us and is fresh:

    X-DealerCRM-Event: order.approved
    X-DealerCRM-Delivery: 42              (the same on every attempt: deduplicate on it)
    X-DealerCRM-Signature: t=1764230400,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>

A 2xx answer is delivered; anything else (or no answer in time) is retried after 1, 2, 4...
minutes, up to ``MAX_ATTEMPTS``, then failed; a failed or delivered one can be replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import crypto
from app.audit import service as audit
from app.db import Database
from app.domain import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.erp.entity import INTEGRATIONS_MANAGE, WEBHOOK_ENDPOINT, WEBHOOK_EVENTS
from app.erp.models import WebhookDelivery, WebhookEndpoint
from app.events.models import OutboxEvent
from app.kit.fields import Errors, Fields, Flag, Tags, Text
from app.kit.scope import TenantWide
from app.kit.service import EntityService, unit_of_work
from app.notifications.delivery import backoff
from app.settings import get_settings

SECRET_PURPOSE = "webhook-secret"
MAX_ATTEMPTS = 8
RELAY_BATCH = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and is at most ``tolerance`` seconds old."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((now or time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), f"t={stamp},v1={parts.get('v1', '')}")


def public_event(topic: str, payload: dict[str, Any]) -> str | None:
    """The public name of an outbox event (``order.transitioned`` to approved is ``order.approved``)."""
    if topic.endswith(".transitioned"):
        name = f"{topic.split('.')[0]}.{payload.get('to')}"
    else:
        name = topic
    return name if name in WEBHOOK_EVENTS else None


async def check_url(errors: Errors, url: str | None) -> None:
    """http(s) only, a host, and (unless the settings allow it for tests) no private, loopback,
    link-local or reserved address, by literal IP or by what the name resolves to."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        errors.add("url", "invalid_url", "must be an http:// or https:// URL with a host")
        return
    if get_settings().webhook_allow_private_targets:
        return
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443)
        except OSError:
            errors.add("url", "unknown_host", "the host name does not resolve")
            return
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if any(not a.is_global for a in addresses):
        errors.add("url", "private_address", "must be a public address")


class WebhookEndpointService(EntityService[WebhookEndpoint]):
    spec = WEBHOOK_ENDPOINT
    model = WebhookEndpoint
    fields = Fields(
        {
            "name": Text(required=True, max_length=60),
            "url": Text(required=True, max_length=500),
            "events": Tags(max_length=60, max_count=len(WEBHOOK_EVENTS)),
            "active": Flag(),
        },
        defaults={"active": True},
    )
    scope = TenantWide()
    # The secret of an endpoint just created: shown to its creator once, never again.
    new_secret: str | None = None

    def require(self, action: str) -> None:
        if not self.actor.can(INTEGRATIONS_MANAGE):
            raise PermissionDenied(INTEGRATIONS_MANAGE)

    async def _check(self, values: dict[str, Any]) -> None:
        errors = Errors()
        await check_url(errors, values.get("url"))
        for index, name in enumerate(values.get("events") or []):
            if name not in WEBHOOK_EVENTS:
                errors.add(f"events.{index}", "unknown_event", f"{name} is not an event")
        if "events" in values and not values["events"]:
            errors.add("events", "required", "pick at least one event")
        errors.raise_if_any()

    async def before_create(self, values: dict[str, Any]) -> None:
        values.setdefault("events", [])
        await self._check(values)
        self.new_secret = "whsec_" + secrets.token_hex(24)
        values["secret"] = crypto.seal(self.new_secret, SECRET_PURPOSE)

    async def before_update(self, record: WebhookEndpoint, values: dict[str, Any]) -> None:
        await self._check(values)

    async def deliveries(
        self, *, endpoint_id: uuid.UUID | None = None, status: str | None = None, first: int = 50
    ) -> list[WebhookDelivery]:
        """The delivery log, newest first."""
        self.require("read")
        if not 1 <= first <= get_settings().page_size_max:
            raise ValidationFailed([FieldError("first", "out_of_range", "must be between 1 and 100")])
        query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(first)
        if endpoint_id is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        if status:
            query = query.where(WebhookDelivery.status == status)
        return list((await self.session.scalars(query)).all())

    async def replay(self, delivery_id: int) -> WebhookDelivery:
        """Send a delivered or failed delivery again (the same id: the receiver deduplicates)."""
        self.require("edit")
        async with unit_of_work(self.session):
            found = await self.session.scalar(
                select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
            )
            if found is None:
                raise NotFound("webhook_delivery", delivery_id)
            if found.status == "pending":
                raise ValidationFailed(
                    [FieldError("id", "not_replayable", "the delivery is still on its way")]
                )
            found.status, found.attempts = "pending", 0
            found.next_attempt_at = datetime.now(UTC)
            found.delivered_at = None
            audit.record(
                self.session,
                self.actor,
                entity=WEBHOOK_ENDPOINT.key,
                entity_id=found.endpoint_id,
                action="replay",
                before=None,
                after={"delivery_id": found.id, "event": found.event},
            )
        return found


# -- the worker's side ------------------------------------------------------------------------------


async def relay(session: AsyncSession, *, batch: int = RELAY_BATCH) -> int:
    """Turn undispatched outbox events into deliveries for the endpoints that picked them; commits.
    Returns how many deliveries were made. Two relays never take the same events (SKIP LOCKED)."""
    events = list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.dispatched_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    if not events:
        return 0
    endpoints = list(
        (
            await session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.active.is_(True), WebhookEndpoint.deleted_at.is_(None)
                )
            )
        ).all()
    )
    rows = []
    for event in events:
        name = public_event(event.topic, event.payload)
        if name is None:
            continue
        body = {"event": name, "occurred_at": event.created_at.isoformat(), "data": event.payload}
        rows += [
            {"endpoint_id": e.id, "event_id": event.id, "event": name, "payload": body}
            for e in endpoints
            if name in e.events
        ]
    made = 0
    if rows:
        result = await session.execute(
            insert(WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            .returning(WebhookDelivery.id)
        )
        made = len(result.all())
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_([e.id for e in events]))
        .values(dispatched_at=datetime.now(UTC))
    )
    await session.commit()
    return made


async def due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 200
) -> list[tuple[int, int]]:
    """(delivery id, attempts) of deliveries due now: the arq job id is made of both."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= (now or datetime.now(UTC))
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return [(int(r[0]), int(r[1])) for r in rows.all()]


@dataclass
class Attempt:
    delivery_id: int
    status: str  # sent | pending (retry later) | failed | skipped
    status_code: int | None = None
    error: str | None = None


async def deliver(
    db: Database, schema: str, delivery_id: int, *, client: httpx.AsyncClient | None = None
) -> Attempt:
    """Send one due delivery and record the outcome. Safe to run twice: the row is claimed by
    pushing its next attempt past the timeout first, so a second runner finds it not due."""
    settings = get_settings()
    now = datetime.now(UTC)
    async with db.tenant_session(schema) as session:
        row = await session.scalar(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return Attempt(delivery_id, "skipped")
        endpoint = await session.get(WebhookEndpoint, row.endpoint_id)
        lease = backoff(1) * 5
        row.next_attempt_at = now + lease
        row.attempts += 1
        attempts, event, payload = row.attempts, row.event, row.payload
        await session.commit()
    if endpoint is None or endpoint.deleted_at is not None or not endpoint.active:
        return await _finish(
            db, schema, delivery_id, attempts, None, "the endpoint is gone or switched off", final=True
        )
    errors = Errors()
    await check_url(errors, endpoint.url)  # names can be re-pointed at private addresses later
    if errors.items:
        return await _finish(db, schema, delivery_id, attempts, None, errors.items[0].message, final=True)
    body = json.dumps({"id": delivery_id, **payload}, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "DealerCRM-Webhooks/1",
        "X-DealerCRM-Event": event,
        "X-DealerCRM-Delivery": str(delivery_id),
        "X-DealerCRM-Signature": sign(crypto.unseal(endpoint.secret, SECRET_PURPOSE), int(time.time()), body),
    }
    own = client is None
    http = client or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
    try:
        response = await http.post(endpoint.url, content=body, headers=headers)
        code: int | None = response.status_code
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        code, error = None, f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        if own:
            await http.aclose()
    return await _finish(db, schema, delivery_id, attempts, code, error)


async def _finish(
    db: Database,
    schema: str,
    delivery_id: int,
    attempts: int,
    code: int | None,
    error: str | None,
    *,
    final: bool = False,
) -> Attempt:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"last_status_code": code, "last_error": error}
    if error is None:
        values.update(status="sent", delivered_at=now)
        status = "sent"
    elif final or attempts >= MAX_ATTEMPTS:
        values.update(status="failed")
        status = "failed"
    else:
        values.update(next_attempt_at=now + backoff(attempts))
        status = "pending"
    async with db.tenant_session(schema) as session:
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )
        await session.commit()
    return Attempt(delivery_id, status, code, error)


def event_choices() -> Sequence[tuple[str, str]]:
    return list(WEBHOOK_EVENTS.items())
