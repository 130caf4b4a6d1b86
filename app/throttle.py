"""Fixed-window throttles in Redis, shared by every place that limits how often a source may try.

``hit`` counts one attempt under ``key`` in the current window atomically (one Lua script: INCR and
EXPIRE together, so parallel requests can never all pass) and says whether the limit is exceeded.

Redis down is a documented choice per caller, never a 500:
- ``fail="open"``: the attempt is allowed (logins: the account lockout in PostgreSQL still holds,
  and staff must be able to sign in during a Redis outage);
- ``fail="closed"``: the attempt is refused (sign-up, parking anonymous forms: nothing is lost by
  waiting, and an outage must not become an open door).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("dealercrm.throttle")

_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


@dataclass(frozen=True)
class Throttle:
    """``limit`` attempts per ``window_seconds`` for each key under ``name``."""

    name: str
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (0 when allowed or unknown)


async def hit(
    redis: Redis, throttle: Throttle, key: str, *, fail: Literal["open", "closed"], cost: int = 1
) -> Verdict:
    """Count ``cost`` attempts by ``key`` and say whether they are within ``throttle``."""
    now = int(time.time())
    window = now // throttle.window_seconds
    redis_key = f"throttle:{throttle.name}:{key}:{window}"
    try:
        count = 0
        for _ in range(max(cost, 1)):
            count = int(await redis.eval(_HIT, 1, redis_key, str(throttle.window_seconds)))  # type: ignore[misc]
    except (RedisError, OSError) as exc:
        log.warning("throttle %s unavailable (%s): failing %s", throttle.name, type(exc).__name__, fail)
        return Verdict(allowed=fail == "open", count=0, retry_after=0 if fail == "open" else 60)
    if count > throttle.limit:
        retry = (window + 1) * throttle.window_seconds - now
        return Verdict(allowed=False, count=count, retry_after=max(retry, 1))
    return Verdict(allowed=True, count=count, retry_after=0)


async def peek(redis: Redis, throttle: Throttle, key: str) -> int:
    """Attempts counted in the current window (0 when Redis is down)."""
    window = int(time.time()) // throttle.window_seconds
    try:
        raw = await redis.get(f"throttle:{throttle.name}:{key}:{window}")
    except (RedisError, OSError):
        return 0
    return int(raw or 0)


_GIVE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


async def give_back(redis: Redis, throttle: Throttle, key: str) -> None:
    """Return one attempt counted in the current window (a login that succeeded); never below 0.

    Raises RedisError when Redis is down: callers that fail open ignore it."""
    window = int(time.time()) // throttle.window_seconds
    await redis.eval(_GIVE_BACK, 1, f"throttle:{throttle.name}:{key}:{window}")  # type: ignore[misc]
