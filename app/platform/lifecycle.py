"""A tenant's life after sign-up: plan changes, trial expiry, deletion with a grace period, restore
and the final purge. Each operation owns its transaction and its platform audit entry.

Decisions (see also ARCHITECTURE.md "Tenancy"):
- A trial that ends suspends the tenant (``suspended_reason = trial_expired``): its hosts show a
  "trial ended" page, its tokens are refused. Changing it to any plan lifts that suspension.
  Read-only was the alternative; it would need every write path to know about it, for an
  account that has not paid.
- A plan change below current usage is refused with each resource over the new limit named.
- Deleting keeps the schema (and the backups) for ``TENANT_DELETE_GRACE_DAYS``; a restore until
  the purge job has run brings it back exactly as it was, in the status it had. The purge drops
  the schema and the tenant's files and keeps the registry row, marked ``purged``.
- A self-service sign-up whose owner never confirmed the email is purged the same way after
  ``UNVERIFIED_TENANT_HOURS`` (``purge_unverified``): it never held data (nobody could log in), so
  no grace period and no final backup. The row stays, marked ``purged``, like every purge: backups
  and the platform audit refer to tenants by slug, and a slug reused by someone else would mix
  their history. Sign-up rate limits bound how many addresses this can hold.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.platform import plans
from app.platform.audit import PlatformActor, record, record_now
from app.platform.models import OneTimeToken
from app.platform.quotas import MB, storage_bytes
from app.platform.usage import USAGE
from app.settings import Settings
from tenancy import registry
from tenancy.migrate import drop_schema, quote_ident
from tenancy.models import SuspendedReason, Tenant, TenantStatus

log = logging.getLogger("dealercrm.platform")
TENANTS = cast(Table, Tenant.__table__)


class LifecycleRefused(Exception):
    """An operation that does not apply to the tenant as it is; ``message`` says why, for people."""

    code = "refused"

    def __init__(self, message: str, **facts: Any) -> None:
        super().__init__(message)
        self.message = message
        self.facts = facts


class TenantGone(LifecycleRefused):
    code = "gone"


class TenantPurged(LifecycleRefused):
    code = "purged"


class NotDeleted(LifecycleRefused):
    code = "not_deleted"


class FinalBackupFailed(LifecycleRefused):
    code = "final_backup_failed"


# -- plans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverLimit:
    resource: str
    used: int
    limit: int


class PlanChangeRefused(LifecycleRefused):
    """The tenant uses more than the new plan allows; ``over`` names each resource and its numbers."""

    code = "over_limit"

    def __init__(self, slug: str, plan: str, over: list[OverLimit]) -> None:
        detail = "; ".join(f"{o.resource}: {o.used:,} in use, {plan} allows {o.limit:,}" for o in over)
        super().__init__(f"{slug} cannot move to {plan}: {detail}", plan=plan)
        self.plan = plan
        self.over = over


@dataclass(frozen=True)
class LiveUsage:
    users: int
    customers: int
    storage_mb: int  # rounded up

    def of(self, resource: str) -> int | None:
        return {"users": self.users, "customers": self.customers, "storage_mb": self.storage_mb}.get(resource)


async def live_usage(conn: AsyncConnection, schema: str, files_dir: Path) -> LiveUsage:
    """One tenant's usage measured now (an operator action, not the console's list)."""
    s = quote_ident(schema)
    row = (
        await conn.execute(
            text(
                f"SELECT (SELECT count(*) FROM {s}.users WHERE is_active), "
                f"(SELECT count(*) FROM {s}.customers WHERE deleted_at IS NULL)"
            )
        )
    ).one()
    used_bytes = await storage_bytes(files_dir, schema)
    return LiveUsage(int(row[0]), int(row[1]), -(-used_bytes // MB))


async def change_plan(
    engine: AsyncEngine, settings: Settings, slug: str, plan_slug: str, by: PlatformActor
) -> Tenant:
    """Move a tenant to another plan; its limits are mirrored into its schema in the same transaction.

    Refused (``PlanChangeRefused``, audited as such) when current usage exceeds a new limit.
    Choosing ``trial`` starts a fresh trial period; any plan lifts a trial-expiry suspension.
    """
    plan = plans.get_plan(plan_slug)
    async with engine.begin() as conn:
        tenant = await registry.get_tenant(conn, slug, for_update=True)
        if tenant is None:
            raise registry.TenantNotFound(slug)
        if tenant.status in (TenantStatus.DELETED, TenantStatus.PURGED):
            raise TenantGone(
                f"{slug} is {tenant.status}; restore it before changing its plan", status=tenant.status
            )
        usage = await live_usage(conn, tenant.schema_name, settings.files_dir)
        over = [
            OverLimit(resource, used, limit)
            for resource in ("users", "customers", "storage_mb")
            if (limit := plan.limit(resource)) is not None and (used := usage.of(resource) or 0) > limit
        ]
        if not over:
            trial_ends_at = plans.trial_end(plan)
            values: dict[str, Any] = {"plan": plan.slug, "trial_ends_at": trial_ends_at}
            if (
                tenant.status == TenantStatus.SUSPENDED
                and tenant.suspended_reason == SuspendedReason.TRIAL_EXPIRED
            ):
                values.update(registry.status_values(TenantStatus.ACTIVE))
            changed = await registry.update_tenant(conn, slug, **values)
            await plans.write_mirror(conn, tenant.schema_name, plans.PlanLimits.of(plan, trial_ends_at))
            await record(
                conn,
                by,
                "plan_change",
                slug,
                {
                    "from": tenant.plan,
                    "to": plan.slug,
                    "trial_ends_at": trial_ends_at.isoformat() if trial_ends_at else None,
                    "resumed": "status" in values,
                },
            )
            return changed
    refusal = PlanChangeRefused(slug, plan.slug, over)
    await record_now(
        engine,
        by,
        "plan_change_refused",
        slug,
        {"to": plan.slug, "over": [{"resource": o.resource, "used": o.used, "limit": o.limit} for o in over]},
    )
    raise refusal


async def expire_trials(engine: AsyncEngine, *, now: datetime | None = None) -> list[str]:
    """Suspend every active tenant whose trial has ended (the cron job); their slugs."""
    now = now or datetime.now(UTC)
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                update(TENANTS)
                .where(
                    TENANTS.c.status == TenantStatus.ACTIVE,
                    TENANTS.c.plan == plans.TRIAL,
                    TENANTS.c.trial_ends_at <= now,
                )
                .values(
                    status=TenantStatus.SUSPENDED,
                    suspended_at=now,
                    suspended_reason=SuspendedReason.TRIAL_EXPIRED,
                )
                .returning(TENANTS.c.slug, TENANTS.c.trial_ends_at)
            )
        ).all()
        for slug, ended in rows:
            await record(
                conn, PlatformActor.system(), "trial_expired", slug, {"trial_ends_at": ended.isoformat()}
            )
    return sorted(slug for slug, _ in rows)


# -- delete, restore, purge -----------------------------------------------------------------------

FinalBackup = Callable[[Any, Settings, Tenant], Awaitable[str | None]]


async def take_final_backup(db: Any, settings: Settings, tenant: Tenant) -> str | None:
    """THE FINAL-BACKUP HOOK: a verified backup of the tenant's schema before it is marked deleted.

    Uses the backup service (app/backups: an encrypted pg_dump, restored into a scratch schema and
    compared table by table) and returns the backup's id. A failing backup or verification raises,
    and the delete does not happen.
    """
    # Imported here: the backup service imports the registry and settings this module sits beside.
    from app.backups.models import BackupKind
    from app.backups.service import run_backup
    from app.backups.verify import verify_backup

    backup = await run_backup(db, tenant.slug, kind=BackupKind.MANUAL, settings=settings)
    await verify_backup(db, backup.id, settings=settings)
    return str(backup.id)


async def delete_tenant(
    db: Any,
    settings: Settings,
    slug: str,
    by: PlatformActor,
    *,
    final_backup: FinalBackup = take_final_backup,
) -> Tenant:
    """Mark a tenant deleted: its hosts are refused at once; its schema stays until ``delete_after``."""
    engine: AsyncEngine = db.engine
    async with engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    if tenant is None:
        raise registry.TenantNotFound(slug)
    _refuse_unless_live(tenant)
    try:
        backup_id = await final_backup(db, settings, tenant)
    except Exception as exc:
        log.exception("final backup of %s failed; not deleted", slug)
        await record_now(
            engine, by, "delete_refused", slug, {"reason": "final_backup_failed", "error": str(exc)[:500]}
        )
        raise FinalBackupFailed(f"the final backup of {slug} failed, so it was not deleted: {exc}") from exc
    now = datetime.now(UTC)
    delete_after = now + timedelta(days=settings.tenant_delete_grace_days)
    async with engine.begin() as conn:
        current = await registry.get_tenant(conn, slug, for_update=True)
        if current is None:
            raise registry.TenantNotFound(slug)
        _refuse_unless_live(current)
        changed = await registry.update_tenant(
            conn,
            slug,
            status=TenantStatus.DELETED,
            deleted_at=now,
            delete_after=delete_after,
            status_before_delete=current.status,
        )
        await record(
            conn,
            by,
            "delete",
            slug,
            {
                "delete_after": delete_after.isoformat(),
                "final_backup": backup_id,
                "status_before": current.status,
            },
        )
    return changed


def _refuse_unless_live(tenant: Tenant) -> None:
    if tenant.status == TenantStatus.DELETED:
        raise TenantGone(
            f"{tenant.slug} is already deleted; it will be purged after "
            f"{tenant.delete_after:%Y-%m-%d %H:%M} UTC",
            status=tenant.status,
        )
    if tenant.status == TenantStatus.PURGED:
        raise TenantPurged(
            f"{tenant.slug} was purged on {tenant.purged_at:%Y-%m-%d %H:%M} UTC", status=tenant.status
        )


async def restore_tenant(engine: AsyncEngine, slug: str, by: PlatformActor) -> Tenant:
    """Bring a deleted tenant back as it was (same schema, same status), until it has been purged."""
    async with engine.begin() as conn:
        tenant = await registry.get_tenant(conn, slug, for_update=True)
        if tenant is None:
            raise registry.TenantNotFound(slug)
        if tenant.status == TenantStatus.DELETED:
            restored = await registry.update_tenant(
                conn,
                slug,
                status=tenant.status_before_delete or TenantStatus.ACTIVE,
                deleted_at=None,
                delete_after=None,
                status_before_delete=None,
            )
            await record(
                conn,
                by,
                "restore",
                slug,
                {"deleted_at": tenant.deleted_at.isoformat() if tenant.deleted_at else None},
            )
            return restored
    if tenant.status == TenantStatus.PURGED:
        refusal: LifecycleRefused = TenantPurged(
            f"{slug} cannot be restored: its grace period ended and it was purged on "
            f"{tenant.purged_at:%Y-%m-%d %H:%M} UTC. Only a backup can bring its data back.",
            purged_at=tenant.purged_at,
        )
    else:
        refusal = NotDeleted(f"{slug} is not deleted (it is {tenant.status}); there is nothing to restore")
    await record_now(engine, by, "restore_refused", slug, {"reason": refusal.code})
    raise refusal


@dataclass
class PurgeReport:
    purged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def purge_due(engine: AsyncEngine, settings: Settings, *, now: datetime | None = None) -> PurgeReport:
    """Purge every deleted tenant whose grace period has ended (the cron job).

    One transaction per tenant: the schema is dropped, the row marked ``purged`` and the audit entry
    written together (PostgreSQL DDL is transactional), then the tenant's files are removed. A
    failure is reported and the others go on.
    """
    now = now or datetime.now(UTC)
    report = PurgeReport()
    async with engine.connect() as conn:
        due = list(
            (
                await conn.execute(
                    select(TENANTS.c.slug)
                    .where(TENANTS.c.status == TenantStatus.DELETED, TENANTS.c.delete_after <= now)
                    .order_by(TENANTS.c.delete_after)
                )
            ).scalars()
        )
    for slug in due:
        try:
            schema = await _purge_one(engine, slug, now)
        except Exception as exc:  # noqa: BLE001 - reported; the next tenant still goes
            log.exception("purge of %s failed", slug)
            report.failed[slug] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        if schema is not None:
            await asyncio.to_thread(shutil.rmtree, settings.files_dir / schema, True)
            report.purged.append(slug)
    return report


async def _purge_one(engine: AsyncEngine, slug: str, now: datetime) -> str | None:
    async with engine.begin() as conn:
        tenant = await registry.get_tenant(conn, slug, for_update=True)
        # Restored (or purged) since the list was read: leave it.
        if (
            tenant is None
            or tenant.status != TenantStatus.DELETED
            or not tenant.delete_after
            or tenant.delete_after > now
        ):
            return None
        await drop_schema(conn, tenant.schema_name)
        await registry.update_tenant(conn, slug, status=TenantStatus.PURGED, purged_at=now)
        await conn.execute(USAGE.delete().where(USAGE.c.tenant_slug == slug))
        await record(
            conn,
            PlatformActor.system(),
            "purge",
            slug,
            {
                "schema": tenant.schema_name,
                "deleted_at": tenant.deleted_at.isoformat() if tenant.deleted_at else None,
            },
        )
    return tenant.schema_name


# -- sign-ups never confirmed ---------------------------------------------------------------------

TOKENS = cast(Table, OneTimeToken.__table__)


async def purge_unverified(
    engine: AsyncEngine, settings: Settings, *, now: datetime | None = None
) -> PurgeReport:
    """Purge every tenant whose owner has not confirmed the sign-up email ``unverified_tenant_hours``
    after signing up (the cron job): schema dropped, files and pending links removed, row ``purged``.

    Each tenant in its own transaction, re-checked under a row lock (a link opened a moment ago
    wins); a failure is reported and the others go on. Deleted tenants are left to ``purge_due``.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(hours=settings.unverified_tenant_hours)
    report = PurgeReport()
    async with engine.connect() as conn:
        due = list(
            (
                await conn.execute(
                    select(TENANTS.c.slug)
                    .where(
                        TENANTS.c.email_verified_at.is_(None),
                        TENANTS.c.created_at <= cutoff,
                        TENANTS.c.status.in_([TenantStatus.ACTIVE, TenantStatus.SUSPENDED]),
                    )
                    .order_by(TENANTS.c.created_at)
                )
            ).scalars()
        )
    for slug in due:
        try:
            schema = await _purge_unverified_one(engine, slug, cutoff, now)
        except Exception as exc:  # noqa: BLE001 - reported; the next tenant still goes
            log.exception("purge of unverified %s failed", slug)
            report.failed[slug] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        if schema is not None:
            await asyncio.to_thread(shutil.rmtree, settings.files_dir / schema, True)
            report.purged.append(slug)
    return report


async def _purge_unverified_one(
    engine: AsyncEngine, slug: str, cutoff: datetime, now: datetime
) -> str | None:
    async with engine.begin() as conn:
        tenant = await registry.get_tenant(conn, slug, for_update=True)
        if (
            tenant is None
            or tenant.email_verified_at is not None
            or tenant.created_at > cutoff
            or tenant.status not in (TenantStatus.ACTIVE, TenantStatus.SUSPENDED)
        ):
            return None
        await drop_schema(conn, tenant.schema_name)
        await registry.update_tenant(conn, slug, status=TenantStatus.PURGED, purged_at=now)
        await conn.execute(USAGE.delete().where(USAGE.c.tenant_slug == slug))
        await conn.execute(TOKENS.delete().where(TOKENS.c.tenant_slug == slug))
        await record(
            conn,
            PlatformActor.system(),
            "unverified_purge",
            slug,
            {"schema": tenant.schema_name, "created_at": tenant.created_at.isoformat()},
        )
    return tenant.schema_name
