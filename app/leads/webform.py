"""The public web form per tenant (no login, embeddable on the dealer's own site): no CSRF cookie to
ride on, so each form carries a signed token naming the tenant and when it was shown. A submission
is refused when the token is forged, from another dealer or stale; sent sooner than the tenant's
minimum fill time (a bot); with the hidden honeypot field filled in (a bot: answered as if accepted,
so it learns nothing); or beyond the per-address rate limit. Everything else becomes a lead through
the lead service, assigned by the tenant's rules."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app import throttle
from app.domain import Actor, FieldError, ValidationFailed
from app.leads.fields import LeadSource
from app.leads.models import Lead
from app.leads.service import LeadService
from app.leads.settings import lead_settings

# The honeypot: a field people never see (hidden by CSS), which form-filling bots fill in.
HONEYPOT = "website"
TOKEN_MAX_AGE = 24 * 3600
FORM_FIELDS = ("name", "mobile", "email", "company", "province", "city", "product_category", "message")

# The web form acts as its own system actor: it may create leads and nothing else.
WEB_FORM = Actor(
    user_id=uuid.UUID(int=0),
    name="网页表单",
    email="web-form",
    role_key="web_form",
    permissions=frozenset({"leads:create"}),
    data_scope="all",
    via="system",
)


def form_token(secret: str, tenant_slug: str, now: float | None = None) -> str:
    shown = int(now if now is not None else time.time())
    return f"{shown}.{_signature(secret, tenant_slug, shown)}"


def _signature(secret: str, tenant_slug: str, shown: int) -> str:
    message = f"lead-form:{tenant_slug}:{shown}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    lead: Lead | None  # None: refused as a bot (answered like a success)
    retry_after: int = 0  # set when rate limited


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many submissions")
        self.retry_after = retry_after


async def submit(
    session: AsyncSession,
    redis: Redis,
    *,
    secret: str,
    tenant_slug: str,
    form: dict[str, Any],
    ip: str | None,
    now: float | None = None,
) -> Outcome:
    """Check one submission and record the lead; ``ValidationFailed`` for bad input or a bad token,
    ``RateLimited`` beyond the limit, ``Outcome(None)`` for a caught bot."""
    moment = now if now is not None else time.time()
    settings = await lead_settings(session)
    shown = _check_token(secret, tenant_slug, str(form.get("token") or ""), moment)
    if str(form.get(HONEYPOT) or "").strip():
        return Outcome(None)
    if moment - shown < settings.form_min_seconds:
        return Outcome(None)
    limit = throttle.Throttle("lead_form", settings.form_per_ip_per_hour, 3600)
    verdict = await throttle.hit(redis, limit, f"{tenant_slug}:{ip or 'unknown'}", fail="closed")
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
    values = {k: form[k] for k in FORM_FIELDS if k in form and str(form[k]).strip()}
    values["source"] = LeadSource.WEB_FORM.value
    return Outcome(await LeadService(session, WEB_FORM).create(values))


def _check_token(secret: str, tenant_slug: str, token: str, now: float) -> int:
    shown_text, _, signature = token.partition(".")
    try:
        shown = int(shown_text)
    except ValueError:
        shown = -1
    expected = _signature(secret, tenant_slug, shown) if shown >= 0 else ""
    if not expected or not hmac.compare_digest(expected, signature) or not 0 <= now - shown <= TOKEN_MAX_AGE:
        raise ValidationFailed([FieldError("token", "stale_form", "reload the form and send it again")])
    return shown
