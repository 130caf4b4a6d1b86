"""The worker stories follow a salesperson (张伟) exporting his own customers. Exporting is off for
salespeople by default (dealers forbid a leaving salesperson taking the list), so the dealers in
these tests have it switched on for their sales role (written directly: arranging, not testing)."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import func, update

from app.accounts.models import Role
from app.accounts.permissions import CUSTOMERS_EXPORT


async def _salespeople_may_export(app: Litestar, kit: TenantKit) -> TenantKit:
    async with app.state.db.tenant_session(kit.schema) as session:
        await session.execute(
            update(Role)
            .where(Role.key == "sales")
            .values(permissions=func.array_append(Role.permissions, CUSTOMERS_EXPORT))
        )
        await session.commit()
    return kit


@pytest.fixture
async def tenant(app: Litestar, tenant: TenantKit) -> TenantKit:
    return await _salespeople_may_export(app, tenant)


@pytest.fixture
async def other_tenant(app: Litestar, other_tenant: TenantKit) -> TenantKit:
    return await _salespeople_may_export(app, other_tenant)
