"""When tiers move on their own: an order completing or coming back re-rates its customer (the
workflow's tier.recompute entry action), and the nightly pass re-rates every tenant once per day, in
chunks, with one audit record per customer changed and one for the pass."""

from __future__ import annotations

from datetime import timedelta

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update
from tier_world import NOW, RULES, Shop, customer, open_shop, order, tier_audits, tiers

from app.audit.models import AuditRecord
from app.orders.models import Order
from app.orders.service import OrderService
from app.tiers.service import TierService, nightly_pass
from workers.jobs.tiers import sweep_tier_rules


async def switch_on(app: Litestar, kit: TenantKit, rules: dict | None = None) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await TierService(session, await actor(app, kit, "owner")).save(
            {"enabled": True, "rules": rules or RULES}, now=NOW
        )


async def move(app: Litestar, shop: Shop, order_id, *stages: str) -> None:
    async with app.state.db.tenant_session(shop.kit.schema) as session:
        service = OrderService(session, await actor(app, shop.kit, "manager_a"))
        for stage in stages:
            found = await service.get(order_id)
            await service.transition(order_id, stage, found.version)


async def test_completing_an_order_lifts_the_customer_and_a_return_takes_it_back(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, stock=10)
    buyer = await customer(app, tenant, "赵敏")
    await switch_on(app, tenant, {"silver": {"amount": "5000", "amount_months": 12}})
    assert await tiers(app, tenant, buyer) == [("normal", "rule")]
    async with app.state.db.tenant_session(tenant.schema) as session:
        made = await OrderService(session, await actor(app, tenant, "manager_a")).create(
            {
                "customer_id": buyer,
                "warehouse_id": shop.warehouse,
                "lines": [{"product_id": shop.product, "quantity": 6}],
            }
        )
    await move(app, shop, made.id, "submitted", "approved", "shipped", "delivered")
    assert await tiers(app, tenant, buyer) == [("normal", "rule")]  # not completed yet
    await move(app, shop, made.id, "completed")
    assert await tiers(app, tenant, buyer) == [("silver", "rule")]
    await move(app, shop, made.id, "returned")
    assert await tiers(app, tenant, buyer) == [("normal", "rule")]
    audits = await tier_audits(app, tenant, buyer)
    assert [(a.before["tier"], a.after["tier"]) for a in audits] == [
        (None, "normal"),
        ("normal", "silver"),
        ("silver", "normal"),
    ]
    assert "tier.recompute" in audits[1].actor_label  # the system, on the mover's behalf


async def test_with_the_rules_off_an_order_moves_no_tier(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, stock=10)
    buyer = await customer(app, tenant, "赵敏", tier="normal")
    order_id = await order(app, shop, buyer, 9000, status="delivered")
    await move(app, shop, order_id, "completed")
    assert await tiers(app, tenant, buyer) == [("normal", "manual")]
    assert await tier_audits(app, tenant, buyer) == []


async def test_the_nightly_pass_runs_once_a_day_in_chunks(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    await switch_on(app, tenant)
    people = [await customer(app, tenant, f"客户{i}") for i in range(5)]
    # Orders land after the rules were saved: the night picks them up.
    for who in people[:3]:
        await order(app, shop, who, 6000, days_ago=1)
    db = app.state.db
    first = await nightly_pass(db, tenant.schema, now=NOW + timedelta(days=1), chunk=2)
    # The two without orders had no tier yet: they become normal.
    assert first is not None and (first.customers, first.changed) == (5, 5)
    assert first.by_tier == {"silver": 3, "normal": 2}
    assert await tiers(app, tenant, *people) == [("silver", "rule")] * 3 + [("normal", "rule")] * 2
    # The same day again (another worker, a restart): nothing runs.
    assert await nightly_pass(db, tenant.schema, now=NOW + timedelta(days=1, hours=3)) is None
    async with db.tenant_session(tenant.schema) as session:
        passes = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.entity == "tier_rules", AuditRecord.action == "recompute"
                )
            )
        ).all()
        assert [p.after["changed"] for p in passes] == [5]
        # A year on, the orders are older than the rules' 12 months: back to normal.
        await session.execute(update(Order).values(created_at=Order.created_at - timedelta(days=400)))
        await session.commit()
    later = await nightly_pass(db, tenant.schema, now=NOW + timedelta(days=2), chunk=2)
    assert later is not None and (later.customers, later.changed) == (5, 3)
    assert await tiers(app, tenant, *people[:3]) == [("normal", "rule")] * 3
    assert [a.after["tier"] for a in await tier_audits(app, tenant, people[0])] == ["silver", "normal"]


async def test_a_pass_whose_worker_died_is_taken_over_later_that_day(
    app: Litestar, tenant: TenantKit
) -> None:
    from app.tiers import repository as repo
    from app.tiers.service import STALE_CLAIM, TIER_ZONE

    await switch_on(app, tenant)
    night = NOW + timedelta(days=1)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await repo.claim_day(session, night.astimezone(TIER_ZONE).date(), night, STALE_CLAIM)
        await session.commit()  # ... and the worker dies here
    assert await nightly_pass(app.state.db, tenant.schema, now=night + timedelta(minutes=5)) is None
    assert await nightly_pass(app.state.db, tenant.schema, now=night + STALE_CLAIM + timedelta(minutes=1))


async def test_the_worker_sweep_skips_tenants_without_rules(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    buyer = await customer(app, tenant, "赵敏")
    await order(app, shop, buyer, 6000, days_ago=1)
    await switch_on(app, tenant)
    stranger = await customer(app, other_tenant, "路人")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(Order).values(created_at=Order.created_at - timedelta(days=400)))
        await session.commit()
    await sweep_tier_rules({"db": app.state.db})
    assert await tiers(app, tenant, buyer) == [("normal", "rule")]
    assert await tiers(app, other_tenant, stranger) == [(None, "rule")]
