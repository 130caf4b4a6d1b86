"""Contacts and addresses through the API, as 张伟's ERP uses them: the example operations in
graphql/operations run, refusals are typed errors with input paths, and scope holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
NAMES = ("CreateContact", "UpdateContact", "CreateCustomerAddress", "GetCustomerContactsAndAddresses")


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _customer(app: Litestar, kit: TenantKit, **fields: Any) -> str:
    async with app.state.db.tenant_session(kit.schema) as session:
        record = await customers.create_customer(
            session, await actor(app, kit, "sales_a"), CustomerInput(**fields)
        )
    return str(record.id)


async def test_the_example_operations_add_and_read_contacts_and_addresses(
    app: Litestar, tenant: TenantKit
) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    company = await _customer(app, tenant, name="杭州西湖家电有限公司", kind="company")
    created = await erp.gql(
        op("CreateContact"), {"input": {"customerId": company, "name": "周经理", "mobile": "139 1111 2222"}}
    )
    contact = created["data"]["createContact"]["contact"]
    assert (contact["mobile"], contact["isPrimary"], contact["version"]) == ("13911112222", True, 1)
    updated = await erp.gql(
        op("UpdateContact"), {"input": {"id": contact["id"], "version": 1, "title": "总经理"}}
    )
    assert updated["data"]["updateContact"]["contact"]["title"] == "总经理"
    address = await erp.gql(
        op("CreateCustomerAddress"),
        {
            "input": {
                "customerId": company,
                "kind": "INSTALLATION",
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 90 号",
            }
        },
    )
    assert address["data"]["createCustomerAddress"]["address"]["isDefault"] is True
    read = await erp.gql(op("GetCustomerContactsAndAddresses"), {"id": company})
    customer = read["data"]["customer"]
    assert [c["name"] for c in customer["contacts"]] == ["周经理"]
    assert [(a["kind"], a["district"]) for a in customer["addresses"]] == [("INSTALLATION", "西湖区")]
    assert not any("errors" in r for r in (created, updated, address, read))


async def test_refusals_are_typed_errors_with_input_paths(app: Litestar, tenant: TenantKit) -> None:
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    person = await _customer(app, tenant, name="李红梅")
    result = await erp.gql(
        op("CreateContact"), {"input": {"customerId": person, "name": "李先生", "email": "li@"}}
    )
    error = result["data"]["createContact"]
    assert error["__typename"] == "ValidationError"
    assert {(tuple(f["path"]), f["code"]) for f in error["fields"]} == {(("input", "email"), "invalid_email")}
    result = await erp.gql(op("CreateContact"), {"input": {"customerId": person, "name": "李先生"}})
    fields = result["data"]["createContact"]["fields"]
    assert [(f["path"], f["code"]) for f in fields] == [(["input", "customerId"], "not_a_company")]
    stale = await erp.gql(
        op("CreateCustomerAddress"),
        {
            "input": {
                "customerId": person,
                "province": "浙江省",
                "city": "杭州市",
                "district": "朝阳区",
                "detail": "x",
            }
        },
    )
    assert stale["data"]["createCustomerAddress"]["fields"][0]["code"] == "invalid_division"


async def test_another_teams_salesperson_cannot_read_or_change_them(app: Litestar, tenant: TenantKit) -> None:
    mine = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    company = await _customer(app, tenant, name="杭州西湖家电有限公司", kind="company")
    created = await mine.gql(op("CreateContact"), {"input": {"customerId": company, "name": "周经理"}})
    contact = created["data"]["createContact"]["contact"]
    theirs = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    # Out of scope reads exactly like absent, for the contact and for its customer.
    changed = await theirs.gql(
        op("UpdateContact"), {"input": {"id": contact["id"], "version": 1, "name": "x"}}
    )
    assert changed["data"]["updateContact"]["__typename"] == "NotFoundError"
    added = await theirs.gql(op("CreateContact"), {"input": {"customerId": company, "name": "x"}})
    assert added["data"]["createContact"]["fields"][0]["code"] == "unknown_customer"
    read = await theirs.gql(op("GetCustomerContactsAndAddresses"), {"id": company})
    assert read["data"]["customer"]["__typename"] == "NotFoundError"


def test_every_operation_of_this_area_is_exercised() -> None:
    assert {p.stem for p in OPERATIONS.glob("*Contact*.graphql")} | {
        p.stem for p in OPERATIONS.glob("*CustomerAddress*.graphql")
    } == set(NAMES)
