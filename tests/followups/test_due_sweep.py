"""The batched sweep under the reminders and the leads' overdue notices (``app.kit.sweeps.notify_due``):
a due row without an owner is marked with nobody to tell; a batch that fails leaves nothing half
done (no notification, no mark), and the next run tells that batch, once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from reminder_kit import due_follow_ups, notification_count
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.followups import repository as repo
from app.followups.models import FollowUp
from app.followups.notices import FOLLOW_UP_DUE, FOLLOW_UP_DUE_TITLE
from app.followups.reminders import remind_tenant
from app.kit.sweeps import notify_due
from app.notifications.service import Note


def _note(row: Any, owner: uuid.UUID) -> Note:
    return Note(owner, FOLLOW_UP_DUE_TITLE, dedupe_key=f"follow_up:{row.id}:{row.next_at.isoformat()}")


async def test_a_follow_up_without_an_owner_is_marked_and_nobody_is_told(
    app: Litestar, tenant: TenantKit
) -> None:
    ids = await due_follow_ups(app, tenant, "sales_a", 3)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(FollowUp).where(FollowUp.id == ids[0]).values(owner_id=None))
        await session.commit()

    assert (await remind_tenant(app.state.db, tenant.schema)).follow_ups == 3
    assert await notification_count(app, tenant, "follow_up.due") == (2, 2)
    # Marked all the same: the next run has nothing left to claim.
    assert (await remind_tenant(app.state.db, tenant.schema)).follow_ups == 0
    async with app.state.db.tenant_session(tenant.schema) as session:
        unmarked = await session.scalars(select(FollowUp.id).where(FollowUp.reminded_at.is_(None)))
        assert unmarked.all() == []


async def test_a_failing_batch_is_undone_whole_and_the_next_run_tells_it_once(
    app: Litestar, tenant: TenantKit
) -> None:
    await due_follow_ups(app, tenant, "sales_a", 5)
    now = datetime.now(UTC)
    batches: list[int] = []

    async def mark_then_die_on_the_second(session: AsyncSession, rows: Sequence[Any]) -> None:
        batches.append(len(rows))
        await repo.mark_follow_ups_reminded(session, [row.id for row in rows], now)
        if len(batches) == 2:
            raise RuntimeError("the worker died mid-batch")

    with pytest.raises(RuntimeError, match="mid-batch"):
        await notify_due(
            app.state.db,
            tenant.schema,
            FOLLOW_UP_DUE,
            claim=lambda session: repo.claim_due_follow_ups(session, now, 2),
            note=_note,
            mark=mark_then_die_on_the_second,
        )
    # The first batch committed; the second left neither notifications nor marks.
    assert batches == [2, 2]
    assert await notification_count(app, tenant, "follow_up.due") == (2, 2)

    told = await notify_due(
        app.state.db,
        tenant.schema,
        FOLLOW_UP_DUE,
        claim=lambda session: repo.claim_due_follow_ups(session, now, 2),
        note=_note,
        mark=lambda session, rows: repo.mark_follow_ups_reminded(session, [row.id for row in rows], now),
    )
    assert told == 3  # two batches: 2 and 1
    assert await notification_count(app, tenant, "follow_up.due") == (5, 5)
