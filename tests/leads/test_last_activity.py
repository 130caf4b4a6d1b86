"""A customer's last activity (``customers.last_activity_at``) is kept by PostgreSQL on every write of
follow-ups, orders and pool claims, with the return rule's meaning: the newest live follow-up, order
or claim. The return rule reads it: a follow-up keeps a customer, deleting that follow-up makes it
idle again, and the sweep over many customers in small batches warns each once and returns each once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_testkit import TenantKit, actor
from lead_world import add_pool, mobile, settings
from litestar import Litestar
from sqlalchemy import func, insert, select, text, update

from app.audit.models import AuditRecord
from app.catalog.service import ProductService
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.followups.models import FollowUp
from app.followups.service import FollowUpService
from app.inventory.service import WarehouseService
from app.leads.models import PoolEntry
from app.leads.pools import PoolService
from app.leads.sweeps import sweep_tenant
from app.notifications.models import Notification
from app.orders.models import Order
from app.orders.service import OrderService
from tenancy import migrate


async def _customer(app: Litestar, tenant: TenantKit, name: str, *, days_old: int = 0) -> uuid.UUID:
    async with app.state.db.tenant_session(tenant.schema) as session:
        made = await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": name, "mobile": mobile()}
        )
        if days_old:
            await session.execute(
                update(Customer)
                .where(Customer.id == made.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=days_old))
            )
            await session.commit()
        return made.id


async def _activity(app: Litestar, tenant: TenantKit, customer_id: uuid.UUID) -> datetime | None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        return await session.scalar(select(Customer.last_activity_at).where(Customer.id == customer_id))


async def _live(app: Litestar, tenant: TenantKit, customer_id: uuid.UUID) -> datetime | None:
    """The last activity computed from the records themselves (the rule's meaning)."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        followed = select(func.max(FollowUp.happened_at)).where(
            FollowUp.customer_id == customer_id, FollowUp.deleted_at.is_(None)
        )
        ordered = select(func.max(Order.created_at)).where(Order.customer_id == customer_id)
        claimed = select(PoolEntry.claimed_at).where(PoolEntry.customer_id == customer_id)
        return await session.scalar(
            select(
                func.greatest(
                    followed.scalar_subquery(), ordered.scalar_subquery(), claimed.scalar_subquery()
                )
            )
        )


async def _follow_up(app: Litestar, tenant: TenantKit, customer_id: uuid.UUID, when: datetime) -> uuid.UUID:
    async with app.state.db.tenant_session(tenant.schema) as session:
        done = await FollowUpService(session, await actor(app, tenant, "sales_a")).create(
            {"customer_id": customer_id, "channel": "call", "summary": "回访", "happened_at": when}
        )
        return done.id


async def test_follow_ups_orders_and_claims_keep_the_last_activity_as_the_rule_means_it(
    app: Litestar, tenant: TenantKit
) -> None:
    customer_id = await _customer(app, tenant, "活动客户", days_old=60)
    assert await _activity(app, tenant, customer_id) is None  # nothing yet: the rule uses created_at

    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    first = await _follow_up(app, tenant, customer_id, ten_days_ago)
    assert await _activity(app, tenant, customer_id) == ten_days_ago
    # An older follow-up logged later does not move it back.
    await _follow_up(app, tenant, customer_id, ten_days_ago - timedelta(days=5))
    assert await _activity(app, tenant, customer_id) == ten_days_ago

    # An order: its creation is activity.
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        tag = uuid.uuid4().hex[:8]
        product = await ProductService(session, manager).create(
            {"sku": f"ACT-{tag}", "name": "活动冰箱", "list_price": "1999"}
        )
        shop = await WarehouseService(session, manager).create(
            {"code": f"A{tag}", "name": f"活动门店{tag}", "kind": "shop"}
        )
        order = await OrderService(session, await actor(app, tenant, "sales_a")).create(
            {"customer_id": customer_id, "warehouse_id": shop.id, "lines": [{"product_id": product.id}]}
        )
        placed = order.created_at
    assert await _activity(app, tenant, customer_id) == placed == await _live(app, tenant, customer_id)

    # Deleting a follow-up takes it out; the value always equals the live computation.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await FollowUpService(session, await actor(app, tenant, "admin")).delete(first)
    assert await _activity(app, tenant, customer_id) == placed == await _live(app, tenant, customer_id)

    # Released and claimed again: the claim is the newest activity.
    pool = await add_pool(app, tenant, f"活动公海{uuid.uuid4().hex[:6]}")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await PoolService(session, await actor(app, tenant, "sales_a")).release(customer_id, pool)
        claimed = await PoolService(session, await actor(app, tenant, "sales_b")).claim(customer_id)
        assert claimed.owner_id == tenant.people["sales_b"]
    live = await _live(app, tenant, customer_id)
    assert live is not None and live > placed
    assert await _activity(app, tenant, customer_id) == live


