"""The customer timeline, notes, duplicate control and merges through the API, as the ERPs of 张伟
(salesperson) and 刘洋 (his manager) use them: the example operations in graphql/operations run,
refusals are typed errors, and scope holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
NAMES = {
    "GetCustomerTimeline",
    "AddCustomerNote",
    "CreateCustomerCheckingDuplicates",
    "DuplicateCandidates",
    "MergeCustomers",
    "UndoMerge",
}


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a", **fields: Any) -> str:
    async with app.state.db.tenant_session(kit.schema) as session:
        record = await customers.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))
    return str(record.id)


async def test_notes_and_the_timeline_connection(app: Litestar, tenant: TenantKit) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    customer = await _customer(app, tenant, name="刘德华")
    for body in ("第一次电话", "@刘洋 客户要特价"):
        added = await erp.gql(op("AddCustomerNote"), {"input": {"customerId": customer, "body": body}})
        assert added["data"]["addCustomerNote"]["__typename"] == "CustomerNotePayload", added
    mention = added["data"]["addCustomerNote"]["note"]["mentionedIds"]
    assert mention == [str(tenant.people["manager_a"])]
    first = await erp.gql(op("GetCustomerTimeline"), {"id": customer, "first": 2})
    data = first["data"]
    assert "note" in [k["key"] for k in data["timelineKinds"]]
    timeline = data["customer"]["timeline"]
    assert [e["node"]["details"]["body"] for e in timeline["edges"]] == ["@刘洋 客户要特价", "第一次电话"]
    assert timeline["totalCount"] == 3 and timeline["pageInfo"]["hasNextPage"]
    rest = await erp.gql(
        op("GetCustomerTimeline"), {"id": customer, "after": timeline["pageInfo"]["endCursor"]}
    )
    (created,) = rest["data"]["customer"]["timeline"]["edges"]
    assert (created["node"]["kind"], created["node"]["action"], created["node"]["actorName"]) == (
        "record",
        "create",
        "张伟",
    )
    # Edits name fields; their values stay in the audit log.
    assert "before" not in created["node"]["details"]
    notes_only = await erp.gql(op("GetCustomerTimeline"), {"id": customer, "kinds": ["note"]})
    assert notes_only["data"]["customer"]["timeline"]["totalCount"] == 2


async def test_bad_timeline_arguments_and_empty_notes_are_client_errors(
    app: Litestar, tenant: TenantKit
) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    customer = await _customer(app, tenant, name="刘德华")
    bad = await erp.gql(op("GetCustomerTimeline"), {"id": customer, "first": 500, "kinds": ["gossip"]})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    empty = await erp.gql(op("AddCustomerNote"), {"input": {"customerId": customer, "body": " "}})
    result = empty["data"]["addCustomerNote"]
    assert result["__typename"] == "ValidationError" and result["fields"][0]["path"] == ["input", "body"]


async def test_duplicate_control_is_a_typed_error_naming_only_the_owner(
    app: Litestar, tenant: TenantKit
) -> None:
    await _customer(app, tenant, "sales_b", name="孙丽华", mobile="13811112222")
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    variables = {"input": {"name": "李红梅", "mobile": "13811112222"}}
    warned = (await erp.gql(op("CreateCustomerCheckingDuplicates"), variables))["data"]["createCustomer"]
    assert warned["__typename"] == "DuplicateCustomerError" and warned["confirmable"]
    assert warned["matches"] == [
        {"field": "mobile", "ownerName": "李娜", "customerId": None, "customerName": None}
    ]
    assert "孙丽华" not in str(warned)
    saved = await erp.gql(op("CreateCustomerCheckingDuplicates"), variables | {"confirmDuplicates": True})
    assert saved["data"]["createCustomer"]["__typename"] == "CustomerPayload"


async def test_candidates_merge_and_undo(app: Litestar, tenant: TenantKit) -> None:
    older = await _customer(app, tenant, name="王氏电器有限公司", kind="company")
    async with app.state.db.tenant_session(tenant.schema) as session:
        newer = str(
            (
                await customers.create_customer(
                    session,
                    await actor(app, tenant, "sales_a2"),
                    CustomerInput(name="王氏电器", kind="company"),
                    confirm_duplicates=True,
                )
            ).id
        )
    manager = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    found = (await manager.gql(op("DuplicateCandidates"), {"reasons": ["SAME_COMPANY"]}))["data"]
    pair = found["duplicateCandidates"]["pairs"][0]
    assert (pair["reason"], pair["olderId"], pair["newerId"]) == ("SAME_COMPANY", older, newer)
    itself = await manager.gql(op("MergeCustomers"), {"input": {"keptId": older, "mergedId": older}})
    assert itself["data"]["mergeCustomers"]["fields"][0]["code"] == "merge_into_itself"
    # A salesperson may not merge (customers:delete).
    sales = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    refused = await sales.gql(op("MergeCustomers"), {"input": {"keptId": older, "mergedId": newer}})
    assert refused["data"]["mergeCustomers"]["__typename"] == "PermissionDeniedError"
    merged = (await manager.gql(op("MergeCustomers"), {"input": {"keptId": older, "mergedId": newer}}))[
        "data"
    ]
    merge = merged["mergeCustomers"]["merge"]
    assert merge["keptId"] == older and merge["mergedId"] == newer
    undone = (await manager.gql(op("UndoMerge"), {"id": merge["id"]}))["data"]["undoMerge"]
    assert undone["merge"]["undoneAt"] is not None
    again = (await manager.gql(op("UndoMerge"), {"id": merge["id"]}))["data"]["undoMerge"]
    assert again["fields"][0]["code"] == "already_undone"
    unknown = (await manager.gql(op("UndoMerge"), {"id": "not-an-id"}))["data"]["undoMerge"]
    assert unknown["__typename"] == "NotFoundError"


def test_every_operation_of_this_area_is_exercised() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    assert all(f'op("{name}")' in text for name in NAMES)
