"""Operator alerts: an error log line, a Sentry event, and a row the operators' console shows.

An alert stays open until what caused it is fixed (for backups: the tenant's next verified
backup resolves its backup alerts). Raising an open alert again refreshes it instead of adding a
row, and reaches Sentry only the first time, so an hourly check does not page anyone 24 times.
"""

from __future__ import annotations

import logging

import sentry_sdk
from sentry_sdk.integrations.logging import ignore_logger

from app.backups import repository as repo
from app.db import Database

log = logging.getLogger("dealercrm.alerts")
# Sentry gets the alert once, explicitly and with tags, not a second time from this log line.
ignore_logger(log.name)

BACKUP_FAILED = "backup_failed"
BACKUP_VERIFY_FAILED = "backup_verify_failed"
BACKUP_MISSING = "backup_missing"
BACKUP_KINDS = (BACKUP_FAILED, BACKUP_VERIFY_FAILED, BACKUP_MISSING)


async def raise_alert(db: Database, kind: str, tenant_slug: str | None, message: str) -> bool:
    """Record an alert for the operators; True when it was not already open."""
    log.error("alert %s for %s: %s", kind, tenant_slug or "platform", message)
    async with db.engine.begin() as conn:
        new = await repo.open_alert(conn, kind, tenant_slug, message[:4000])
    if new:
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("alert", kind)
            if tenant_slug:
                scope.set_tag("tenant", tenant_slug)
            sentry_sdk.capture_message(f"{kind}: {message}", level="error")
    return new


async def resolve_backup_alerts(db: Database, tenant_slug: str) -> int:
    async with db.engine.begin() as conn:
        return await repo.resolve_alerts(conn, tenant_slug, BACKUP_KINDS)
