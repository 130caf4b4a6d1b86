"""Signed, expiring, single-use links (email verification, support entry).

A token is ``<payload>.<signature>``: base64url JSON (purpose, tenant, id, expiry and whatever the
purpose needs) and an HMAC-SHA256 over it with a key derived from SECRET_KEY and the purpose, so
a token for one purpose is never valid for another. A tampered token fails the signature before
the database is asked; a genuine one is redeemed once by an UPDATE on ``public.one_time_tokens``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.platform.models import OneTimeToken

TOKENS = cast(Table, OneTimeToken.__table__)


class TokenRefused(Exception):
    """``code``: invalid (malformed, tampered, wrong purpose or tenant), expired, used."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), b"dealercrm-link:" + purpose.encode(), hashlib.sha256).digest()


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps({**payload, "p": purpose}, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def unsign(secret: str, purpose: str, token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The payload of a genuine, unexpired token for ``purpose``; raises ``TokenRefused`` otherwise."""
    body, sep, signature = (token or "").strip().partition(".")
    if not sep or not body or not signature or len(token) > 4096:
        raise TokenRefused("invalid")
    expected = _b64(hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise TokenRefused("invalid")
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error) as exc:
        raise TokenRefused("invalid") from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose or not isinstance(payload.get("e"), int):
        raise TokenRefused("invalid")
    if payload["e"] <= int((now or datetime.now(UTC)).timestamp()):
        raise TokenRefused("expired")
    return payload


async def issue(
    conn: AsyncConnection,
    secret: str,
    *,
    purpose: str,
    tenant_slug: str,
    lifetime: timedelta,
    extra: dict[str, Any] | None = None,
) -> str:
    """A new token, recorded in the caller's transaction."""
    jti = uuid.uuid4()
    expires = datetime.now(UTC) + lifetime
    await conn.execute(
        insert(TOKENS).values(jti=jti, purpose=purpose, tenant_slug=tenant_slug, expires_at=expires)
    )
    payload = {**(extra or {}), "t": tenant_slug, "j": str(jti), "e": int(expires.timestamp())}
    return sign(secret, purpose, payload)


async def redeem(
    conn: AsyncConnection, secret: str, *, purpose: str, tenant_slug: str, token: str
) -> dict[str, Any]:
    """Use a token once, in the caller's transaction; its payload, or ``TokenRefused``."""
    payload = unsign(secret, purpose, token)
    if payload.get("t") != tenant_slug:
        raise TokenRefused("invalid")
    try:
        jti = uuid.UUID(str(payload.get("j")))
    except ValueError as exc:
        raise TokenRefused("invalid") from exc
    now = datetime.now(UTC)
    used = await conn.scalar(
        update(TOKENS)
        .where(
            TOKENS.c.jti == jti,
            TOKENS.c.purpose == purpose,
            TOKENS.c.tenant_slug == tenant_slug,
            TOKENS.c.used_at.is_(None),
            TOKENS.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(TOKENS.c.jti)
    )
    if used is None:
        row = (await conn.execute(select(TOKENS).where(TOKENS.c.jti == jti))).mappings().first()
        if row is None:
            raise TokenRefused("invalid")
        raise TokenRefused("used" if row["used_at"] is not None else "expired")
    return payload


async def retire_unused(conn: AsyncConnection, *, purpose: str, tenant_slug: str) -> int:
    """Mark a tenant's outstanding tokens for ``purpose`` as used (a newer link replaces them)."""
    result = await conn.execute(
        update(TOKENS)
        .where(TOKENS.c.purpose == purpose, TOKENS.c.tenant_slug == tenant_slug, TOKENS.c.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)
