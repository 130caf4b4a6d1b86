"""The demo tenant shows leads and the pool: pools per team, rules, leads (some converted) and
pooled customers, seeded once."""

from __future__ import annotations

from crm_testkit import TenantKit, actor
from lead_world import mobile
from litestar import Litestar
from sqlalchemy import func, select

from app.customers.service import CustomerService
from app.demo.leads import ensure_demo_leads
from app.leads.models import Lead, LeadRule, Pool


async def test_the_demo_seeds_pools_rules_and_leads_once(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        zhang = await actor(app, tenant, "sales_a")
        for i in range(3):
            await CustomerService(session, zhang).create({"name": f"老客户{i}", "mobile": mobile()})
    users = {
        "owner@demo.example": tenant.people["owner"],
        "marketing@demo.example": tenant.people["marketing"],
    }
    await ensure_demo_leads(app.state.db, tenant.schema, users, echo=lambda _line: None)
    await ensure_demo_leads(app.state.db, tenant.schema, users, echo=lambda _line: None)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(select(func.count()).select_from(Pool)) == 3
        assert await session.scalar(select(func.count()).select_from(LeadRule)) == 2
        assert await session.scalar(select(func.count()).select_from(Lead)) == 12
        converted = await session.scalar(select(func.count()).where(Lead.status == "converted"))
        assert converted == 2
        # Air-conditioner leads went to team two (by load), the others round robin in team one.
        aircon_owners = set(
            (await session.scalars(select(Lead.owner_id).where(Lead.product_category == "空调"))).all()
        )
        assert aircon_owners <= {tenant.people["manager_b"], tenant.people["sales_b"]}
