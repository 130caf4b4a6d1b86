"""The reminder sweep: each due follow-up and task tells its owner once.

Per batch, in one transaction (``app.kit.sweeps.notify_due``): lock due rows that are not reminded
yet (``FOR UPDATE SKIP LOCKED``), write their notifications (and the deliveries of the owners'
outside channels), set ``reminded_at``, commit. A sweep killed mid-batch rolls back, so that batch
is reminded by the next run; a concurrent sweep skips locked rows; and the notification's natural
key (``follow_up:<id>:<time>``) makes a repeat a no-op even if both guards failed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.db import Database
from app.followups import repository as repo
from app.followups.notices import (
    FOLLOW_UP_DUE,
    FOLLOW_UP_DUE_BODY,
    FOLLOW_UP_DUE_TITLE,
    TASK_DUE,
    TASK_DUE_TITLE,
)
from app.kit.fields import LOCAL_TZ
from app.kit.sweeps import notify_due
from app.notifications.service import Note
from tenancy.models import TenantStatus
from tenancy.registry import list_tenants

log = logging.getLogger("dealercrm.reminders")


@dataclass
class ReminderRun:
    follow_ups: int = 0
    tasks: int = 0


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")


def _follow_up_note(row: Any, owner: uuid.UUID) -> Note:
    return Note(
        owner,
        FOLLOW_UP_DUE_TITLE,
        FOLLOW_UP_DUE_BODY,
        {"customer": row.name, "at": _local(row.next_at)},
        f"/customers/{row.customer_id}#follow-ups",
        f"follow_up:{row.id}:{row.next_at.isoformat()}",
    )


def _task_note(row: Any, owner: uuid.UUID) -> Note:
    return Note(
        owner,
        TASK_DUE_TITLE,
        params={"task": row.title},
        link=f"/work#task-{row.id}",
        dedupe_key=f"task:{row.id}:{row.due_at.isoformat()}",
    )


async def remind_tenant(
    db: Database, schema: str, *, now: datetime | None = None, batch: int = 500, pause_ms: int = 0
) -> ReminderRun:
    """Remind every due follow-up and task of one tenant, batch by batch (each batch commits)."""
    moment = now or datetime.now(UTC)

    follow_ups = await notify_due(
        db,
        schema,
        FOLLOW_UP_DUE,
        claim=lambda session: repo.claim_due_follow_ups(session, moment, batch),
        note=_follow_up_note,
        mark=lambda session, rows: repo.mark_follow_ups_reminded(session, [row.id for row in rows], moment),
        pause_ms=pause_ms,
    )
    tasks = await notify_due(
        db,
        schema,
        TASK_DUE,
        claim=lambda session: repo.claim_due_tasks(session, moment, batch),
        note=_task_note,
        mark=lambda session, rows: repo.mark_tasks_reminded(session, [row.id for row in rows], moment),
    )
    return ReminderRun(follow_ups=follow_ups, tasks=tasks)


async def active_tenants(db: Database) -> list[tuple[str, str]]:
    """(schema, slug) of every active tenant."""
    async with db.engine.connect() as conn:
        tenants = await list_tenants(conn)
    return [(t.schema_name, t.slug) for t in tenants if t.status == TenantStatus.ACTIVE]
