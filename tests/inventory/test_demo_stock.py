"""The demo tenant's stock is made through the ledger's verbs: every level equals its ledger, units
carry serial numbers, and the low-stock and replenishment pages have something to show."""

from __future__ import annotations

from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.demo.stock import PRODUCTS, ensure_demo_stock
from app.inventory import reports


async def test_the_demo_stock_is_a_real_ledger_and_is_made_once(app: Litestar, tenant: TenantKit) -> None:
    lines: list[str] = []
    await ensure_demo_stock(app.state.db, tenant.schema, tenant.people["owner"], echo=lines.append)
    await ensure_demo_stock(app.state.db, tenant.schema, tenant.people["owner"], echo=lines.append)
    assert len(lines) == 1  # the second call found the warehouses and left them alone
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await reports.check_levels(session) == []
        page = await reports.levels(session, manager, in_stock_only=True, first=100)
        assert len({r.product.id for r in page.rows}) >= len(PRODUCTS)
        [fridge] = await reports.serial_units(session, manager, "BCD470WG26110000")
        assert fridge.product.name == "海尔十字对开门冰箱"
        assert await reports.replenishment(session, manager)
