"""Per-tenant cron sweeps that tell owners about due rows, a batch a transaction.

    told = await notify_due(
        db, schema, FOLLOW_UP_DUE,
        claim=lambda session: repo.claim_due_follow_ups(session, now, 500),   # locked, SKIP LOCKED
        note=lambda row, owner: Note(owner, ...),
        mark=lambda session, rows: repo.mark_follow_ups_reminded(session, [r.id for r in rows], now),
    )

Per batch, in one transaction: claim due rows nobody was told about yet (the claim locks them and
skips rows a concurrent sweep holds), write their notifications (a note's natural key makes a repeat
a no-op), mark the rows told, commit. A sweep killed mid-batch rolls back, so the next run tells that
batch; the sweep ends when a claim finds nothing. The follow-up reminders and the leads' overdue
notices run on it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.notifications.kinds import Kind
from app.notifications.service import Note, send_notes


class Owned(Protocol):
    @property
    def owner_id(self) -> uuid.UUID | None: ...


Row = TypeVar("Row", bound=Owned)


async def notify_due(
    db: Database,
    schema: str,
    kind: Kind,
    *,
    claim: Callable[[AsyncSession], Awaitable[Sequence[Row]]],
    note: Callable[[Row, uuid.UUID], Note],
    mark: Callable[[AsyncSession, Sequence[Row]], Awaitable[object]],
    pause_ms: int = 0,
) -> int:
    """Tell the owners of every due row of one tenant, batch by batch; the number of rows marked.

    ``claim`` returns the next batch (empty: done); ``note`` writes a row's notification to its owner
    (``row.owner_id``; a row without one is marked all the same: nobody to tell); ``mark`` records
    the batch as told; ``pause_ms`` rests between batches (a sweep that shares the database with requests).
    """
    count = 0
    while True:
        async with db.tenant_session(schema) as session:
            rows = await claim(session)
            if not rows:
                break
            notes = [note(row, row.owner_id) for row in rows if row.owner_id is not None]
            await send_notes(session, kind, notes)
            await mark(session, rows)
            await session.commit()
            count += len(rows)
        if pause_ms:
            await asyncio.sleep(pause_ms / 1000)
    return count
