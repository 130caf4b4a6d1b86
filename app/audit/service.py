"""Writing and reading audit records. Writes join the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts  # the module: accounts.service imports this one
from app.accounts.permissions import AUDIT_READ, SCOPE_ALL
from app.audit import repository as repo
from app.audit.models import AuditRecord
from app.domain import Actor, PermissionDenied


def record(
    session: AsyncSession,
    actor: Actor,
    *,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditRecord:
    """Add an audit record to the current transaction: it commits or rolls back with the change."""
    entry = AuditRecord(
        actor_id=actor.user_id if actor.via != "system" else None,
        actor_label=actor.label[:120],
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
        ip=actor.ip,
        request_id=actor.request_id,
    )
    session.add(entry)
    return entry


def row(
    actor: Actor,
    *,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """``record``'s audit record as a row, for writing many in one INSERT (``record_many``)."""
    return {
        "actor_id": actor.user_id if actor.via != "system" else None,
        "actor_label": actor.label[:120],
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "before": before,
        "after": after,
        "ip": actor.ip,
        "request_id": actor.request_id,
    }


async def record_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many audit records (``row``'s) in one INSERT, in the current transaction: an import's chunk."""
    if rows:
        await session.execute(insert(AuditRecord), list(rows))


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_records(
    session: AsyncSession,
    actor: Actor,
    filters: AuditFilter,
    *,
    limit: int = 50,
    before_id: int | None = None,
) -> Sequence[AuditRecord]:
    """Records the actor may read, newest first.

    Audit reads follow the data scope of the records they describe: with scope "own" or "team", a
    customer's records show only while the customer (deleted or not) belongs to someone in scope,
    and records of anything else only when someone in scope made them. Otherwise the log would
    show what the customer page hides (name, mobile, notes in the snapshots).
    """
    if not actor.can(AUDIT_READ):
        raise PermissionDenied(AUDIT_READ)
    owners = None if actor.data_scope == SCOPE_ALL else await accounts.visible_owner_ids(session, actor)
    return await repo.find(session, filters, limit=min(limit, 200), before_id=before_id, owner_ids=owners)
