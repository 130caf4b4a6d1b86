"""Secrets: password hashing, random tokens and their stored hashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import PASSWORD_HASH_COSTS, get_settings


@cache
def _hasher_of(cost: str) -> tuple[PasswordHasher, str]:
    """The argon2id hasher of a cost profile (``app.settings.PASSWORD_HASH_COSTS``), and a real hash
    of a random password, verified against when the user does not exist, so a login for an unknown
    email costs the same time as one for a known email."""
    params = PASSWORD_HASH_COSTS[cost]
    hasher = (
        PasswordHasher(
            time_cost=params["time_cost"],
            memory_cost=params["memory_cost"],
            parallelism=params["parallelism"],
        )
        if params
        else PasswordHasher()
    )
    return hasher, hasher.hash(secrets.token_urlsafe(16))


def _hasher() -> tuple[PasswordHasher, str]:
    return _hasher_of(get_settings().password_hash_cost)


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def check_password(password_hash: str | None, password: str) -> bool:
    """``verify_password`` off the event loop: argon2 takes ~0.1 s of CPU, which would stall every
    other request in the process."""
    return await asyncio.to_thread(verify_password, password_hash, password)


async def make_password_hash(password: str) -> str:
    """``hash_password`` off the event loop (see ``check_password``)."""
    return await asyncio.to_thread(hash_password, password)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is the right stored form (no salt or KDF needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
