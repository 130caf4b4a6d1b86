"""The export stories follow a salesperson (张伟) exporting his own customers. Exporting is off for
salespeople by default (dealers forbid a leaving salesperson taking the list), so the dealers in
these tests have switched it on for their sales role, as an owner does on the Roles page."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.permissions import CUSTOMERS_EXPORT
from app.roles import service as roles


async def _salespeople_may_export(app: Litestar, kit: TenantKit) -> TenantKit:
    async with app.state.db.tenant_session(kit.schema) as session:
        sales = await session.scalar(select(Role).where(Role.key == "sales"))
        assert sales is not None
        await roles.update_role(
            session,
            await actor(app, kit, "owner"),
            sales.id,
            sales.version,
            roles.RoleInput(permissions=[*sales.permissions, CUSTOMERS_EXPORT]),
        )
    return kit


@pytest.fixture
async def tenant(app: Litestar, tenant: TenantKit) -> TenantKit:
    return await _salespeople_may_export(app, tenant)


@pytest.fixture
async def other_tenant(app: Litestar, other_tenant: TenantKit) -> TenantKit:
    return await _salespeople_may_export(app, other_tenant)
