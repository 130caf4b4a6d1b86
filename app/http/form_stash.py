"""Keeping a user's typing when their session ran out mid-form.

A form POST whose session has expired is parked in Redis under a random key; the login page carries
the key and, after login, the form page reads the parked values back into the form (never
auto-submits).

Only a session that ran out earns this (the request carried a session cookie that no longer
resolves): an anonymous POST has no typing of a user to keep. A parked form is at most
``STASH_MAX_BYTES`` (over that nothing is parked: a form is never kept cut short), and one address
may park ``STASH_PER_IP`` forms per ``STASH_WINDOW_SECONDS``; with Redis down nothing is parked.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.throttle import Throttle, hit

log = logging.getLogger("dealercrm.http")

STASH_TTL_SECONDS = 30 * 60
STASH_MAX_BYTES = 64 * 1024
STASH_PER_IP = 20
STASH_WINDOW_SECONDS = 10 * 60
PARKING = Throttle("form-stash", STASH_PER_IP, STASH_WINDOW_SECONDS)
_PREFIX = "formstash:"
_DROP = {"_csrf"}


async def park(
    redis: Redis, tenant_slug: str, path: str, form: dict[str, Any], *, ip: str | None = None
) -> str | None:
    """Park ``form`` for this tenant and page; its key, or None when it is not kept (too big, this
    address parked too many lately, Redis unavailable)."""
    payload = {"tenant": tenant_slug, "path": path, "form": {k: v for k, v in form.items() if k not in _DROP}}
    encoded = json.dumps(payload, ensure_ascii=False)
    if len(encoded.encode()) > STASH_MAX_BYTES:
        log.info("form not parked: over %d bytes", STASH_MAX_BYTES)
        return None
    verdict = await hit(redis, PARKING, ip or "unknown", fail="closed")
    if not verdict.allowed:
        log.info("form not parked: parking limit reached for this address")
        return None
    key = secrets.token_urlsafe(16)
    try:
        await redis.set(_PREFIX + key, encoded, ex=STASH_TTL_SECONDS)
    except (RedisError, OSError):
        log.warning("form not parked: Redis unavailable")
        return None
    return key


async def take(redis: Redis, tenant_slug: str, key: str | None) -> dict[str, Any] | None:
    """The parked form for this tenant, once; None when absent, expired or another tenant's."""
    if not key:
        return None
    try:
        raw = await redis.getdel(_PREFIX + key)
    except (RedisError, OSError):
        return None
    if not raw:
        return None
    payload = json.loads(raw)
    if payload.get("tenant") != tenant_slug:
        return None
    return payload


async def peek(redis: Redis, tenant_slug: str, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    try:
        raw = await redis.get(_PREFIX + key)
    except (RedisError, OSError):
        return None
    if not raw:
        return None
    payload = json.loads(raw)
    return payload if payload.get("tenant") == tenant_slug else None
