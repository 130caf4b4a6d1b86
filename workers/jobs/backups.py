"""Backup jobs: the hourly sweep that schedules tenants' backups, and one tenant's backup."""

from __future__ import annotations

from typing import Any

from app.backups import schedule


async def backup_tenant(ctx: dict[str, Any], slug: str) -> str:
    """Back up, verify and prune one tenant (job id ``backup:<slug>:<date>``; idempotent)."""
    return await schedule.backup_tenant(ctx["db"], slug, settings=ctx["settings"])


async def sweep_backups(ctx: dict[str, Any]) -> dict[str, Any]:
    """Every hour: clear dead runs' leftovers, enqueue due tenants, alert on missing backups."""
    from app.runtime import QUEUE_NAME

    report = await schedule.sweep_and_schedule(
        ctx["db"], ctx["redis"], settings=ctx["settings"], queue_name=QUEUE_NAME
    )
    return {"reaped": report.reaped, "enqueued": len(report.enqueued), "missing": len(report.missing)}
