"""The audit log follows the data scope of the records it describes.

刘洋 (manager_a, team scope) gets a 404 on 李娜's (team B) customer; the audit log must not hand him
that customer's name, mobile and notes instead, neither on the per-record view nor in the list. His
own team's customers stay readable there, the recycle bin's included; 李静 (admin, scope all) sees
everything.
"""

from __future__ import annotations

import uuid
from typing import Any

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput

SECRET_NAME = "乙组机密客户"
SECRET_MOBILE = "13700137000"
SECRET_NOTES = "只告诉二组的备注"


async def add_customer(app: Litestar, kit: TenantKit, by: str, name: str, **fields: Any) -> uuid.UUID:
    """``by`` creates (and owns) the customer, through the service."""
    async with app.state.db.tenant_session(kit.schema) as session:
        created = await customers.create_customer(
            session, await actor(app, kit, by), CustomerInput(name=name, **fields)
        )
        return created.id


async def test_manager_cannot_read_another_teams_customer_through_the_audit_record_view(
    app: Litestar, tenant: TenantKit
) -> None:
    hidden = await add_customer(app, tenant, "sales_b", SECRET_NAME, mobile=SECRET_MOBILE, notes=SECRET_NOTES)
    manager = await logged_in(app, tenant, "manager_a")
    assert (await manager.get(f"/customers/{hidden}")).status_code == 404

    page = await manager.get(f"/audit?entity=customer&entity_id={hidden}")
    assert page.status_code == 200
    for secret in (SECRET_NAME, SECRET_MOBILE, SECRET_NOTES):
        assert secret not in page.text


async def test_managers_audit_list_shows_only_records_in_scope_including_deleted_customers(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_customer(app, tenant, "sales_b", SECRET_NAME, mobile=SECRET_MOBILE, notes=SECRET_NOTES)
    ours = await add_customer(app, tenant, "sales_a", "甲组客户", mobile="13600136000")
    binned = await add_customer(app, tenant, "sales_a2", "甲组已删客户", mobile="13500135000")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.delete_customer(session, await actor(app, tenant, "manager_a"), binned)

    manager = await logged_in(app, tenant, "manager_a")
    page = await manager.get("/audit")
    assert page.status_code == 200
    assert SECRET_NAME not in page.text and SECRET_MOBILE not in page.text
    assert "甲组客户" in page.text and f"/customers/{ours}" in page.text
    # A customer in the recycle bin is still in scope: its history stays readable.
    assert "甲组已删客户" in page.text and f"/customers/{binned}" in page.text

    admin = await logged_in(app, tenant, "admin")
    everything = await admin.get("/audit")
    assert SECRET_NAME in everything.text and "甲组已删客户" in everything.text
