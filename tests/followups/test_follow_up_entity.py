"""Follow-ups and tasks owe everything every entity owes (tests/entity_cases.py), plus their own
rules: a next follow-up time in the past is refused, a contact must be the customer's own, a new
follow-up fulfils the planned one, a task goes to an active staff member and tells them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from entity_cases import KitEntityCases
from litestar import Litestar
from sqlalchemy import select

from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.domain import ValidationFailed
from app.followups.service import FollowUpService, TaskService
from app.notifications.models import Notification

SOON = (datetime.now(UTC) + timedelta(days=2)).isoformat()
PAST = "2020-01-01T09:00"


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(**{"name": "杭州西湖家电有限公司", "kind": "company", **fields})
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


class TestFollowUpEntity(KitEntityCases):
    service = FollowUpService
    valid_input = {"channel": "call", "summary": "客户想换三台格力空调，下周到店看样机", "next_at": SOON}
    update_input = {"outcome": "interested", "summary": "客户确认周六到店"}
    bad_inputs = [
        ({"summary": ""}, {("summary", "required")}),
        ({"channel": "fax"}, {("channel", "invalid_choice")}),
        ({"outcome": "maybe"}, {("outcome", "invalid_choice")}),
        # A next follow-up time in the past is refused, with nothing written.
        ({"next_at": PAST}, {("next_at", "in_the_past")}),
        ({"next_at": "下周一"}, {("next_at", "invalid_datetime")}),
        ({"contact_id": str(uuid.uuid4())}, {("contact_id", "unknown_contact")}),
        ({"customer_id": str(uuid.uuid4())}, {("customer_id", "unknown_customer")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        # A customer of its own for every input (one name twice would be a duplicate).
        return {"customer_id": await _customer(app, kit, self.writer, name=f"西湖家电{uuid.uuid4().hex[:6]}")}


class TestTaskEntity(KitEntityCases):
    service = TaskService
    valid_input = {"title": "给李女士回电确认安装时间", "due_at": SOON}
    update_input = {"title": "给李女士回电确认送货时间"}
    bad_inputs = [
        ({"title": ""}, {("title", "required")}),
        ({"due_at": ""}, {("due_at", "required")}),
        ({"due_at": PAST}, {("due_at", "in_the_past")}),
        ({"owner_id": str(uuid.uuid4())}, {("owner_id", "unknown_staff")}),
        ({"customer_id": str(uuid.uuid4())}, {("customer_id", "unknown_customer")}),
    ]


async def test_a_contact_of_another_customer_is_refused(app: Litestar, tenant: TenantKit) -> None:
    """张伟 cannot file a call with 周经理 of one company under another company."""
    mine = await _customer(app, tenant, "sales_a")
    other = await _customer(app, tenant, "sales_a", name="宁波三江电器有限公司")
    async with app.state.db.tenant_session(tenant.schema) as session:
        zhang = await actor(app, tenant, "sales_a")
        contact = (await ContactService(session, zhang).create({"customer_id": other, "name": "周经理"})).id
        service = FollowUpService(session, zhang)
        with pytest.raises(ValidationFailed) as caught:
            await service.create(
                {"customer_id": mine, "channel": "call", "summary": "x", "contact_id": contact}
            )
        assert [(e.field, e.code) for e in caught.value.errors] == [("contact_id", "unknown_contact")]
        logged = await service.create(
            {"customer_id": other, "channel": "visit", "summary": "到店", "contact_id": contact}
        )
        assert logged.contact_id == contact and logged.owner_id == zhang.user_id


async def test_an_old_follow_up_saved_again_keeps_its_past_next_time(
    app: Litestar, tenant: TenantKit
) -> None:
    """The past-time check is for a new time: re-saving a follow-up whose planned time has gone by
    (the form posts it back) is not refused; moving it to another past time is."""
    customer = await _customer(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = FollowUpService(session, await actor(app, tenant, "sales_a"))
        record = await service.create({"customer_id": customer, "channel": "call", "summary": "约了上门测量"})
        # Time passes: the planned time is now in the past (set directly, as the clock would).
        record.next_at = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
        await session.commit()
        saved = await service.update(
            record.id, record.version, {"summary": "约了上门测量（已改期）", "next_at": "2024-05-01T09:00"}
        )
        assert saved.next_at == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
        with pytest.raises(ValidationFailed) as caught:
            await service.update(saved.id, saved.version, {"next_at": "2024-05-02T09:00"})
        assert [(e.field, e.code) for e in caught.value.errors] == [("next_at", "in_the_past")]


async def test_logging_the_next_follow_up_fulfils_the_planned_one(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = FollowUpService(session, await actor(app, tenant, "sales_a"))
        planned = await service.create(
            {"customer_id": customer, "channel": "call", "summary": "报价", "next_at": SOON}
        )
        await service.create({"customer_id": customer, "channel": "visit", "summary": "上门看了安装位置"})
        await session.refresh(planned)
        assert planned.next_done_at is not None


async def test_a_task_assigned_to_someone_else_tells_them(app: Litestar, tenant: TenantKit) -> None:
    """刘洋 (manager) gives 张伟 a task: 张伟 gets a notification; a task 张伟 gives himself does not ring."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        liu = await actor(app, tenant, "manager_a")
        task = await TaskService(session, liu).create(
            {"title": "回访王女士的洗衣机安装", "due_at": SOON, "owner_id": tenant.people["sales_a"]}
        )
        zhang = await actor(app, tenant, "sales_a")
        await TaskService(session, zhang).create({"title": "自己的事", "due_at": SOON})
        told = (await session.scalars(select(Notification).where(Notification.kind == "task.assigned"))).all()
        assert [(n.recipient_id, n.params["who"], n.params["task"]) for n in told] == [
            (zhang.user_id, "刘洋", "回访王女士的洗衣机安装")
        ]
        done = await TaskService(session, zhang).complete(task.id, task.version)
        assert done.done_at is not None and done.done_by == zhang.user_id
        # Done twice is done once.
        again = await TaskService(session, zhang).complete(task.id, done.version)
        assert again.version == done.version
