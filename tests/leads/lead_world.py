"""Helpers of the lead and pool tests: a lead service or pool service as one of the named people,
unique customers (the duplicate control refuses repeats), pools and rules."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import User
from app.customers.service import CustomerService
from app.leads.models import LeadRule
from app.leads.pools import PoolService
from app.leads.settings import update_lead_settings

_serial = itertools.count(1)


def mobile() -> str:
    """A fresh mainland mobile number for each call."""
    return f"139{next(_serial) + uuid.uuid4().int % 10_000_000:08d}"[:11]


async def team_of(app: Litestar, kit: TenantKit, key: str) -> uuid.UUID | None:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await session.scalar(select(User.team_id).where(User.id == kit.people[key]))


async def add_rule(app: Litestar, kit: TenantKit, **values: Any) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        session.add(LeadRule(name=values.pop("name", "规则"), **values))
        await session.commit()


async def add_pool(app: Litestar, kit: TenantKit, name: str, **values: Any) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        pool = await PoolService(session, await actor(app, kit, "admin")).create_pool(name, **values)
        return pool.id


async def settings(app: Litestar, kit: TenantKit, **changes: Any) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await update_lead_settings(session, await actor(app, kit, "admin"), changes)


async def pooled_customer(
    app: Litestar, kit: TenantKit, name: str, pool_id: uuid.UUID, owner: str = "sales_b"
) -> uuid.UUID:
    """A customer of ``owner`` released into ``pool_id``."""
    async with app.state.db.tenant_session(kit.schema) as session:
        who = await actor(app, kit, owner)
        customer = await CustomerService(session, who).create(
            {"name": name, "mobile": mobile(), "province": "广东省", "city": "广州市"}
        )
        await PoolService(session, who).release(customer.id, pool_id)
        return customer.id
