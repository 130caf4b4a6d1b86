"""How often a source may try a password or a second-factor code, for staff and operators alike.

Two layers, each with its own job:

1. **Redis throttles** (app.throttle, counted before any work, atomic under parallel requests):
   - per (account, IP): ``login_attempts_per_account_ip_per_minute`` (10) attempts a minute — what
     one address can try against one account;
   - per IP, any account: ``login_attempts_per_ip_per_minute`` (30) — password spraying across many
     accounts from one address;
   - per account, any source: ``login_failures_per_account_per_hour`` (100) — a brake on a guessing
     attack spread over many addresses. Once it is reached only sources from which the account has
     signed in before (its usual office or phone network) may still try, so an attacker who owns
     many addresses still cannot keep the owner out of their own account.
   A successful login gives its attempt back, so staff signing in many times never meet a limit.
   Redis down fails **open** (app.throttle): the lock in PostgreSQL below still holds, and staff must
   be able to sign in during a Redis outage.

2. **The lock in PostgreSQL** (``login_locks``, one row per (account, source)), the guarantee:
   each password check first *reserves* an attempt with one atomic
   ``INSERT ... ON CONFLICT DO UPDATE SET failures = failures + 1 ... RETURNING`` committed before
   argon2 runs, so thirty parallel wrong passwords cannot all be checked: the sixth reservation
   already sees the limit. A success clears its row.

   Why per (account, source) and not per account: a lock on the whole account lets anyone lock
   anyone out for 15 minutes by typing five wrong passwords for their email. Keyed by the source
   (an IPv4 /24 or IPv6 /64, so hopping to a neighbouring address does not reset it), a stranger
   locks out only themselves; the owner signing in from their own network is not affected. The
   price — each new source network gets five guesses — is bounded by the account-wide brake above.

The answer never tells locked, unknown and wrong apart (same status, same text): app.accounts.service.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app import throttle
from app.settings import Settings
from app.throttle import Throttle

UNKNOWN_SOURCE = "unknown"


def source_of(ip: str | None) -> str:
    """The network an address belongs to, for locks: IPv4 /24, IPv6 /64."""
    if not ip:
        return UNKNOWN_SOURCE
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return UNKNOWN_SOURCE
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True)
class LoginThrottles:
    """The Redis throttles of one login form (``kind``: staff, operator, second_factor)."""

    per_account_ip: Throttle
    per_ip: Throttle
    per_account: Throttle

    @classmethod
    def for_kind(cls, kind: str, settings: Settings) -> LoginThrottles:
        return cls(
            per_account_ip=Throttle(
                f"{kind}-login-account-ip", settings.login_attempts_per_account_ip_per_minute, 60
            ),
            per_ip=Throttle(f"{kind}-login-ip", settings.login_attempts_per_ip_per_minute, 60),
            per_account=Throttle(f"{kind}-login-account", settings.login_failures_per_account_per_hour, 3600),
        )


@dataclass(frozen=True)
class Admission:
    allowed: bool
    retry_after: int = 0
    # Over the account-wide brake: only a source known to the account may go on.
    account_busy: bool = False


def _key(*parts: str | None) -> str:
    return ":".join((p or "-").lower()[:254] for p in parts)


async def admit(redis: Redis | None, throttles: LoginThrottles, *, account: str, ip: str | None) -> Admission:
    """Count one attempt against ``account`` from ``ip``; refused when a per-IP limit is reached."""
    if redis is None:
        return Admission(True)
    for limit, key in ((throttles.per_account_ip, _key(account, ip)), (throttles.per_ip, _key(ip))):
        verdict = await throttle.hit(redis, limit, key, fail="open")
        if not verdict.allowed:
            return Admission(False, verdict.retry_after)
    busy = await throttle.peek(redis, throttles.per_account, _key(account)) >= throttles.per_account.limit
    return Admission(True, account_busy=busy)


async def count_failure(redis: Redis | None, throttles: LoginThrottles, *, account: str) -> None:
    """A failed attempt counts against the account-wide brake."""
    if redis is not None:
        await throttle.hit(redis, throttles.per_account, _key(account), fail="open")


async def give_back(redis: Redis | None, throttles: LoginThrottles, *, account: str, ip: str | None) -> None:
    """A successful login returns its attempt to the per-IP counters."""
    if redis is None:
        return
    for limit, key in ((throttles.per_account_ip, _key(account, ip)), (throttles.per_ip, _key(ip))):
        try:
            await throttle.give_back(redis, limit, key)
        except (RedisError, OSError):
            return
