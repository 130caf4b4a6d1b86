"""The shared pool (公海): staff claim pooled customers up to the tenant's cap; of two claiming one
customer at once exactly one wins and the other is told who; released and returned customers sit in
their home pool; the return rule warns once and returns once; every move is on the customer's
audit log (its timeline)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import TenantKit, actor
from lead_world import add_pool, mobile, pooled_customer, settings, team_of
from litestar import Litestar
from sqlalchemy import func, select, update

from app.audit.models import AuditRecord
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.domain import NotFound, ValidationFailed
from app.leads.pools import PoolService
from app.leads.sweeps import sweep_tenant
from app.notifications.models import Notification


async def test_claim_up_to_the_cap_and_the_pool_shows_no_phone_numbers(
    app: Litestar, tenant: TenantKit
) -> None:
    pool = await add_pool(app, tenant, "华南公海", province="广东省")
    ids = [await pooled_customer(app, tenant, f"公海客户{i}", pool) for i in range(3)]
    await settings(app, tenant, claim_cap=2)
    async with app.state.db.tenant_session(tenant.schema) as session:
        zhang = PoolService(session, await actor(app, tenant, "sales_a"))
        listed = await zhang.customers(pool)
        assert listed.total == 3
        assert not hasattr(listed.items[0], "mobile")  # basic data only
        assert listed.items[0].city == "广州市"
        await zhang.claim(ids[0])
        await zhang.claim(ids[1])
        with pytest.raises(ValidationFailed) as capped:
            await zhang.claim(ids[2])
        assert capped.value.errors[0].code == "claim_cap"
        # Claimed: 张伟's own customer now, phone and all, through the customer pages.
        mine = await CustomerService(session, await actor(app, tenant, "sales_a")).get(ids[0])
        assert mine.mobile and mine.owner_id == tenant.people["sales_a"]
        assert (await zhang.customers(pool)).total == 1
        actions = (
            await session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.entity_id == str(ids[0]))
                .order_by(AuditRecord.at)
            )
        ).all()
        assert list(actions)[-2:] == ["release", "claim"]


async def test_two_people_claiming_one_customer_at_once_one_wins_the_other_is_told_who(
    app: Litestar, tenant: TenantKit
) -> None:
    pool = await add_pool(app, tenant, "公海")
    customer = await pooled_customer(app, tenant, "抢手客户", pool)

    async def claim(key: str) -> str:
        async with app.state.db.tenant_session(tenant.schema) as session:
            try:
                await PoolService(session, await actor(app, tenant, key)).claim(customer)
            except ValidationFailed as exc:
                return exc.errors[0].message
            return "won"

    outcomes = await asyncio.gather(claim("sales_a"), claim("sales_a2"))
    assert outcomes.count("won") == 1
    loser = next(o for o in outcomes if o != "won")
    assert loser.endswith("claimed this customer first") and loser.split(" ")[0] in ("张伟", "王芳")
    async with app.state.db.tenant_session(tenant.schema) as session:
        claims = await session.scalar(
            select(func.count()).where(AuditRecord.entity_id == str(customer), AuditRecord.action == "claim")
        )
        assert claims == 1


async def test_release_goes_to_the_owners_team_pool_and_only_in_scope(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_pool(app, tenant, "总公海")
    team_pool = await add_pool(app, tenant, "一组公海", team_id=await team_of(app, tenant, "sales_a"))
    async with app.state.db.tenant_session(tenant.schema) as session:
        zhang = await actor(app, tenant, "sales_a")
        customer = await CustomerService(session, zhang).create({"name": "要放回的客户", "mobile": mobile()})
        customer_id = customer.id
        with pytest.raises(NotFound):  # 李娜 cannot release 张伟's customer
            await PoolService(session, await actor(app, tenant, "sales_b")).release(customer_id)
        released = await PoolService(session, zhang).release(customer_id)
        assert released.owner_id is None
        assert [c.id for c in (await PoolService(session, zhang).customers(team_pool)).items] == [customer_id]
        with pytest.raises(NotFound):  # no longer 张伟's: out of scope like any other
            await CustomerService(session, zhang).get(customer_id)


async def test_the_return_rule_warns_once_and_returns_once(app: Litestar, tenant: TenantKit) -> None:
    pool = await add_pool(app, tenant, "公海")
    await settings(app, tenant, return_days=30, warn_days=3)
    async with app.state.db.tenant_session(tenant.schema) as session:
        customer = await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "沉睡客户", "mobile": mobile()}
        )
        customer_id = customer.id
        # Made 28 days ago, nothing since: due to return in 2 days.
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=28))
        )
        await session.commit()
    first = await sweep_tenant(app.state.db, tenant.schema)
    again = await sweep_tenant(app.state.db, tenant.schema)
    assert (first.warned, first.returned, again.warned, again.returned) == (1, 0, 0, 0)
    later = datetime.now(UTC) + timedelta(days=3)
    returned = await sweep_tenant(app.state.db, tenant.schema, now=later)
    after = await sweep_tenant(app.state.db, tenant.schema, now=later)
    assert (returned.returned, after.returned) == (1, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        back = await session.get(Customer, customer_id)
        assert back is not None and back.owner_id is None
        kinds = (
            await session.scalars(
                select(Notification.kind)
                .where(
                    Notification.recipient_id == tenant.people["sales_a"], Notification.kind.like("pool.%")
                )
                .order_by(Notification.created_at)
            )
        ).all()
        assert list(kinds) == ["pool.warning", "pool.returned"]
        audit = await session.scalar(
            select(AuditRecord).where(
                AuditRecord.entity_id == str(customer_id), AuditRecord.action == "return_to_pool"
            )
        )
        assert audit is not None and audit.after["pool"] == "公海"
        assert [
            c.id
            for c in (await PoolService(session, await actor(app, tenant, "sales_b")).customers(pool)).items
        ] == [customer_id]
