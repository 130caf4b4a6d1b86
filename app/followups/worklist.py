"""A person's work list: planned follow-ups and open tasks, overdue / today / upcoming."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, PermissionDenied
from app.followups import repository as repo
from app.kit.fields import LOCAL_TZ

# How far ahead "upcoming" looks, and how many items each list holds at most.
UPCOMING_DAYS = 7
LIST_LIMIT = 50


@dataclass(frozen=True)
class WorkItem:
    kind: str  # "follow_up" | "task"
    id: uuid.UUID
    title: str  # the customer's name, or the task's title
    at: datetime
    version: int
    customer_id: uuid.UUID | None = None
    customer_name: str | None = None
    channel: str | None = None  # follow-ups: how it was planned


@dataclass
class WorkList:
    overdue: list[WorkItem] = field(default_factory=list)
    today: list[WorkItem] = field(default_factory=list)
    upcoming: list[WorkItem] = field(default_factory=list)

    @property
    def due_count(self) -> int:
        return len(self.overdue) + len(self.today)


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the local day ``now`` falls in (dealers' time zone)."""
    local = now.astimezone(LOCAL_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


async def work_list(session: AsyncSession, actor: Actor, *, now: datetime | None = None) -> WorkList:
    """The actor's own planned follow-ups and open tasks, soonest first, split by day."""
    if not actor.can("customers:read"):
        raise PermissionDenied("customers:read")
    now = now or datetime.now(UTC)
    start, end = day_bounds(now)
    until = end + timedelta(days=UPCOMING_DAYS)
    items = [
        WorkItem(
            "follow_up",
            f.id,
            name,
            f.next_at,
            f.version,
            f.customer_id,
            name,
            f.channel,  # type: ignore[arg-type]
        )
        for f, name in await repo.planned_follow_ups(session, actor.user_id, until, LIST_LIMIT * 3)
    ] + [
        WorkItem("task", t.id, t.title, t.due_at, t.version, t.customer_id, name)
        for t, name in await repo.open_tasks(session, actor.user_id, until, LIST_LIMIT * 3)
    ]
    found = WorkList()
    for item in sorted(items, key=lambda i: i.at):
        bucket = found.overdue if item.at < start else found.today if item.at < end else found.upcoming
        if len(bucket) < LIST_LIMIT:
            bucket.append(item)
    return found
