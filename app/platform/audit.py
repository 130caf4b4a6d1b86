"""The platform audit log: every operator action on a tenant (and the system's own: trial expiry,
purge), with who, from where and the request id. Writes join the caller's transaction."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.kit.enums import N_
from app.platform.models import PlatformAuditEntry

AUDIT = cast(Table, PlatformAuditEntry.__table__)

# Actions, for the console's filter (the log accepts others too), with their label msgids.
ACTION_LABELS: dict[str, str] = {
    "operator_login": N_("Operator signed in"),
    "operator_locked": N_("Operator locked out"),
    "suspend": N_("Suspended"),
    "resume": N_("Resumed"),
    "plan_change": N_("Plan changed"),
    "plan_change_refused": N_("Plan change refused"),
    "delete": N_("Deleted"),
    "delete_refused": N_("Deletion refused"),
    "restore": N_("Restored"),
    "restore_refused": N_("Restore refused"),
    "purge": N_("Purged"),
    "trial_expired": N_("Trial expired"),
    "unverified_purge": N_("Unconfirmed sign-up purged"),
    "support_link": N_("Support access granted"),
    "support_enter": N_("Support session started"),
    "support_refused": N_("Support access refused"),
    "support_request": N_("Request in a support session"),
    "support_leave": N_("Support session ended"),
}
ACTIONS = tuple(ACTION_LABELS)
# Keys of an entry's details, with their label msgids (others are shown as they are).
DETAIL_LABELS: dict[str, str] = {
    "from": N_("Previous plan"),
    "to": N_("New plan"),
    "trial_ends_at": N_("Trial ends"),
    "delete_after": N_("Deleted for good after"),
    "final_backup": N_("Final backup"),
    "status_before": N_("Status before"),
    "deleted_at": N_("Deleted at"),
    "created_at": N_("Created at"),
    "schema": N_("Schema"),
    "reason": N_("Reason"),
    "minutes": N_("Minutes"),
    "until": N_("Until"),
    "grant_until": N_("Access until"),
    "method": N_("Method"),
    "path": N_("Path"),
    "at": N_("At"),
    "error": N_("Error"),
}


@dataclass(frozen=True)
class PlatformActor:
    """Who acts on the platform: an operator in the console, the CLI's user, or the system (cron)."""

    operator_id: uuid.UUID | None
    email: str
    name: str = ""
    ip: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls) -> PlatformActor:
        return cls(operator_id=None, email="system", name="system")

    @classmethod
    def cli(cls) -> PlatformActor:
        try:
            user = getpass.getuser()
        except Exception:  # no login name in a container: still say it was the command line
            user = "unknown"
        return cls(operator_id=None, email=f"cli:{user}"[:254], name="cli")


async def record(
    conn: AsyncConnection,
    by: PlatformActor,
    action: str,
    tenant_slug: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry in the caller's transaction: it commits or rolls back with the change."""
    await conn.execute(
        insert(AUDIT).values(
            operator_id=by.operator_id,
            operator_email=by.email[:254],
            action=action,
            tenant_slug=tenant_slug,
            details=details or {},
            ip=by.ip,
            request_id=by.request_id,
        )
    )


async def record_now(
    engine: AsyncEngine,
    by: PlatformActor,
    action: str,
    tenant_slug: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """An entry in a transaction of its own (for actions that change nothing else: a refusal)."""
    async with engine.begin() as conn:
        await record(conn, by, action, tenant_slug, details)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    tenant_slug: str | None = None
    operator: str | None = None  # part of the operator's email
    since: datetime | None = None
    until: datetime | None = None


async def list_entries(
    engine: AsyncEngine, filters: AuditFilter, *, limit: int = 50, before_id: int | None = None
) -> Sequence[PlatformAuditEntry]:
    """Newest first; ``before_id`` continues from the last entry of the previous page."""
    query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(min(max(limit, 1), 200))
    if filters.action:
        query = query.where(AUDIT.c.action == filters.action)
    if filters.tenant_slug:
        query = query.where(AUDIT.c.tenant_slug == filters.tenant_slug)
    if filters.operator:
        escaped = filters.operator.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AUDIT.c.operator_email.ilike(f"%{escaped}%", escape="\\"))
    if filters.since:
        query = query.where(AUDIT.c.at >= filters.since)
    if filters.until:
        query = query.where(AUDIT.c.at < filters.until)
    if before_id is not None:
        query = query.where(AUDIT.c.id < before_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [PlatformAuditEntry(**row) for row in rows]
