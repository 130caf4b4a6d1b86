"""Consents, sensitive fields, data-subject exports and erasure through the API, as 王建国's (owner)
and 张伟's (salesperson) integrations use them: the example operations run, refusals are typed
errors naming the input path, and neither another team nor another dealer sees anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.privacy import subject_export

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
NAMES = {
    "RecordConsent",
    "WithdrawConsent",
    "GetCustomerPrivacy",
    "UpdateSensitive",
    "RevealSensitive",
    "CustomersBySensitiveValue",
    "RequestDataExport",
    "DataExport",
    "EraseCustomer",
}
GOOD_ID = "11010519491231002X"
_seq = iter(range(10_000))


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a") -> str:
    n = next(_seq)
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(name=f"周芷若{n}", mobile=f"138{n:08d}")
        return str((await customers.create_customer(session, await actor(app, kit, who), data)).id)


async def test_consent_then_id_number_then_reveal_export_and_erase(app: Litestar, tenant: TenantKit) -> None:
    owner = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    sales = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    customer = await _customer(app, tenant)

    # Without the consent the number is refused, on the field that carries it.
    refused = (
        await sales.gql(op("UpdateSensitive"), {"input": {"customerId": customer, "idCard": GOOD_ID}})
    )["data"]
    assert refused["updateSensitive"]["__typename"] == "ValidationError"
    assert refused["updateSensitive"]["fields"] == [
        {
            "path": ["input", "idCard"],
            "code": "consent_required",
            "message": refused["updateSensitive"]["fields"][0]["message"],
        }
    ]
    bad_checksum = (
        await sales.gql(
            op("UpdateSensitive"), {"input": {"customerId": customer, "bankCard": "6222021234567890120"}}
        )
    )["data"]["updateSensitive"]
    assert [f["path"] for f in bad_checksum["fields"]] == [["input", "bankCard"]]

    consent = {
        "customerId": customer,
        "purpose": "SENSITIVE_DATA",
        "channel": "IN_STORE",
        "policyVersion": "2026-01",
    }
    given = (await sales.gql(op("RecordConsent"), {"input": consent}))["data"]["recordConsent"]
    assert given["__typename"] == "ConsentPayload" and given["consent"]["inForce"]
    saved = (await sales.gql(op("UpdateSensitive"), {"input": {"customerId": customer, "idCard": GOOD_ID}}))[
        "data"
    ]
    assert saved["updateSensitive"]["values"][0] == {"field": "ID_CARD", "masked": "110105********002X"}

    got = (await sales.gql(op("GetCustomerPrivacy"), {"id": customer}))["data"]["customer"]
    assert [c["purpose"] for c in got["consents"]] == ["SENSITIVE_DATA"]
    assert got["sensitiveFields"][0]["masked"] == "110105********002X"

    # 张伟 may not reveal; 王建国 may, and finds the customer by the full number.
    reveal = {"input": {"customerId": customer, "field": "ID_CARD"}}
    denied = (await sales.gql(op("RevealSensitive"), reveal))["data"]["revealSensitive"]
    assert denied == {
        "__typename": "PermissionDeniedError",
        "message": denied["message"],
        "permission": "customers:reveal",
    }
    shown = (await owner.gql(op("RevealSensitive"), reveal))["data"]["revealSensitive"]
    assert shown == {"__typename": "RevealedValue", "field": "ID_CARD", "value": GOOD_ID}
    found = await owner.gql(op("CustomersBySensitiveValue"), {"field": "ID_CARD", "value": GOOD_ID})
    assert found["data"]["customersBySensitiveValue"] == [customer]
    partial = await owner.gql(op("CustomersBySensitiveValue"), {"field": "ID_CARD", "value": GOOD_ID[:8]})
    assert partial["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    # The data-subject export: requested, made by the job, polled.
    no_right = (await sales.gql(op("RequestDataExport"), {"input": {"customerId": customer}}))["data"]
    assert no_right["requestDataExport"]["permission"] == "privacy:manage"
    asked = (await owner.gql(op("RequestDataExport"), {"input": {"customerId": customer}}))["data"]
    export_id = asked["requestDataExport"]["export"]["id"]
    import uuid

    await subject_export.run_subject_export(app.state.db, tenant.schema, uuid.UUID(export_id))
    polled = (await owner.gql(op("DataExport"), {"id": export_id}))["data"]["dataExport"]
    assert polled["export"]["status"] == "done" and polled["export"]["downloadUrl"].endswith("/download")
    someone_else = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    assert (await someone_else.gql(op("DataExport"), {"id": export_id}))["data"]["dataExport"][
        "__typename"
    ] == ("NotFoundError")

    withdrawn = (
        await sales.gql(
            op("WithdrawConsent"),
            {"input": {**{k: consent[k] for k in ("customerId", "purpose")}, "channel": "PHONE"}},
        )
    )["data"]["withdrawConsent"]
    assert withdrawn["consent"]["inForce"] is False and withdrawn["consent"]["withdrawChannel"] == "PHONE"
    erased = (await owner.gql(op("EraseCustomer"), {"input": {"customerId": customer}}))["data"][
        "eraseCustomer"
    ]
    assert erased["__typename"] == "ErasedCustomer" and erased["name"].startswith("已删除客户-")
    again = (await owner.gql(op("EraseCustomer"), {"input": {"customerId": customer}}))["data"][
        "eraseCustomer"
    ]
    assert again["fields"][0] == {
        "path": ["input", "customerId"],
        "code": "already_erased",
        "message": again["fields"][0]["message"],
    }


async def test_another_team_and_another_dealer_find_nothing(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    other_team = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    stranger = integrator(app, other_tenant.host, await token_for(app, other_tenant, "owner"))
    for client in (other_team, stranger):
        consent = {
            "customerId": customer,
            "purpose": "MARKETING_SMS",
            "channel": "ONLINE",
            "policyVersion": "v1",
        }
        result: Any = (await client.gql(op("RecordConsent"), {"input": consent}))["data"]["recordConsent"]
        assert result["__typename"] == "NotFoundError"
        reveal = {"input": {"customerId": customer, "field": "ID_CARD"}}
        result = (await client.gql(op("RevealSensitive"), reveal))["data"]["revealSensitive"]
        assert result["__typename"] in ("NotFoundError", "PermissionDeniedError")
    for name in ("RequestDataExport", "EraseCustomer"):
        result = (await stranger.gql(op(name), {"input": {"customerId": customer}}))["data"]
        assert next(iter(result.values()))["__typename"] == "NotFoundError"
    # A malformed id reads like any unknown one.
    result = (await stranger.gql(op("EraseCustomer"), {"input": {"customerId": "not-a-uuid"}}))["data"]
    assert result["eraseCustomer"]["__typename"] == "NotFoundError"


def test_this_file_runs_every_privacy_operation() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    assert all(f'op("{name}")' in text for name in NAMES)
