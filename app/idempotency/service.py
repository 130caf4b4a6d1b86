"""Do an operation once per client key: a retry gets the first answer and writes nothing.

A client that lost the answer to a write (a timeout, a server killed after its commit) retries
with the same key. The key, a fingerprint of the request and the answer are written in the SAME
transaction as the operation's own writes, so either both are committed or neither is: there is
no moment where the write exists and the key does not (or the reverse).

How, without changing the services (each commits its own unit of work): the operation runs on a
session joined to the caller's open transaction in ``create_savepoint`` mode, so the services'
commits only release savepoints; the outer transaction commits once, with the key and the answer,
when the block ends. Any exception rolls everything back (key included), so the client may retry.

    async with idempotency.once(session, actor, key, fingerprint) as attempt:
        if attempt.replay is not None:
            return attempt.replay          # the first answer; nothing ran
        record = await create_customer(attempt.session, actor, data)
        attempt.remember({...})            # the answer to give every retry

Keys are per tenant (a table in its schema) and per actor, and expire after
``idempotency_key_hours`` (24 h); expired keys are removed a few at a time on each new claim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, DomainError
from app.idempotency import repository as repo
from app.idempotency.models import KEY_MAX_LENGTH
from app.settings import get_settings

# Expired keys removed per claim: enough to keep up with any write rate, small enough to be free.
CLEANUP_BATCH = 100


class KeyReused(DomainError):
    """The key was used before for a different request."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; use a new key for a new request."
        )


class InvalidKey(DomainError):
    code = "idempotency_key_invalid"

    def __init__(self) -> None:
        super().__init__(
            f"The Idempotency-Key must be 1 to {KEY_MAX_LENGTH} visible ASCII characters "
            "(a UUID is a good key)."
        )


def check_key(key: str) -> str:
    key = key.strip()
    if not 0 < len(key) <= KEY_MAX_LENGTH or not all(" " < ch <= "~" for ch in key):
        raise InvalidKey()
    return key


def fingerprint(request: Any) -> str:
    """sha256 of a JSON-ready description of the request (key order does not matter)."""
    text = json.dumps(request, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Attempt:
    session: AsyncSession
    replay: dict[str, Any] | None = None
    response: dict[str, Any] | None = field(default=None, repr=False)

    def remember(self, response: dict[str, Any]) -> None:
        """The answer every retry with this key gets (JSON-ready)."""
        self.response = response


@asynccontextmanager
async def once(
    session: AsyncSession, actor: Actor, key: str, request_fingerprint: str
) -> AsyncIterator[Attempt]:
    """Claim ``key`` for ``actor``; run the block at most once per key (see the module docstring).

    Raises ``KeyReused`` when the key was used for a request with another fingerprint.
    """
    key = check_key(key)
    now = datetime.now(UTC)
    expires_at = now + timedelta(hours=get_settings().idempotency_key_hours)
    connection = await session.connection()  # begins the outer transaction
    inner = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        await repo.delete_expired(inner, now, CLEANUP_BATCH)
        claimed = await repo.insert_if_absent(inner, actor.user_id, key, request_fingerprint, expires_at)
        attempt = Attempt(session=inner)
        if not claimed:
            found = await repo.locked(inner, actor.user_id, key)
            if found is None or found.expires_at <= now:
                if found is None:  # removed between the two statements: claim it now
                    await repo.insert_if_absent(inner, actor.user_id, key, request_fingerprint, expires_at)
                else:
                    await repo.reclaim(inner, actor.user_id, key, request_fingerprint, expires_at)
            elif found.fingerprint != request_fingerprint:
                raise KeyReused()
            else:
                attempt.replay = found.response or {}
        # The claim is released into the outer transaction: a service rolling back its own
        # savepoint on a refusal does not undo it.
        await inner.commit()
        yield attempt
        if attempt.replay is None:
            if attempt.response is None:
                # The block ended without an answer to keep (nothing was done): free the key.
                await inner.close()
                await session.rollback()
                return
            await repo.store_response(inner, actor.user_id, key, attempt.response)
            await inner.commit()
        await inner.close()
        await session.commit()
    except BaseException:
        await inner.close()
        await session.rollback()
        raise
