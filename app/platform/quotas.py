"""Enforcing a tenant's plan on its own request paths: room for one more user or customer, files
on disk, API calls per day.

Limits come from the tenant's schema (``app.platform.plans.tenant_limits``), usage from the same
schema, its folder under FILES_DIR and a Redis counter per tenant and day: nothing here reads
``public`` or another tenant.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar.exceptions import HTTPException
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.customers.models import Customer
from app.domain import QuotaExceeded
from app.i18n import gettext as _
from app.platform.plans import PLANS, PlanLimits, tenant_limits
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

# Days (and the API quota) turn over at midnight in China, where the dealers are.
QUOTA_TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger("dealercrm.quotas")
MB = 1024 * 1024
# Within this many of the limit, adds are serialised per tenant so two racing requests cannot
# both take the last place; further away a plain count is enough and nobody waits.
SERIALISE_WITHIN = 10


def plan_label(plan: str) -> str:
    """The plan's name in the reader's language."""
    found = PLANS.get(plan)
    return _(found.name) if found else plan


def resource_label(resource: str) -> str:
    return {
        "users": _("staff accounts"),
        "customers": _("customers"),
        "storage_mb": _("MB of file storage"),
        "api_calls_per_day": _("API calls per day"),
    }.get(resource, resource)


def quota_message(resource: str, limit: int, used: int, plan: str) -> str:
    return _(
        "Your plan ({plan}) allows at most {limit} {resource}, and {used} are in use. "
        "Ask DealerCRM to upgrade the plan, or remove some first."
    ).format(plan=plan_label(plan), limit=f"{limit:,}", resource=resource_label(resource), used=f"{used:,}")


def quota_exceeded(resource: str, limit: int, used: int, plan: str) -> QuotaExceeded:
    return QuotaExceeded(resource, limit, used, plan, quota_message(resource, limit, used, plan))


# -- users and customers --------------------------------------------------------------------------


async def count_in_use(session: AsyncSession, resource: str) -> int:
    """Active staff accounts, or customers not in the recycle bin."""
    if resource == "users":
        query = select(func.count()).select_from(User).where(User.is_active.is_(True))
    elif resource == "customers":
        query = select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))
    else:
        raise ValueError(resource)
    return int(await session.scalar(query) or 0)


def _schema_of(session: AsyncSession) -> str:
    bind = session.get_bind()
    mapping = bind.get_execution_options().get("schema_translate_map") or {}
    return str(mapping.get(TENANT_SCHEMA_PLACEHOLDER, ""))


# Room checked once for many adds (``reserved``), spent by the adds' own ``ensure_room`` calls.
ROOM_KEY = "quotas.room"


@asynccontextmanager
async def reserved(session: AsyncSession, resource: str | None, adding: int) -> AsyncIterator[None]:
    """Check room for ``adding`` more at once (an import's chunk of rows); inside the block the
    single adds' ``ensure_room`` calls pass without counting again, up to ``adding``."""
    if resource is None:
        yield
        return
    await ensure_room(session, resource, adding)
    room = session.info.setdefault(ROOM_KEY, {})
    room[resource] = adding
    try:
        yield
    finally:
        room.pop(resource, None)


async def ensure_room(session: AsyncSession, resource: str, adding: int = 1) -> None:
    """Refuse (``QuotaExceeded``) when adding ``adding`` more ``resource`` would pass the plan's limit.

    Call it inside the transaction that adds them. Close to the limit it takes a transaction-level
    advisory lock for this tenant and resource and counts again, so the last free place goes to
    exactly one of two racing requests.
    """
    room = session.info.get(ROOM_KEY, {})
    if room.get(resource, 0) >= adding:
        room[resource] -= adding  # inside ``reserved``: this one was counted with the others
        return
    limits = await tenant_limits(session)
    limit = limits.limit(resource)
    if limit is None:
        return
    used = await count_in_use(session, resource)
    if used + adding > limit - SERIALISE_WITHIN:
        key = f"quota:{_schema_of(session)}:{resource}"
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        used = await count_in_use(session, resource)
    if used + adding > limit:
        raise quota_exceeded(resource, limit, used, limits.plan)


# -- files ----------------------------------------------------------------------------------------


def directory_bytes(folder: Path) -> int:
    """Bytes of regular files under ``folder`` (symlinks not followed); 0 when it does not exist."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except FileNotFoundError:  # removed while we walked
                continue
            if not os.path.islink(os.path.join(root, name)):
                total += stat.st_size
    return total


async def storage_bytes(files_dir: Path, schema: str) -> int:
    """What the tenant keeps under ``FILES_DIR/<schema>`` (a directory walk, off the event loop)."""
    return await asyncio.to_thread(directory_bytes, files_dir / schema)


async def ensure_storage_room(session: AsyncSession, files_dir: Path, schema: str, adding_bytes: int) -> None:
    """Refuse a write of ``adding_bytes`` that would take the tenant past its storage quota."""
    limits = await tenant_limits(session)
    if limits.storage_mb is None:
        return
    used = await storage_bytes(files_dir, schema)
    if used + adding_bytes > limits.storage_mb * MB:
        raise quota_exceeded("storage_mb", limits.storage_mb, -(-used // MB), limits.plan)


# -- API calls ------------------------------------------------------------------------------------


def quota_day(now: datetime | None = None) -> str:
    return (now or datetime.now(QUOTA_TZ)).astimezone(QUOTA_TZ).strftime("%Y%m%d")


def api_calls_key(slug: str, day: str | None = None) -> str:
    return f"dcrm:api-calls:{slug}:{day or quota_day()}"


def seconds_until_reset(now: datetime | None = None) -> int:
    local = (now or datetime.now(QUOTA_TZ)).astimezone(QUOTA_TZ)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()))


class ApiQuotaExceeded(HTTPException):
    """HTTP 429 with ``Retry-After``: the tenant used today's API calls."""

    status_code = 429

    def __init__(self, limit: int, plan: str, retry_after: int) -> None:
        message = (
            f"This account's plan ({plan}) allows {limit:,} API calls per day and today's are used up. "
            f"The quota resets at midnight China time (in {retry_after} seconds)."
        )
        super().__init__(detail=message, headers={"Retry-After": str(retry_after)})
        self.limit = limit
        self.plan = plan
        self.retry_after = retry_after


@dataclass(frozen=True)
class ApiCallCount:
    used: int
    limit: int | None


async def count_api_call(redis: object, slug: str, limits: PlanLimits) -> ApiCallCount:
    """Count one API call for today; over the limit it is not counted and ``ApiQuotaExceeded`` is raised.

    Redis down: the call is allowed and not counted (fail OPEN, see docs/security.md "Redis
    outage"). The daily quota is a billing limit, not a protection of data; an outage of the
    counter must not take every integrator's API down with it. ``used`` is then 0.
    """
    key = api_calls_key(slug)
    limit = limits.api_calls_per_day
    try:
        pipe = redis.pipeline(transaction=True)  # type: ignore[attr-defined]
        pipe.incr(key)
        pipe.expire(key, 2 * 86400)
        used, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("API call counter unavailable (%s): quota not enforced", type(exc).__name__)
        return ApiCallCount(0, limit)
    if limit is not None and used > limit:
        await redis.decr(key)  # type: ignore[attr-defined]
        raise ApiQuotaExceeded(limit, limits.plan, seconds_until_reset())
    return ApiCallCount(int(used), limit)


async def api_calls_today(redis: object, slugs: list[str]) -> dict[str, int]:
    if not slugs:
        return {}
    day = quota_day()
    values = await redis.mget([api_calls_key(s, day) for s in slugs])  # type: ignore[attr-defined]
    return {slug: int(v or 0) for slug, v in zip(slugs, values, strict=True)}