async def test_a_bulk_insert_of_follow_ups_updates_every_customer_it_touches(
    app: Litestar, tenant: TenantKit
) -> None:
    """The triggers run per statement: a bulk load (an import, a restore) keeps the column too."""
    ids = [await _customer(app, tenant, f"批量活动{i}", days_old=90) for i in range(3)]
    when = datetime.now(UTC) - timedelta(days=1)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            insert(FollowUp),
            [
                {
                    "customer_id": c,
                    "channel": "call",
                    "summary": "批量",
                    "happened_at": when - timedelta(hours=i),
                }
                for i, c in enumerate(ids)
            ],
        )
        await session.commit()
    assert [await _activity(app, tenant, c) for c in ids] == [when - timedelta(hours=i) for i in range(3)]


async def test_a_recent_follow_up_keeps_the_customer_and_deleting_it_lets_the_rule_return_it(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_pool(app, tenant, f"回收公海{uuid.uuid4().hex[:6]}")
    await settings(app, tenant, return_days=30, warn_days=0)
    customer_id = await _customer(app, tenant, "跟进中客户", days_old=45)
    follow_up = await _follow_up(app, tenant, customer_id, datetime.now(UTC) - timedelta(days=2))
    assert (await sweep_tenant(app.state.db, tenant.schema)).returned == 0
    async with app.state.db.tenant_session(tenant.schema) as session:
        await FollowUpService(session, await actor(app, tenant, "admin")).delete(follow_up)
    assert (await sweep_tenant(app.state.db, tenant.schema)).returned == 1
    async with app.state.db.tenant_session(tenant.schema) as session:
        back = await session.get(Customer, customer_id)
        assert back is not None and back.owner_id is None


async def test_a_sweep_in_small_batches_warns_each_once_and_returns_each_once(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_pool(app, tenant, f"批次公海{uuid.uuid4().hex[:6]}")
    await settings(app, tenant, return_days=30, warn_days=3)
    due = [await _customer(app, tenant, f"到期客户{i}", days_old=40) for i in range(5)]
    warned = [await _customer(app, tenant, f"预警客户{i}", days_old=28) for i in range(4)]
    fresh = await _customer(app, tenant, "新客户", days_old=1)

    first = await sweep_tenant(app.state.db, tenant.schema, batch=2)
    again = await sweep_tenant(app.state.db, tenant.schema, batch=2)
    assert (first.returned, first.warned) == (5, 4)
    assert (again.returned, again.warned) == (0, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        owners = dict(
            (
                await session.execute(
                    select(Customer.id, Customer.owner_id).where(Customer.id.in_(due + warned + [fresh]))
                )
            ).all()
        )
        assert all(owners[c] is None for c in due)
        assert all(owners[c] == tenant.people["sales_a"] for c in [*warned, fresh])
        audits = await session.scalar(
            select(func.count()).where(
                AuditRecord.entity_id.in_([str(c) for c in due]), AuditRecord.action == "return_to_pool"
            )
        )
        notes = (
            await session.execute(
                select(Notification.kind, func.count())
                .where(Notification.link.in_(["/pools", *[f"/customers/{c}" for c in warned]]))
                .where(Notification.recipient_id == tenant.people["sales_a"])
                .group_by(Notification.kind)
            )
        ).all()
    assert audits == 5
    assert dict(notes) == {"pool.returned": 5, "pool.warning": 4}


async def test_the_triggers_exist_whichever_way_the_tenant_was_made(app: Litestar) -> None:
    for schema in ("t_activity_meta", "t_activity_migr"):
        async with app.state.db.engine.begin() as conn:
            await migrate.drop_schema(conn, schema)
    async with app.state.db.engine.begin() as conn:
        from app.models import tenant_metadata

        await migrate.create_schema_at_head(conn, "t_activity_meta", tenant_metadata)
        await conn.execute(text("CREATE SCHEMA t_activity_migr"))
    assert (await migrate.upgrade_tenants(app.state.db.engine, ["t_activity_migr"])).ok
    found = {}
    async with app.state.db.engine.connect() as conn:
        for schema in ("t_activity_meta", "t_activity_migr"):
            rows = await conn.execute(
                text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND t.tgname LIKE 'customer_activity_%' ORDER BY 1, 2"
                ),
                {"s": schema},
            )
            found[schema] = [tuple(r) for r in rows]
    assert found["t_activity_meta"] == found["t_activity_migr"]
    assert len(found["t_activity_meta"]) == 9
    for schema in ("t_activity_meta", "t_activity_migr"):
        async with app.state.db.engine.begin() as conn:
            await migrate.drop_schema(conn, schema)
