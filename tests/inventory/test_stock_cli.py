"""``dealercrm stock check --tenant <slug>``: an operator proves every level equals its ledger, finds
a level someone changed around the ledger, and repairs it from the ledger."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import text
from stock_world import level, open_shop, stock


async def dealercrm(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=dict(os.environ), timeout=180
    )


async def test_stock_check_reports_and_repairs_a_drifted_level(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=4)
    await clerk.session.close()
    clean = await dealercrm("stock", "check", "--tenant", tenant.slug)
    assert clean.returncode == 0, clean.stderr
    assert "every stock level equals the sum of its ledger" in clean.stdout
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(text(f'UPDATE "{tenant.schema}".stock_levels SET on_hand = 40'))
        await session.commit()
    drifted = await dealercrm("stock", "check", "--tenant", tenant.slug)
    assert drifted.returncode == 1
    assert "level on hand 40 reserved 0; ledger on hand 4 reserved 0" in drifted.stdout
    repaired = await dealercrm("stock", "check", "--tenant", tenant.slug, "--repair")
    assert repaired.returncode == 0 and "1 level(s) set to the ledger's sums" in repaired.stdout
    assert await level(app, tenant, shop.filters, shop.shop) == (4, 0)
    unknown = await dealercrm("stock", "check", "--tenant", "no-such-dealer")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: no tenant")


async def test_catalog_seed_restores_a_deleted_brand_and_keeps_the_rest(
    app: Litestar, tenant: TenantKit
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(text(f"DELETE FROM \"{tenant.schema}\".brands WHERE name = '大金'"))
        await session.commit()
    seeded = await dealercrm("catalog", "seed", "--tenant", tenant.slug)
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.strip() == "categories: 0 added, brands: 1 added, consumables: 0 added"
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (
            await session.scalar(text(f"SELECT count(*) FROM \"{tenant.schema}\".brands WHERE name = '大金'"))
            == 1
        )
