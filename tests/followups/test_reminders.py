"""Reminders fire once: every due follow-up and task tells its owner exactly once, however often
and however concurrently the sweep runs; deliveries through outside channels are recorded, retried
with backoff, and a dead run's claims are taken over after their lease."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from reminder_kit import due_follow_ups, notification_count, wants_email
from sqlalchemy import func, select, update

from app.domain import ValidationFailed
from app.followups.reminders import remind_tenant
from app.followups.service import FollowUpService
from app.notifications import service as notifications
from app.notifications.channels import RecordingChannel
from app.notifications.delivery import LEASE, deliver_pending
from app.notifications.models import Notification, NotificationDelivery


async def test_each_due_follow_up_is_reminded_once_however_often_the_sweep_runs(
    app: Litestar, tenant: TenantKit
) -> None:
    await due_follow_ups(app, tenant, "sales_a", 120)
    first = await remind_tenant(app.state.db, tenant.schema, batch=50)
    again = await remind_tenant(app.state.db, tenant.schema, batch=50)
    assert (first.follow_ups, again.follow_ups) == (120, 0)
    assert await notification_count(app, tenant, "follow_up.due") == (120, 120)
    zhang = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await notifications.unread_count(session, zhang) == 100  # the bell's cap: "99+"
        newest = (await notifications.page(session, zhang, first=1)).items[0]
        # Reminders read in the reader's language, with the customer and the planned time.
        assert notifications.render(newest.title, newest.params).startswith("跟进客户：提醒客户")


async def test_two_sweeps_at_once_remind_each_follow_up_once(app: Litestar, tenant: TenantKit) -> None:
    """Two workers' sweeps overlap (a slow minute): rows one holds the other skips."""
    await due_follow_ups(app, tenant, "sales_a", 300)
    runs = await asyncio.gather(*(remind_tenant(app.state.db, tenant.schema, batch=20) for _ in range(3)))
    assert sum(r.follow_ups for r in runs) == 300
    assert await notification_count(app, tenant, "follow_up.due") == (300, 300)


async def test_a_new_next_time_is_reminded_again_and_a_done_one_never(
    app: Litestar, tenant: TenantKit
) -> None:
    [first, second] = await due_follow_ups(app, tenant, "sales_a", 2, customers=2)
    await remind_tenant(app.state.db, tenant.schema)
    zhang = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = FollowUpService(session, zhang)
        record = await service.get(first)
        soon = datetime.now(UTC) + timedelta(minutes=2)
        await service.update(first, record.version, {"next_at": soon.isoformat()})
    # Not due yet: nothing; due: one more reminder for the new time.
    assert (await remind_tenant(app.state.db, tenant.schema)).follow_ups == 0
    later = datetime.now(UTC) + timedelta(minutes=3)
    assert (await remind_tenant(app.state.db, tenant.schema, now=later)).follow_ups == 1
    assert await notification_count(app, tenant, "follow_up.due") == (3, 3)
    # A follow-up planned and then done (the next one was logged) is not reminded of.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(Notification).values(read_at=func.now()))
        planned = await FollowUpService(session, zhang).get(second)
        customer = planned.customer_id
        await session.execute(
            update(type(planned)).where(type(planned).id == second).values(reminded_at=None)
        )
        await session.commit()
        await FollowUpService(session, zhang).create(
            {"customer_id": customer, "channel": "visit", "summary": "上门了"}
        )
    assert (await remind_tenant(app.state.db, tenant.schema, now=later)).follow_ups == 0


async def test_email_is_delivered_once_and_a_failing_channel_backs_off(
    app: Litestar, tenant: TenantKit
) -> None:
    await wants_email(app, tenant, "sales_a", "follow_up.due")
    await due_follow_ups(app, tenant, "sales_a", 3)
    await due_follow_ups(app, tenant, "sales_b", 2)  # 李娜 keeps the default: in the app only
    await remind_tenant(app.state.db, tenant.schema)
    email = RecordingChannel("email", failures=1)
    first = await deliver_pending(app.state.db, tenant.schema, {"email": email})
    # One attempt failed (retried later), two went out.
    assert (first.sent, first.retrying, first.failed) == (2, 1, 0)
    assert {m.to_email for m in email.sent} == {tenant.email("sales_a")}
    assert (await deliver_pending(app.state.db, tenant.schema, {"email": email})).sent == 0  # backing off
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert (await deliver_pending(app.state.db, tenant.schema, {"email": email}, now=later)).sent == 1
    assert len(email.sent) == 3 and len({m.key for m in email.sent}) == 3
    assert email.sent[0].title.startswith("跟进客户：")


async def test_a_dead_runs_claims_are_taken_over_after_the_lease(app: Litestar, tenant: TenantKit) -> None:
    """A sweep claimed deliveries and died before sending: after the lease they are sent, once."""
    await wants_email(app, tenant, "sales_a", "follow_up.due")
    await due_follow_ups(app, tenant, "sales_a", 4)
    await remind_tenant(app.state.db, tenant.schema)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            update(NotificationDelivery).values(status="sending", claimed_at=func.now(), attempts=1)
        )
        await session.commit()
    email = RecordingChannel("email")
    assert (await deliver_pending(app.state.db, tenant.schema, {"email": email})).sent == 0  # still leased
    after_lease = datetime.now(UTC) + LEASE + timedelta(seconds=1)
    assert (await deliver_pending(app.state.db, tenant.schema, {"email": email}, now=after_lease)).sent == 4
    async with app.state.db.tenant_session(tenant.schema) as session:
        statuses = (await session.scalars(select(NotificationDelivery.status))).all()
    assert statuses == ["sent"] * 4 and len(email.sent) == 4


async def test_switched_off_in_the_app_it_is_listed_but_the_bell_is_quiet(
    app: Litestar, tenant: TenantKit
) -> None:
    zhang = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await notifications.set_preferences(session, zhang, {("follow_up.due", "in_app"): False})
        with pytest.raises(ValidationFailed):
            await notifications.set_preferences(session, zhang, {("no.such.kind", "email"): True})
        rows = {row.kind.key: row.channels for row in await notifications.preferences(session, zhang)}
        assert rows["follow_up.due"] == {"in_app": False, "email": False, "sms": False}
        assert rows["task.assigned"]["in_app"] is True
    await due_follow_ups(app, tenant, "sales_a", 2)
    await remind_tenant(app.state.db, tenant.schema)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await notifications.unread_count(session, zhang) == 0
        assert (await notifications.page(session, zhang)).total == 2
