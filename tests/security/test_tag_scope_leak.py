"""Tags are visible only where their customers are: a salesperson's tag picker and the GraphQL
``tags`` query list the tags on customers in the caller's data scope, not another team's."""

from __future__ import annotations

import uuid
from typing import Any

from crm_testkit import TenantKit, actor, integrator, logged_in, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput

OTHER_TEAMS_TAG = "二组大单-王总"


async def add_customer(app: Litestar, kit: TenantKit, by: str, name: str, **fields: Any) -> uuid.UUID:
    """``by`` creates (and owns) the customer, through the service."""
    async with app.state.db.tenant_session(kit.schema) as session:
        created = await customers.create_customer(
            session, await actor(app, kit, by), CustomerInput(name=name, **fields)
        )
        return created.id


async def test_salesperson_does_not_see_another_teams_tag_in_graphql(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_customer(app, tenant, "sales_b", "二组客户", tags=[OTHER_TEAMS_TAG])
    await add_customer(app, tenant, "sales_a", "一组客户", tags=["一组老客户"])

    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    tags = (await zhang.post("/graphql", json={"query": "{ tags }"})).json()["data"]["tags"]
    assert "一组老客户" in tags
    assert OTHER_TEAMS_TAG not in tags

    li = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    assert OTHER_TEAMS_TAG in (await li.post("/graphql", json={"query": "{ tags }"})).json()["data"]["tags"]
    admin = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    everything = (await admin.post("/graphql", json={"query": "{ tags }"})).json()["data"]["tags"]
    assert {OTHER_TEAMS_TAG, "一组老客户"} <= set(everything)


async def test_salesperson_does_not_see_another_teams_tag_in_the_list_filter(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_customer(app, tenant, "sales_b", "二组客户", tags=[OTHER_TEAMS_TAG])
    await add_customer(app, tenant, "sales_a", "一组客户", tags=["一组老客户"])
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get("/customers")
    assert page.status_code == 200
    assert "一组老客户" in page.text
    assert OTHER_TEAMS_TAG not in page.text
