"""Reminders fire exactly once even when the worker is killed mid-sweep and restarted.

张伟 (sales_a) has 3,000 follow-ups whose planned time has come, and asked for reminders by email
too. A real ``dealercrm worker`` starts its reminder sweep (small batches with a pause, so it can be
caught half-way) and is SIGKILLed: no clean-up code runs. What it committed is whole (every reminded
follow-up has its notification, none has two); a new worker finishes the sweep at start-up. In the
end each follow-up produced exactly one notification and exactly one email.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import func, select
from worker_kit import start_worker, stop, wait_for

from app.followups.models import FollowUp
from app.notifications.models import NotificationDelivery
from app.platform.models import OutboxMail

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "followups"))
from reminder_kit import due_follow_ups, notification_count, wants_email  # noqa: E402

DUE = 3000


async def _reminded(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(await session.scalar(select(func.count()).where(FollowUp.reminded_at.is_not(None))) or 0)


async def _emails(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.engine.connect() as conn:
        query = (
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.tenant_slug == kit.slug, OutboxMail.kind == "notification:follow_up.due")
        )
        return int(await conn.scalar(query) or 0)


async def _sent(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        query = select(func.count()).where(NotificationDelivery.status == "sent")
        return int(await session.scalar(query) or 0)


async def test_a_killed_reminder_sweep_still_reminds_each_follow_up_exactly_once(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    await wants_email(app, tenant, "sales_a", "follow_up.due")
    await due_follow_ups(app, tenant, "sales_a", DUE, customers=50)
    log = tmp_path / "worker.log"

    async def where() -> str:
        told = await notification_count(app, tenant, "follow_up.due")
        return f"reminded {await _reminded(app, tenant)}, notifications {told}"

    worker = await start_worker(log, REMINDER_BATCH_SIZE="100", REMINDER_BATCH_PAUSE_MS="100")
    try:

        async def half_way() -> bool:
            done = await _reminded(app, tenant)
            assert done < DUE, "the sweep finished before it could be killed"
            return done > 0

        await wait_for(half_way, seconds=60, what="the sweep to be half-way", log=log, clue=where)
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    finally:
        await stop(worker)

    killed_at = await _reminded(app, tenant)
    # What the killed run committed is whole: a reminded follow-up has its notification, once.
    assert 0 < killed_at < DUE
    assert await notification_count(app, tenant, "follow_up.due") == (killed_at, killed_at)
    assert await _emails(app, tenant) == 0  # delivery comes after the sweep; it never got there

    worker = await start_worker(log)  # the cron sweep runs at start-up too
    try:

        async def finished() -> bool:
            return await _reminded(app, tenant) == DUE and await _sent(app, tenant) == DUE

        await wait_for(finished, seconds=120, what="the restarted worker to finish", log=log, clue=where)
    finally:
        await stop(worker)
    assert await notification_count(app, tenant, "follow_up.due") == (DUE, DUE)
    assert await _emails(app, tenant) == DUE
