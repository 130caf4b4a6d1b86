"""Custom fields through GraphQL: definitions, values on customers, filters and typed refusals.

An integrator (owner's token) defines the fields; a salesperson's ERP writes and filters values.
Refusals are ValidationErrors whose paths name the input (["input", "customFields", "<key>"]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cf_kit import SOURCE_OPTIONS, define, new_customer, purchase_channel
from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


DEFINE, UPDATE = operation("DefineCustomField"), operation("UpdateCustomField")
ARCHIVE, RESTORE, LIST = (
    operation("ArchiveCustomField"),
    operation("RestoreCustomField"),
    operation("CustomFieldDefinitions"),
)

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on CustomerPayload { customer { id version customFields } }
    ... on ValidationError { fields { path code message } }
  }
}
"""
UPDATE_CUSTOMER = """
mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    __typename
    ... on CustomerPayload { customer { id version customFields } }
    ... on ValidationError { fields { path code message } }
  }
}
"""
FILTERED = """
query($filter: CustomerFilter) {
  customers(first: 100, filter: $filter) { totalCount edges { node { name customFields } } }
}
"""


async def _client(app: Litestar, kit: TenantKit, who: str) -> Any:
    return integrator(app, kit.host, await token_for(app, kit, who))


async def test_owner_defines_updates_archives_and_restores_a_field(app: Litestar, tenant: TenantKit) -> None:
    owner = await _client(app, tenant, "owner")
    defined = await owner.gql(
        DEFINE,
        {
            "input": {
                "entity": "customer",
                "key": "channel",
                "labelZh": "购买渠道",
                "type": "SINGLE_SELECT",
                "filterable": True,
                "options": [{"value": o["value"], "labelZh": o["label_zh"]} for o in SOURCE_OPTIONS],
            }
        },
    )
    payload = defined["data"]["defineCustomField"]
    assert payload["__typename"] == "CustomFieldPayload", defined
    field_id = payload["customField"]["id"]
    updated = (await owner.gql(UPDATE, {"input": {"id": field_id, "version": 1, "required": True}}))["data"]
    assert updated["updateCustomField"]["customField"]["required"] is True
    assert (await owner.gql(ARCHIVE, {"id": field_id}))["data"]["archiveCustomField"]["customField"][
        "archived"
    ]
    listed = (await owner.gql(LIST, {"entity": "customer"}))["data"]["customFieldDefinitions"]
    assert listed == []
    assert not (await owner.gql(RESTORE, {"id": field_id}))["data"]["restoreCustomField"]["customField"][
        "archived"
    ]
    listed = (await owner.gql(LIST, {"entity": "customer"}))["data"]["customFieldDefinitions"]
    assert [d["key"] for d in listed] == ["channel"] and listed[0]["options"][0]["labelZh"] == "天猫"


async def test_a_key_that_collides_with_a_built_in_field_is_a_validation_error(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await _client(app, tenant, "owner")
    result = await owner.gql(
        DEFINE, {"input": {"entity": "customer", "key": "name", "labelZh": "名字", "type": "TEXT"}}
    )
    error = result["data"]["defineCustomField"]
    assert error["__typename"] == "ValidationError"
    assert error["fields"] == [
        {"path": ["input", "key"], "code": "builtin_field", "message": error["fields"][0]["message"]}
    ]


async def test_a_salesperson_cannot_define_fields(app: Litestar, tenant: TenantKit) -> None:
    sales = await _client(app, tenant, "sales_a")
    result = await sales.gql(
        DEFINE, {"input": {"entity": "customer", "key": "hobby", "labelZh": "爱好", "type": "TEXT"}}
    )
    assert result["data"]["defineCustomField"] == {
        "__typename": "PermissionDeniedError",
        "message": "Missing permission settings:manage.",
        "permission": "settings:manage",
    }


async def test_removing_an_option_in_use_is_refused_with_the_count(app: Litestar, tenant: TenantKit) -> None:
    channel = await purchase_channel(app, tenant)
    await new_customer(app, tenant, name="赵一", custom={"channel": "jd"})
    owner = await _client(app, tenant, "owner")
    result = await owner.gql(
        UPDATE, {"input": {"id": str(channel.id), "options": [{"value": "tmall", "labelZh": "天猫"}]}}
    )
    error = result["data"]["updateCustomField"]
    assert error["__typename"] == "ValidationError"
    assert error["fields"][0]["code"] == "option_in_use" and error["fields"][0]["message"].startswith(
        "1 records"
    )


async def test_customers_take_custom_values_and_refuse_bad_ones_by_path(
    app: Litestar, tenant: TenantKit
) -> None:
    await purchase_channel(app, tenant)
    await define(app, tenant, key="budget", label_zh="预算", type="money", filterable=True)
    sales = await _client(app, tenant, "sales_a")
    bad = await sales.gql(
        CREATE_CUSTOMER, {"input": {"name": "钱二", "customFields": {"channel": "pdd", "budget": "abc"}}}
    )
    fields = {tuple(f["path"]): f["code"] for f in bad["data"]["createCustomer"]["fields"]}
    assert fields == {
        ("input", "customFields", "channel"): "invalid_choice",
        ("input", "customFields", "budget"): "invalid_number",
    }
    made = await sales.gql(
        CREATE_CUSTOMER, {"input": {"name": "钱二", "customFields": {"channel": "jd", "budget": 12000}}}
    )
    customer = made["data"]["createCustomer"]["customer"]
    assert customer["customFields"] == {"channel": "jd", "budget": "12000.00"}
    # Only the keys given change; null clears one.
    changed = await sales.gql(
        UPDATE_CUSTOMER, {"input": {"id": customer["id"], "version": 1, "customFields": {"budget": None}}}
    )
    assert changed["data"]["updateCustomer"]["customer"]["customFields"] == {"channel": "jd"}


async def test_the_customer_list_filters_on_custom_fields(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant)
    await define(app, tenant, key="rooms", label_zh="房间数", type="integer", filterable=True)
    await new_customer(app, tenant, name="孙三", custom={"channel": "jd", "rooms": 2})
    await new_customer(app, tenant, name="李四", custom={"channel": "jd", "rooms": 5})
    await new_customer(app, tenant, name="周五", custom={"channel": "tmall", "rooms": 4})
    owner = await _client(app, tenant, "owner")
    result = await owner.gql(
        FILTERED,
        {
            "filter": {
                "customFields": [
                    {"key": "channel", "op": "EQ", "value": "jd"},
                    {"key": "rooms", "op": "GTE", "value": 3},
                ]
            }
        },
    )
    assert [e["node"]["name"] for e in result["data"]["customers"]["edges"]] == ["李四"]
    refused = await owner.gql(
        FILTERED, {"filter": {"customFields": [{"key": "rooms", "op": "CONTAINS", "value": "3"}]}}
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_every_custom_field_example_operation_is_sent_by_these_tests() -> None:
    """The contract test leaves the *CustomField* example files to this module: each one is used here."""
    sent = {DEFINE, UPDATE, ARCHIVE, RESTORE, LIST}
    files = {p.read_text(encoding="utf-8") for p in OPERATIONS.glob("*CustomField*.graphql")}
    assert files == sent
