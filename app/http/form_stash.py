"""Keeping a user's typing when their session ran out mid-form.

An unauthenticated form POST is parked in Redis under a random key; the login page carries the key
and, after login, the form page reads the parked values back into the form (never auto-submits).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from redis.asyncio import Redis

STASH_TTL_SECONDS = 30 * 60
_PREFIX = "formstash:"
_DROP = {"_csrf"}


async def park(redis: Redis, tenant_slug: str, path: str, form: dict[str, Any]) -> str:
    key = secrets.token_urlsafe(16)
    payload = {"tenant": tenant_slug, "path": path, "form": {k: v for k, v in form.items() if k not in _DROP}}
    await redis.set(_PREFIX + key, json.dumps(payload, ensure_ascii=False), ex=STASH_TTL_SECONDS)
    return key


async def take(redis: Redis, tenant_slug: str, key: str | None) -> dict[str, Any] | None:
    """The parked form for this tenant, once; None when absent, expired or another tenant's."""
    if not key:
        return None
    raw = await redis.getdel(_PREFIX + key)
    if not raw:
        return None
    payload = json.loads(raw)
    if payload.get("tenant") != tenant_slug:
        return None
    return payload


async def peek(redis: Redis, tenant_slug: str, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    raw = await redis.get(_PREFIX + key)
    if not raw:
        return None
    payload = json.loads(raw)
    return payload if payload.get("tenant") == tenant_slug else None
