"""Cron jobs of the tenant lifecycle: the console's usage cache, trial expiry, purging tenants whose
grace period has ended and sign-ups whose email was never confirmed.

Each is idempotent (it looks at the registry as it is now), so a run that
arq repeats after a lost worker does no harm."""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis

from app.platform import lifecycle, usage

log = logging.getLogger("dealercrm.worker")


def _redis(ctx: dict[str, Any]) -> Redis:
    # arq's own connection speaks the same Redis the web uses for API counters.
    return ctx["redis"]


async def refresh_tenant_usage(ctx: dict[str, Any]) -> str:
    """Measure every tenant into public.tenant_usage (the console reads only that table)."""
    report = await usage.refresh_usage(ctx["db"].engine, _redis(ctx), ctx["settings"].files_dir)
    return f"refreshed {len(report.refreshed)}, failed {len(report.failed)}"


async def expire_trials(ctx: dict[str, Any]) -> str:
    """Suspend tenants whose trial has ended (their hosts already refuse them)."""
    expired = await lifecycle.expire_trials(ctx["db"].engine)
    if expired:
        log.info("trials ended: %s", ", ".join(expired))
    return f"expired {len(expired)}"


async def purge_deleted_tenants(ctx: dict[str, Any]) -> str:
    """Drop the schemas of deleted tenants whose grace period has ended; rows stay, marked purged."""
    report = await lifecycle.purge_due(ctx["db"].engine, ctx["settings"])
    if report.purged:
        log.info("purged tenants: %s", ", ".join(report.purged))
    for slug, error in report.failed.items():
        log.error("purge of %s failed: %s", slug, error)
    return f"purged {len(report.purged)}, failed {len(report.failed)}"


async def purge_unverified_tenants(ctx: dict[str, Any]) -> str:
    """Purge self-service sign-ups whose owner never confirmed the email (no data, no grace)."""
    report = await lifecycle.purge_unverified(ctx["db"].engine, ctx["settings"])
    if report.purged:
        log.info("purged unconfirmed sign-ups: %s", ", ".join(report.purged))
    for slug, error in report.failed.items():
        log.error("purge of unconfirmed %s failed: %s", slug, error)
    return f"purged {len(report.purged)}, failed {len(report.failed)}"
