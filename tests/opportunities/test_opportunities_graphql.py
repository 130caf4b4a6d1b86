"""The pipeline through the API, as a dealer's BI and e-shop integrations use it: every example
operation runs, a guard's refusal is a typed error naming what is missing, a lost deal needs its
reason, bad targets are typed errors with input paths, another team's deals are not there."""

from __future__ import annotations

from crm_testkit import TenantKit, actor
from graphql_helpers import OperationRun, api_client
from litestar import Litestar
from pipeline_world import open_pipeline

from app.inventory.service import WarehouseService

MINE = (
    "ListOpportunities",
    "CreateOpportunity",
    "MoveOpportunity",
    "PipelineStages",
    "Forecast",
    "SetSalesTarget",
    "CreateContract",
    "CreateOrderFromOpportunity",
)


async def test_every_pipeline_operation_runs(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        shop = await WarehouseService(session, await actor(app, tenant, "manager_a")).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
        shop_id = str(shop.id)
    sales = await api_client(app, tenant, "sales_a")
    manager = await api_client(app, tenant, "manager_a")
    other = await api_client(app, tenant, "sales_b")
    run = OperationRun(sales)

    stages = (await run("PipelineStages"))["pipelineStages"]
    assert [(s["key"], s["probability"]) for s in stages][:2] == [("qualify", 10), ("needs", 30)]
    bad = (
        await run(
            "CreateOpportunity",
            {"input": {"name": "", "customerId": str(world.customers["sales_a"]), "probability": 120}},
        )
    )["createOpportunity"]
    assert sorted((tuple(f["path"]), f["code"]) for f in bad["fields"]) == [
        (("input", "name"), "required"),
        (("input", "probability"), "out_of_range"),
    ]
    created = (
        await run(
            "CreateOpportunity",
            {
                "input": {
                    "name": "新房全屋家电",
                    "customerId": str(world.customers["sales_a"]),
                    "products": [{"productId": str(world.fridge), "quantity": 2}],
                }
            },
        )
    )["createOpportunity"]["opportunity"]
    assert (created["stage"], created["amount"], created["winProbability"]) == ("qualify", "11998.00", 10)
    deal_id = created["id"]
    refused = (await run("MoveOpportunity", {"id": deal_id, "to": "proposal", "version": 1}))[
        "moveOpportunity"
    ]
    assert refused["__typename"] == "GuardFailedError"
    # The amount came from the products; the expected close date is what the proposal still needs.
    assert [f["field"] for f in refused["failures"]] == ["expected_close"]
    lost = (await run("MoveOpportunity", {"id": deal_id, "to": "lost", "version": 1}))["moveOpportunity"]
    assert [f["field"] for f in lost["failures"]] == ["lost_reason"]
    # Another team's salesperson: the deal is not there.
    hidden = (await run("MoveOpportunity", {"id": deal_id, "to": "needs", "version": 1}, other))[
        "moveOpportunity"
    ]
    assert hidden["__typename"] == "NotFoundError"
    listed = (await run("ListOpportunities", {}, other))["opportunities"]
    assert listed["totalCount"] == 0
    won = (await run("MoveOpportunity", {"id": deal_id, "to": "won", "version": 1}))["moveOpportunity"]
    assert won["opportunity"]["stage"] == "won"
    order = (await run("CreateOrderFromOpportunity", {"id": deal_id, "warehouseId": shop_id}))[
        "createOrderFromOpportunity"
    ]
    assert (order["__typename"], order["order"]["total"]) == ("OrderPayload", "11998.00")
    again = (await run("CreateOrderFromOpportunity", {"id": deal_id, "warehouseId": shop_id}))[
        "createOrderFromOpportunity"
    ]
    assert [(tuple(f["path"]), f["code"]) for f in again["fields"]] == [(("id",), "already_converted")]

    target = (
        await run(
            "SetSalesTarget",
            {"input": {"month": "2026-13", "amount": "-1", "userId": str(tenant.people["sales_a"])}},
            manager,
        )
    )["setSalesTarget"]
    assert sorted((tuple(f["path"]), f["code"]) for f in target["fields"]) == [
        (("input", "amount"), "out_of_range"),
        (("input", "month"), "invalid_month"),
    ]
    denied = (
        await run(
            "SetSalesTarget",
            {"input": {"month": "2026-12", "amount": "1", "userId": str(tenant.people["sales_a"])}},
        )
    )["setSalesTarget"]
    assert denied["__typename"] == "PermissionDeniedError"
    ok = (
        await run(
            "SetSalesTarget",
            {"input": {"month": "2026-12", "amount": "20000", "userId": str(tenant.people["sales_a"])}},
            manager,
        )
    )["setSalesTarget"]
    assert ok["target"]["amount"] == "20000.00"
    forecast = (await run("Forecast", {"month": "2026-12", "months": 1}, manager))["forecast"]
    assert [(p["name"], p["months"][0]["target"]) for p in forecast["people"]] == [("张伟", "20000.00")]

    contract = (
        await run(
            "CreateContract",
            {
                "input": {
                    "title": "全屋家电采购合同",
                    "customerId": str(world.customers["sales_a"]),
                    "opportunityId": deal_id,
                    "amount": "11998",
                    "startsOn": "2026-12-01",
                    "endsOn": "2026-11-01",
                }
            },
        )
    )["createContract"]
    assert [(tuple(f["path"]), f["code"]) for f in contract["fields"]] == [
        (("input", "endsOn"), "ends_before_start")
    ]
    assert run.ran == set(MINE)
