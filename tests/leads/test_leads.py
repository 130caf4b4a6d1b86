"""Leads: a way to reach the person is required; the tenant's rules pick the owner (round robin in a
team, by region and product interest, by load) and start the first-response timer; an overdue lead
tells its owner once; conversion makes a customer in one step and refuses a duplicate (撞单) or a
second conversion; another team's salesperson finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import TenantKit, actor
from lead_world import add_rule, mobile, team_of
from litestar import Litestar
from sqlalchemy import func, select

from app.customers.service import CustomerService
from app.domain import NotFound, ValidationFailed
from app.kit.duplicates import DuplicateFound
from app.leads.models import Lead
from app.leads.service import LeadService
from app.leads.sweeps import sweep_tenant
from app.notifications.models import Notification


async def test_a_lead_needs_a_name_and_a_way_to_reach_the_person(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = LeadService(session, await actor(app, tenant, "sales_a"))
        with pytest.raises(ValidationFailed) as refused:
            await service.create({"name": "", "mobile": "12345", "province": "火星"})
        codes = {(e.field, e.code) for e in refused.value.errors}
        assert ("name", "required") in codes
        assert ("mobile", "invalid_mobile") in codes or any(f == "mobile" for f, _ in codes)
        assert any(f == "province" for f, _ in codes)
        with pytest.raises(ValidationFailed) as unreachable:
            await service.create({"name": "赵先生"})
        assert [(e.field, e.code) for e in unreachable.value.errors] == [("mobile", "contact_required")]
        # Nobody makes a lead "converted" by saying so.
        with pytest.raises(ValidationFailed) as claimed:
            await service.create({"name": "赵先生", "mobile": mobile(), "status": "converted"})
        assert claimed.value.errors[0].code == "convert_instead"


async def test_round_robin_within_a_team_and_the_first_matching_rule_wins(
    app: Litestar, tenant: TenantKit
) -> None:
    team_a = await team_of(app, tenant, "sales_a")
    team_b = await team_of(app, tenant, "sales_b")
    # Guangzhou leads about air conditioners go to team B (first rule); the rest round robin in team A.
    await add_rule(
        app, tenant, name="广州空调", position=1, team_id=team_b, city="广州市", product_category="空调"
    )
    await add_rule(app, tenant, name="一组轮流", position=2, team_id=team_a)
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = LeadService(session, await actor(app, tenant, "marketing"))
        owners = [(await service.create({"name": f"客户{i}", "mobile": mobile()})).owner_id for i in range(6)]
        gz = await service.create(
            {
                "name": "广州客户",
                "mobile": mobile(),
                "province": "广东省",
                "city": "广州市",
                "product_category": "空调",
            }
        )
    team_a_people = {tenant.people[k] for k in ("manager_a", "sales_a", "sales_a2")}
    assert set(owners) == team_a_people
    # Each member in turn: every one of the three got two of the six.
    assert sorted(owners.count(p) for p in team_a_people) == [2, 2, 2]
    assert owners[:3] != [owners[0]] * 3
    assert gz.owner_id in {tenant.people["manager_b"], tenant.people["sales_b"]}
    assert gz.team_id == team_b
    # The first-response timer runs from the assignment.
    assert gz.respond_by is not None and gz.respond_by > datetime.now(UTC)


async def test_by_load_the_member_with_fewest_open_leads_gets_the_next(
    app: Litestar, tenant: TenantKit
) -> None:
    team_a = await team_of(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        liu = LeadService(session, await actor(app, tenant, "manager_a"))
        for person in ("sales_a", "sales_a", "manager_a"):
            await liu.create({"name": "已有线索", "mobile": mobile(), "owner_id": str(tenant.people[person])})
    await add_rule(app, tenant, name="按负载", strategy="load", team_id=team_a)
    async with app.state.db.tenant_session(tenant.schema) as session:
        lead = await LeadService(session, await actor(app, tenant, "marketing")).create(
            {"name": "新线索", "mobile": mobile()}
        )
    assert lead.owner_id == tenant.people["sales_a2"]  # 王芳 had none


async def test_an_overdue_lead_tells_its_owner_once(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        lead = await LeadService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "超时线索", "mobile": mobile()}
        )
    later = datetime.now(UTC) + timedelta(days=1)
    first = await sweep_tenant(app.state.db, tenant.schema, now=later)
    again = await sweep_tenant(app.state.db, tenant.schema, now=later + timedelta(hours=1))
    assert (first.overdue, again.overdue) == (1, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        told = await session.scalar(
            select(func.count()).where(
                Notification.kind == "lead.overdue", Notification.recipient_id == tenant.people["sales_a"]
            )
        )
        assert told == 1
        # Answering stops the timer: a contacted lead is no longer overdue.
        service = LeadService(session, await actor(app, tenant, "sales_a"))
        fresh = await service.get(lead.id)
        answered = await service.update(fresh.id, fresh.version, {"status": "contacted"})
        assert answered.responded_at is not None


async def test_conversion_makes_a_customer_once_and_a_duplicate_is_shown_not_merged(
    app: Litestar, tenant: TenantKit
) -> None:
    taken = mobile()
    async with app.state.db.tenant_session(tenant.schema) as session:
        zhang = await actor(app, tenant, "sales_a")
        await CustomerService(session, await actor(app, tenant, "sales_b")).create(
            {"name": "李娜的客户", "mobile": taken}
        )
        service = LeadService(session, zhang)
        twin = await service.create({"name": "重复的人", "mobile": taken})
        twin_id = twin.id
        with pytest.raises(DuplicateFound) as dup:
            await service.convert(twin_id, twin.version)
        # The match names whose customer it is (李娜), not the customer: it is out of 张伟's scope.
        assert dup.value.matches[0].owner_name == "李娜" and not dup.value.matches[0].visible
        still = await service.get(twin_id)
        assert still.status == "new" and still.customer_id is None  # nothing was written

        lead = await service.create({"name": "钱女士", "mobile": mobile(), "company": "钱氏电器有限公司"})
        lead_id = lead.id
        done = await service.convert(lead_id, lead.version)
        assert done.customer.name == "钱氏电器有限公司" and done.customer.kind == "company"
        assert done.customer.owner_id == zhang.user_id
        assert done.lead.status == "converted" and done.lead.customer_id == done.customer.id
        # An opportunity for the customer opens with it, tied to the lead.
        assert done.opportunity is not None and done.lead.opportunity_id == done.opportunity.id
        assert done.opportunity.customer_id == done.customer.id and done.opportunity.lead_id == lead_id
        with pytest.raises(ValidationFailed) as twice:
            await service.convert(lead_id, 2)
        assert twice.value.errors[0].code == "already_converted"


async def test_another_salesperson_finds_nothing_of_a_lead_outside_their_scope(
    app: Litestar, tenant: TenantKit
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        lead = await LeadService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "张伟的线索", "mobile": mobile()}
        )
        li_na = LeadService(session, await actor(app, tenant, "sales_b"))
        with pytest.raises(NotFound):
            await li_na.get(lead.id)
        with pytest.raises(NotFound):
            await li_na.convert(lead.id, lead.version)
        assert (await li_na.page()).items == []
        assert await session.scalar(select(func.count()).select_from(Lead)) == 1
