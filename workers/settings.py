"""arq worker settings: Redis, the job list, cron jobs and the shared services on ``ctx``."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from app.db import Database
from app.i18n import load_catalogs
from app.observability import configure_logging, init_sentry
from app.privacy.keys import refuse_missing_master_key
from app.runtime import QUEUE_NAME, resolve_service_urls
from app.settings import get_settings, refuse_unsafe_production

log = logging.getLogger("dealercrm.worker")
HEARTBEAT_KEY = "dealercrm:worker:heartbeat"
# arq's health record, one per host: a liveness probe on each pod (``dealercrm worker --check``)
# checks its own worker, not whichever worker in the fleet wrote last.
HEALTH_CHECK_KEY = f"dealercrm:worker:health:{socket.gethostname()}"


async def heartbeat(ctx: dict[str, Any]) -> str:
    """Proves the worker is alive and can reach PostgreSQL and Redis."""
    from sqlalchemy import text

    async with ctx["db"].engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    stamp = datetime.now(UTC).isoformat()
    await ctx["redis"].set(HEARTBEAT_KEY, stamp, ex=300)
    return stamp


# The catalogs the admin ships (a folder, not an import: workers do not import the web layer);
# export files label enumerations with them, as the screens do.
TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    refuse_unsafe_production(settings)
    refuse_missing_master_key(settings)
    configure_logging()
    load_catalogs(TRANSLATIONS)
    init_sentry(settings.sentry_dsn, settings.environment)
    urls = resolve_service_urls(settings)
    ctx["settings"] = settings
    ctx["db"] = Database(
        urls.database_url, pool_size=4, statement_cache_size=settings.db_statement_cache_size
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    from app.kit.jobs import finish_shielded

    # A SIGTERMed run hands its job back (queued again) in a shielded step: let it reach the database.
    await finish_shielded()
    await ctx["db"].dispose()


def _redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(resolve_service_urls(get_settings()).redis_url)


def _cron_jobs() -> list[Any]:
    from workers.jobs.backups import sweep_backups
    from workers.jobs.contracts import sweep_contract_expiry
    from workers.jobs.erp import sweep_erp_sync
    from workers.jobs.fulfilment import sweep_outbound
    from workers.jobs.job_sweep import sweep_jobs
    from workers.jobs.leads import sweep_leads_and_pools
    from workers.jobs.lifecycle import (
        expire_trials,
        purge_deleted_tenants,
        purge_unverified_tenants,
        refresh_tenant_usage,
    )
    from workers.jobs.reminders import sweep_reminders
    from workers.jobs.tiers import sweep_tier_rules

    return [
        cron(heartbeat, second={0, 30}, run_at_startup=True, unique=True),
        # Every minute; at start-up too, so a restarted worker picks up what its predecessor dropped:
        # exports, imports, batch actions and data-subject exports whose enqueue or worker was lost.
        cron(sweep_jobs, second=15, run_at_startup=True, unique=True),
        # Every minute (and at start-up): webhook relay and deliveries, customers' SMS.
        cron(sweep_outbound, second=25, run_at_startup=True, unique=True),
        # Every minute (and at start-up): follow-up and task reminders, then notification delivery.
        cron(sweep_reminders, second=40, run_at_startup=True, unique=True, timeout=3000),
        # Every 5 minutes (and at start-up): overdue leads, then the pool's warnings and returns.
        cron(sweep_leads_and_pools, minute=set(range(1, 60, 5)), second=20, run_at_startup=True, unique=True),
        # Hourly (and at start-up): tell owners of contracts ending within the notice period, once.
        cron(sweep_contract_expiry, minute=12, second=30, run_at_startup=True, unique=True),
        # Every 15 minutes: each switched-on ERP connector pulls products and stock, pushes orders.
        cron(sweep_erp_sync, minute={3, 18, 33, 48}, second=50, unique=True, timeout=3000),
        # Hourly: schedule due tenants' backups, clear killed runs' leftovers, alert on missing ones.
        cron(sweep_backups, minute=7, second=0, unique=True),
        # Tenant lifecycle: the console's usage cache every 10 minutes, trial expiry every 10
        # minutes (the hosts refuse an ended trial at once anyway), purges hourly.
        cron(refresh_tenant_usage, minute=set(range(2, 60, 10)), second=0, run_at_startup=True, unique=True),
        cron(expire_trials, minute=set(range(4, 60, 10)), second=0, unique=True),
        cron(purge_deleted_tenants, minute=45, second=0, unique=True),
        # Sign-ups never confirmed (UNVERIFIED_TENANT_HOURS): hourly.
        cron(purge_unverified_tenants, minute=50, second=0, unique=True),
        # Hourly (and at start-up): customer tiers by the tenant's rules, once per tenant and day.
        cron(sweep_tier_rules, minute=27, second=10, run_at_startup=True, unique=True, timeout=3000),
    ]


def _functions() -> list[Any]:
    from workers.jobs import JOBS

    return [heartbeat, *JOBS]


class WorkerSettings:
    functions = _functions()
    cron_jobs = _cron_jobs()
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE_NAME
    redis_settings = _redis_settings()
    max_tries = 5
    job_timeout = 3600
    # Outcomes are recorded in PostgreSQL; a result kept in Redis would only block re-enqueueing
    # the same natural job id (a retry) until it expired.
    keep_result = 0
    health_check_interval = 30
    health_check_key = HEALTH_CHECK_KEY
