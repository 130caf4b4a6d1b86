"""Workflows in GraphQL: workflow(entity:), updateWorkflow, transitionCustomer with typed refusals,
and stageHistory on the customer; the example operations in graphql/operations run as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar
from sqlalchemy import update

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
MINE = ("GetWorkflow", "UpdateWorkflow", "TransitionCustomer")


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


async def _client(app: Litestar, kit: TenantKit, who: str) -> Any:
    return integrator(app, kit.host, await token_for(app, kit, who))


def _as_input(workflow: dict[str, Any]) -> dict[str, Any]:
    """The workflow read through GetWorkflow, as UpdateWorkflowInput."""

    def guard(g: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in g.items() if v is not None}

    return {
        "entity": workflow["entity"],
        "version": workflow["version"],
        "states": [
            {"key": s["key"], "label": s["label"], "category": s["category"]} for s in workflow["states"]
        ],
        "transitions": [
            {"from": t["from"], "to": t["to"], "guards": [guard(g) for g in t["guards"]]}
            for t in workflow["transitions"]
        ],
    }


async def test_the_example_operations_run_as_an_erp_would(app: Litestar, tenant: TenantKit) -> None:
    """刘洋's ERP reads the workflow, adds 已报价 and guards 成交; 张伟's moves 李红梅 through it."""
    manager, seller = await _client(app, tenant, "manager_a"), await _client(app, tenant, "sales_a")
    ran: set[str] = set()

    async def run(client: Any, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = await client.gql(operation(name), variables)
        assert "errors" not in result, (name, result)
        ran.add(name)
        return result["data"]

    workflow = (await run(seller, "GetWorkflow", {"entity": "customer"}))["workflow"]
    assert workflow["__typename"] == "Workflow" and workflow["version"] == 1
    assert [s["label"]["zhCn"] for s in workflow["states"]] == ["潜在", "意向", "成交", "流失"]
    assert workflow["states"][2]["category"] == "WON"

    edited = _as_input(workflow)
    edited["states"].insert(
        2, {"key": "quoted", "label": {"zhCn": "已报价", "en": "Quoted"}, "category": "OPEN"}
    )
    edited["transitions"] += [{"from": "interested", "to": "quoted"}, {"from": "quoted", "to": "won"}]
    for move in edited["transitions"]:
        if (move["from"], move["to"]) == ("quoted", "won"):
            move["guards"] = [{"kind": "REQUIRED", "field": "mobile"}]
    saved = (await run(manager, "UpdateWorkflow", {"input": edited}))["updateWorkflow"]
    assert saved["__typename"] == "WorkflowPayload", saved
    assert saved["workflow"]["version"] == 2
    assert [s["key"] for s in saved["workflow"]["states"]] == ["lead", "interested", "quoted", "won", "lost"]

    li = await _customer(app, tenant, "sales_a", name="李红梅", status="interested")
    quoted = (await run(seller, "TransitionCustomer", {"id": str(li.id), "to": "quoted", "version": 1}))[
        "transitionCustomer"
    ]
    assert quoted["__typename"] == "CustomerPayload"
    customer = quoted["customer"]
    # 已报价 is the tenant's own stage: status reads as the built-in stage it refines.
    assert customer["stage"]["label"]["zhCn"] == "已报价" and customer["status"] == "INTERESTED"
    assert [(h["fromState"], h["toState"], h["actorName"]) for h in customer["stageHistory"]] == [
        ("interested", "quoted", "张伟")
    ]

    refused = (await run(seller, "TransitionCustomer", {"id": str(li.id), "to": "won", "version": 2}))[
        "transitionCustomer"
    ]
    assert refused["__typename"] == "GuardFailedError"
    assert (refused["guard"], refused["field"]) == ("REQUIRED", "mobile")

    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(Customer).where(Customer.id == li.id).values(mobile="13912345678"))
        await session.commit()
    won = (
        await run(
            seller,
            "TransitionCustomer",
            {"id": str(li.id), "to": "won", "version": 2, "note": "签了两台空调"},
        )
    )["transitionCustomer"]
    assert won["__typename"] == "CustomerPayload" and won["customer"]["status"] == "WON"
    assert won["customer"]["stageHistory"][0]["note"] == "签了两台空调"

    assert ran == set(MINE)


async def test_a_forbidden_move_is_a_typed_error_listing_the_allowed_moves(
    app: Litestar, tenant: TenantKit
) -> None:
    """流失 → 成交 is not a move: the error names where 流失 may go, and the customer is unchanged."""
    gone = await _customer(app, tenant, "sales_a", name="赵流失", status="lost")
    client = await _client(app, tenant, "sales_a")
    result = await client.gql(
        operation("TransitionCustomer"), {"id": str(gone.id), "to": "won", "version": 1}
    )
    refused = result["data"]["transitionCustomer"]
    assert refused["__typename"] == "NotAllowedTransitionError"
    assert [m["key"] for m in refused["allowedMoves"]] == ["lead", "interested"]
    assert "潜在" in refused["message"] and "意向" in refused["message"]
    stale = await client.gql(
        operation("TransitionCustomer"), {"id": str(gone.id), "to": "lead", "version": 7}
    )
    assert stale["data"]["transitionCustomer"]["__typename"] == "VersionConflictError"


async def test_a_role_guard_failure_names_the_role(app: Litestar, tenant: TenantKit) -> None:
    """Only a manager may mark a customer lost: 张伟 gets GuardFailedError with role manager."""
    manager = await _client(app, tenant, "manager_a")
    workflow = (await manager.gql(operation("GetWorkflow"), {"entity": "customer"}))["data"]["workflow"]
    edited = _as_input(workflow)
    for move in edited["transitions"]:
        if move["to"] == "lost":
            move["guards"] = [{"kind": "ROLE", "role": "manager"}]
    saved = await manager.gql(operation("UpdateWorkflow"), {"input": edited})
    assert saved["data"]["updateWorkflow"]["__typename"] == "WorkflowPayload", saved
    chen = await _customer(app, tenant, "sales_a", name="陈犹豫")
    seller = await _client(app, tenant, "sales_a")
    result = await seller.gql(
        operation("TransitionCustomer"), {"id": str(chen.id), "to": "lost", "version": 1}
    )
    refused = result["data"]["transitionCustomer"]
    assert (refused["__typename"], refused["guard"], refused["role"]) == (
        "GuardFailedError",
        "ROLE",
        "manager",
    )


async def test_update_workflow_refusals_are_typed(app: Litestar, tenant: TenantKit) -> None:
    """A salesperson may not edit; a stranding edit says how many; a stale version names who saved;
    a duplicate key and a move to an unknown state point at the input."""
    manager = await _client(app, tenant, "manager_a")
    workflow = (await manager.gql(operation("GetWorkflow"), {"entity": "customer"}))["data"]["workflow"]
    seller = await _client(app, tenant, "sales_a")
    denied = await seller.gql(operation("UpdateWorkflow"), {"input": _as_input(workflow)})
    assert denied["data"]["updateWorkflow"] == {
        "__typename": "PermissionDeniedError",
        "message": "Missing permission workflows:manage.",
        "permission": "workflows:manage",
    }

    await _customer(app, tenant, "sales_a", name="甲", status="lost")
    await _customer(app, tenant, "sales_a", name="乙", status="lost")
    no_lost = _as_input(workflow)
    no_lost["states"] = [s for s in no_lost["states"] if s["key"] != "lost"]
    no_lost["transitions"] = [t for t in no_lost["transitions"] if "lost" not in (t["from"], t["to"])]
    stranded = (await manager.gql(operation("UpdateWorkflow"), {"input": no_lost}))["data"]["updateWorkflow"]
    assert stranded["__typename"] == "StatesInUseError"
    assert stranded["total"] == 2 and stranded["states"] == [{"key": "lost", "count": 2}]

    broken = _as_input(workflow)
    broken["states"].append({"key": "lead", "label": {"zhCn": "重复"}, "category": "OPEN"})
    broken["transitions"].append({"from": "lead", "to": "nowhere"})
    invalid = (await manager.gql(operation("UpdateWorkflow"), {"input": broken}))["data"]["updateWorkflow"]
    assert invalid["__typename"] == "ValidationError"
    assert {(tuple(f["path"]), f["code"]) for f in invalid["fields"]} == {
        (("input", "states", "4", "key"), "duplicate_state"),
        (("input", "transitions", "10", "to"), "unknown_state"),
    }

    assert (await manager.gql(operation("UpdateWorkflow"), {"input": _as_input(workflow)}))["data"][
        "updateWorkflow"
    ]["__typename"] == "WorkflowPayload"
    stale = (await manager.gql(operation("UpdateWorkflow"), {"input": _as_input(workflow)}))["data"][
        "updateWorkflow"
    ]
    assert stale["__typename"] == "VersionConflictError" and stale["changedBy"] == "刘洋"


async def test_out_of_scope_customers_and_unknown_entities_read_as_not_found(
    app: Litestar, tenant: TenantKit
) -> None:
    """李娜's customer is outside 张伟's scope, "product" has no workflow, a malformed id names nothing."""
    other = await _customer(app, tenant, "sales_b", name="李娜的客户")
    seller = await _client(app, tenant, "sales_a")
    result = await seller.gql(
        operation("TransitionCustomer"), {"id": str(other.id), "to": "won", "version": 1}
    )
    assert result["data"]["transitionCustomer"]["__typename"] == "NotFoundError"
    nothing = await seller.gql(operation("GetWorkflow"), {"entity": "product"})
    assert nothing["data"]["workflow"]["__typename"] == "NotFoundError"
    malformed = await seller.gql(
        operation("TransitionCustomer"), {"id": "not-a-uuid", "to": "won", "version": 1}
    )
    assert malformed["data"]["transitionCustomer"]["__typename"] == "NotFoundError"


async def test_a_list_shows_added_stages_and_their_built_in_counterparts(
    app: Litestar, tenant: TenantKit
) -> None:
    """After 刘洋 adds 已报价 (open, after 意向) and 已安装 (won, after 成交), a customer list reads each
    stage exactly (stage) and as the built-in stage it refines (status): INTERESTED and WON."""
    manager = await _client(app, tenant, "manager_a")
    workflow = (await manager.gql(operation("GetWorkflow"), {"entity": "customer"}))["data"]["workflow"]
    edited = _as_input(workflow)
    edited["states"].insert(2, {"key": "quoted", "label": {"zhCn": "已报价"}, "category": "OPEN"})
    edited["states"].insert(4, {"key": "installed", "label": {"zhCn": "已安装"}, "category": "WON"})
    edited["transitions"] += [{"from": "interested", "to": "quoted"}, {"from": "won", "to": "installed"}]
    saved = await manager.gql(operation("UpdateWorkflow"), {"input": edited})
    assert saved["data"]["updateWorkflow"]["__typename"] == "WorkflowPayload", saved
    for name, status in (("报价中", "interested"), ("已装好", "won")):
        customer = await _customer(app, tenant, "sales_a", name=name, status=status)
        move = await manager.gql(
            operation("TransitionCustomer"),
            {"id": str(customer.id), "to": "quoted" if status == "interested" else "installed", "version": 1},
        )
        assert move["data"]["transitionCustomer"]["__typename"] == "CustomerPayload", move
    seller = await _client(app, tenant, "sales_a")
    listed = await seller.gql("{ customers(first: 10) { edges { node { name status stage { key } } } } }")
    nodes = {e["node"]["name"]: e["node"] for e in listed["data"]["customers"]["edges"]}
    assert nodes["报价中"]["status"] == "INTERESTED" and nodes["报价中"]["stage"]["key"] == "quoted"
    assert nodes["已装好"]["status"] == "WON" and nodes["已装好"]["stage"]["key"] == "installed"
