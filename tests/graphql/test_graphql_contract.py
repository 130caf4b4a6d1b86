"""The public contract: graphql/schema.graphql matches the code, and every example operation works.

graphql/ holds only the contract (never Python): a package named graphql would shadow graphql-core,
which strawberry imports as ``graphql``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from gqlkit import OPERATIONS, create
from litestar import Litestar

from app.customers import fields
from app.graphql.export import sdl
from app.graphql.types import customers as customer_types

CONTRACT = OPERATIONS.parent
REGENERATE = ".venv/bin/python -m app.graphql.export > graphql/schema.graphql"
# Example operations run by their own area's tests (each of those asserts it ran all of its files).
RUN_ELSEWHERE = {"GetWorkflow", "UpdateWorkflow", "TransitionCustomer"}  # tests/workflows
RUN_ELSEWHERE |= {
    "RecordConsent",
    "WithdrawConsent",
    "GetCustomerPrivacy",
    "UpdateSensitive",
}  # tests/privacy
RUN_ELSEWHERE |= {
    "RevealSensitive",
    "CustomersBySensitiveValue",
    "RequestDataExport",
    "DataExport",
}  # tests/privacy
RUN_ELSEWHERE |= {"EraseCustomer"}  # tests/privacy
RUN_ELSEWHERE |= {"ListRoles", "ListPermissions", "CreateRole", "UpdateRole"}  # tests/roles
RUN_ELSEWHERE |= {"CreateContact", "UpdateContact", "CreateCustomerAddress"}  # tests/contacts
RUN_ELSEWHERE |= {"GetCustomerContactsAndAddresses"}  # tests/contacts
RUN_ELSEWHERE |= {"CustomFieldDefinitions", "DefineCustomField", "UpdateCustomField"}  # tests/customfields
RUN_ELSEWHERE |= {"ArchiveCustomField", "RestoreCustomField"}  # tests/customfields
RUN_ELSEWHERE |= {"ListStaff", "ListTeams", "InviteStaff", "UpdateStaff"}  # tests/staff
RUN_ELSEWHERE |= {"DeactivateStaff", "ReactivateStaff"}  # tests/staff
RUN_ELSEWHERE |= {"ListProducts", "GetProduct", "CreateProduct", "UpdateProduct"}  # tests/inventory
RUN_ELSEWHERE |= {"ListWarehouses", "StockLevels", "StockMovements", "ReceiveStock"}  # tests/inventory
RUN_ELSEWHERE |= {"IssueStock", "TransferStock", "SerialUnitHistory"}  # tests/inventory
RUN_ELSEWHERE |= {"ReplenishmentSuggestions"}  # tests/inventory
RUN_ELSEWHERE |= {"LogFollowUp", "ListFollowUps", "CreateTask", "CompleteTask"}  # tests/followups
RUN_ELSEWHERE |= {"ListTasks", "WorkList"}  # tests/followups
RUN_ELSEWHERE |= {"ListNotifications", "MarkNotificationsRead"}  # tests/followups
RUN_ELSEWHERE |= {"ListOrders", "GetOrder", "CreateOrder", "UpdateOrder", "TransitionOrder"}  # tests/orders
RUN_ELSEWHERE |= {"SetPaymentPlan", "RecordPayment", "OrderPayments", "Receivables"}  # tests/orders
RUN_ELSEWHERE |= {"GetCustomerTimeline", "AddCustomerNote", "DuplicateCandidates"}  # tests/customer360
RUN_ELSEWHERE |= {"CreateCustomerCheckingDuplicates", "MergeCustomers", "UndoMerge"}  # tests/customer360
RUN_ELSEWHERE |= {"GlobalSearch"}  # tests/search
RUN_ELSEWHERE |= {"ImportCustomers", "ImportJob", "UndoImport"}  # tests/imports
RUN_ELSEWHERE |= {"ListOpportunities", "CreateOpportunity", "MoveOpportunity"}  # tests/opportunities
RUN_ELSEWHERE |= {"PipelineStages", "Forecast", "SetSalesTarget", "CreateContract"}  # tests/opportunities
RUN_ELSEWHERE |= {"CreateOrderFromOpportunity"}  # tests/opportunities
RUN_ELSEWHERE |= {"ListQuotes", "GetQuote", "CreateQuote", "UpdateQuote"}  # tests/quotes
RUN_ELSEWHERE |= {
    "TransitionQuote",
    "ConvertQuoteToOrder",
    "ListPriceLists",
    "CreatePriceList",
}  # tests/quotes


def test_schema_file_matches_the_code() -> None:
    committed = (CONTRACT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), f"graphql/schema.graphql is out of date; regenerate it with: {REGENERATE}"


def test_graphql_is_graphql_core_and_the_contract_folder_has_no_python() -> None:
    import graphql

    assert "site-packages" in Path(graphql.__file__).parts, graphql.__file__
    assert Path(graphql.__file__).parent.name == "graphql"
    assert hasattr(graphql, "GraphQLSchema")
    assert sorted(p.name for p in CONTRACT.rglob("*.py")) == []
    assert not (CONTRACT / "__init__.py").exists()
    assert {p.name for p in CONTRACT.iterdir()} <= {"schema.graphql", "operations"}


def test_enums_name_exactly_the_stored_values() -> None:
    """A value added to app.customers.fields without its GraphQL enum member fails here."""
    pairs = [
        (customer_types.CustomerKind, fields.KINDS),
        (customer_types.Gender, fields.GENDERS),
        (customer_types.CustomerStatus, fields.STATUSES),
        (customer_types.CustomerTier, fields.TIERS),
        (customer_types.CustomerSource, fields.SOURCES),
        (customer_types.CustomerSortField, fields.SORT_FIELDS),
    ]
    for enum, stored in pairs:
        assert tuple(member.value for member in enum) == stored
        assert all(member.name == member.value.upper() for member in enum)


async def test_every_example_operation_runs_against_a_tenant(app: Litestar, tenant: TenantKit) -> None:
    """The files integrators copy, run in the order an integration would use them, as 张伟's ERP."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(OPERATIONS.glob("*.graphql"))}
    ran: set[str] = set()
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    manager = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))

    async def run(name: str, variables: dict[str, Any] | None = None, as_client: Any = client) -> Any:
        # Each file holds exactly one operation, named after the file.
        assert re.findall(r"^(?:query|mutation) (\w+)", texts[name], re.MULTILINE) == [name]
        result = await as_client.gql(texts[name], variables or {})
        assert "errors" not in result, (name, result)
        ran.add(name)
        return result["data"]

    viewer = (await run("Viewer"))["viewer"]
    assert viewer["name"] == "张伟" and viewer["dataScope"] == "own"

    await create(app, tenant, "sales_a", name="王秀英", tags=["冰箱"])
    created = (
        await run(
            "CreateCustomer",
            {
                "input": {
                    "name": "刘德华",
                    "mobile": "13912345678",
                    "status": "INTERESTED",
                    "address": {
                        "province": "北京市",
                        "city": "市辖区",
                        "district": "海淀区",
                        "detail": "中关村大街1号",
                    },
                    "tags": ["空调", "以旧换新"],
                }
            },
        )
    )["createCustomer"]
    assert created["__typename"] == "CustomerPayload"
    customer = created["customer"]
    assert customer["owner"]["name"] == "张伟" and customer["tags"] == ["以旧换新", "空调"]

    got = (await run("GetCustomer", {"id": customer["id"]}))["customer"]
    assert got["__typename"] == "Customer" and got["address"]["district"] == "海淀区"

    listed = (
        await run(
            "ListCustomers",
            {
                "first": 10,
                "filter": {"search": "海淀", "status": "INTERESTED", "tag": "空调"},
                "orderBy": {"field": "CREATED_AT", "direction": "DESC"},
            },
        )
    )["customers"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["name"] == "刘德华"
    everything = (await run("ListCustomers", {"first": 1}))["customers"]
    assert everything["totalCount"] == 2 and everything["pageInfo"]["hasNextPage"] is True
    page_two = (await run("ListCustomers", {"first": 1, "after": everything["pageInfo"]["endCursor"]}))[
        "customers"
    ]
    assert [e["node"]["name"] for e in everything["edges"] + page_two["edges"]] == ["刘德华", "王秀英"]

    assert (await run("ListTags"))["tags"] == ["以旧换新", "冰箱", "空调"]

    updated = (
        await run(
            "UpdateCustomer",
            {"input": {"id": customer["id"], "version": customer["version"], "status": "WON"}},
        )
    )["updateCustomer"]
    assert updated["__typename"] == "CustomerPayload" and updated["customer"]["status"] == "WON"
    stale = (
        await run(
            "UpdateCustomer", {"input": {"id": customer["id"], "version": customer["version"], "tier": "VIP"}}
        )
    )["updateCustomer"]
    assert stale["__typename"] == "VersionConflictError" and stale["changedBy"] == "张伟"

    # Deleting needs customers:delete: his manager 刘洋 has it.
    deleted = (await run("DeleteCustomer", {"id": customer["id"]}, manager))["deleteCustomer"]
    assert deleted["__typename"] == "CustomerPayload" and deleted["customer"]["deletedAt"]
    restored = (await run("RestoreCustomer", {"id": customer["id"]}, manager))["restoreCustomer"]
    assert restored["__typename"] == "CustomerPayload" and restored["customer"]["deletedAt"] is None

    assert ran == set(texts) - RUN_ELSEWHERE, f"operations without a case here: {set(texts) - ran}"
