"""Workflows belong to one tenant: one dealer's edits never reach another's, and a move or a stage
card with another dealer's customer id reads as not found (the whole-app sweep is in
tests/isolation; these pin the workflow-specific stories)."""

from __future__ import annotations

import copy
from typing import Any

from crm_testkit import TenantKit, actor, integrator, logged_in, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.workflows import service as workflows


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


async def test_one_dealers_workflow_edit_does_not_reach_another(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    """Dealer A renames 意向 and forbids 潜在 → 成交; dealer B keeps the defaults and its moves."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        current = await workflows.current(session, "customer")
        document = copy.deepcopy(current.definition.as_json())
        document["states"][1]["label"]["zh_CN"] = "甲方意向"
        document["transitions"] = [
            t for t in document["transitions"] if (t["from"], t["to"]) != ("lead", "won")
        ]
        await workflows.update_workflow(session, await actor(app, tenant, "admin"), "customer", document, 1)
    async with app.state.db.tenant_session(other_tenant.schema) as session:
        theirs = await workflows.current(session, "customer")
    assert theirs.version == 1 and theirs.definition.state("interested").label_in("zh_CN") == "意向"  # type: ignore[union-attr]
    assert theirs.definition.move("lead", "won") is not None
    b_lead = await _customer(app, other_tenant, "sales_a", name="乙方客户")
    async with app.state.db.tenant_session(other_tenant.schema) as session:
        moved = await customers.transition_customer(
            session, await actor(app, other_tenant, "sales_a"), b_lead.id, "won", 1
        )
    assert moved.status == "won"


async def test_another_dealers_customer_cannot_be_moved_or_seen(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    """A's owner, with B's customer id: the API says not found, the stage card is a 404, B's
    customer keeps its stage and has no history."""
    secret = await _customer(app, other_tenant, "owner", name="乙方机密客户", status="interested")
    a_api = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    result = await a_api.gql(
        'mutation($id: ID!) { transitionCustomer(id: $id, to: "won", version: 1) { __typename } }',
        {"id": str(secret.id)},
    )
    assert result["data"]["transitionCustomer"]["__typename"] == "NotFoundError"
    a_owner = await logged_in(app, tenant, "owner")
    assert (await a_owner.htmx("GET", f"/customers/{secret.id}/stage")).status_code == 404
    moved = await a_owner.htmx("POST", f"/customers/{secret.id}/stage", {"to": "won", "version": "1"})
    assert moved.status_code == 404 and "乙方机密客户" not in moved.text
    async with app.state.db.tenant_session(other_tenant.schema) as session:
        assert (await session.get(Customer, secret.id)).status == "interested"  # type: ignore[union-attr]
        assert list(await workflows.stage_history(session, workflows.spec_of("customer"), secret.id)) == []
