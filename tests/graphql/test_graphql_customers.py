"""Customers through GraphQL: the whole life of a record, and every refusal as a typed error.

Integrators (a token) and staff in the browser (a session cookie plus the CSRF header) use the same
API. Refusals come back inside the result unions (ValidationError with input paths, NotFoundError,
PermissionDeniedError, VersionConflictError naming who saved first) and nothing is half-written.
"""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, integrator, logged_in, token_for
from gqlkit import create, errors_of, operation
from litestar import Litestar
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.customers.models import Customer

CREATE, UPDATE, GET = operation("CreateCustomer"), operation("UpdateCustomer"), operation("GetCustomer")
DELETE, RESTORE = operation("DeleteCustomer"), operation("RestoreCustomer")

FULL_CUSTOMER = """
query Full($id: ID!) {
  customer(id: $id) {
    __typename
    ... on Customer {
      id name kind gender mobile email source status tier tags birthday notes version deletedAt
      address { province city district detail }
      owner { id name email }
    }
  }
}
"""


async def _count(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)


async def test_integrator_creates_reads_updates_deletes_and_restores_a_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟's ERP, on his token, runs a customer through its whole life; every step is audited."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    created = await client.gql(
        CREATE,
        {
            "input": {
                "name": "刘德华",
                "kind": "INDIVIDUAL",
                "gender": "MALE",
                "mobile": "139 1234 5678",
                "email": "Liu.DeHua@Example.com",
                "address": {
                    "province": "北京市",
                    "city": "市辖区",
                    "district": "海淀区",
                    "detail": "中关村大街1号",
                },
                "source": "WALK_IN",
                "status": "INTERESTED",
                "tier": "GOLD",
                "tags": ["空调", "以旧换新", "空调"],
                "birthday": "1961-09-27",
                "notes": "想换一台变频空调",
            }
        },
    )
    payload = created["data"]["createCustomer"]
    assert payload["__typename"] == "CustomerPayload", created
    customer_id = payload["customer"]["id"]
    assert payload["customer"]["version"] == 1
    assert payload["customer"]["owner"]["name"] == "张伟"  # the caller owns what they create

    full = (await client.gql(FULL_CUSTOMER, {"id": customer_id}))["data"]["customer"]
    assert full == {
        "__typename": "Customer",
        "id": customer_id,
        "name": "刘德华",
        "kind": "INDIVIDUAL",
        "gender": "MALE",
        "mobile": "13912345678",  # normalised
        "email": "liu.dehua@example.com",
        "source": "WALK_IN",
        "status": "INTERESTED",
        "tier": "GOLD",
        "tags": ["以旧换新", "空调"],  # de-duplicated, alphabetical
        "birthday": "1961-09-27",
        "notes": "想换一台变频空调",
        "version": 1,
        "deletedAt": None,
        "address": {"province": "北京市", "city": "市辖区", "district": "海淀区", "detail": "中关村大街1号"},
        "owner": {"id": str(tenant.people["sales_a"]), "name": "张伟", "email": tenant.email("sales_a")},
    }

    # Absent fields stay as they are; an explicit null clears.
    updated = await client.gql(
        UPDATE, {"input": {"id": customer_id, "version": 1, "status": "WON", "email": None, "tags": ["空调"]}}
    )
    changed = updated["data"]["updateCustomer"]
    assert changed["__typename"] == "CustomerPayload", updated
    assert changed["customer"]["version"] == 2
    assert changed["customer"]["status"] == "WON" and changed["customer"]["email"] is None
    assert changed["customer"]["tags"] == ["空调"]
    assert changed["customer"]["mobile"] == "13912345678" and changed["customer"]["tier"] == "GOLD"

    # Deleting needs customers:delete, which 张伟's manager 刘洋 has (his team's customers).
    manager = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    deleted = (await manager.gql(DELETE, {"id": customer_id}))["data"]["deleteCustomer"]
    assert deleted["__typename"] == "CustomerPayload" and deleted["customer"]["deletedAt"] is not None
    live = await client.gql("{ customers { edges { node { id } } } }")
    assert customer_id not in {e["node"]["id"] for e in live["data"]["customers"]["edges"]}
    restored = (await manager.gql(RESTORE, {"id": customer_id}))["data"]["restoreCustomer"]
    assert restored["__typename"] == "CustomerPayload" and restored["customer"]["deletedAt"] is None

    async with app.state.db.tenant_session(tenant.schema) as session:
        records = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.entity_id == customer_id).order_by(AuditRecord.id)
            )
        ).all()
    assert [r.action for r in records] == ["create", "update", "delete", "restore"]
    assert all(r.request_id for r in records)
    assert str(records[0].ip) == "127.0.0.2"  # the integrator's address, recorded by the service


async def test_salesperson_without_delete_permission_gets_a_typed_refusal(
    app: Litestar, tenant: TenantKit
) -> None:
    """Sales may create and edit but not delete: the union says which permission is missing."""
    mine = await create(app, tenant, "sales_a", name="赵敏")
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    result = (await client.gql(DELETE, {"id": str(mine.id)}))["data"]["deleteCustomer"]
    assert result == {
        "__typename": "PermissionDeniedError",
        "message": "Missing permission customers:delete.",
        "permission": "customers:delete",
    }


async def test_staff_in_the_browser_use_the_api_with_their_session_and_csrf_header(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 (manager) creates and edits through /graphql from the admin; without the CSRF header: 403."""
    browser = await logged_in(app, tenant, "manager_a")
    created = await browser.gql(CREATE, {"input": {"name": "周杰伦", "mobile": "13600001111"}})
    customer = created["data"]["createCustomer"]["customer"]
    assert customer["owner"]["name"] == "刘洋"
    updated = await browser.gql(UPDATE, {"input": {"id": customer["id"], "version": 1, "tier": "VIP"}})
    assert updated["data"]["updateCustomer"]["customer"]["tier"] == "VIP"

    before = await _count(app, tenant)
    forged = await browser.post(
        "/graphql", json={"query": CREATE, "variables": {"input": {"name": "伪造"}}}
    )  # a cross-site page can ride on the cookie but cannot read the CSRF token
    assert forged.status_code == 403
    assert await _count(app, tenant) == before


async def test_bad_fields_come_back_together_with_input_paths_and_nothing_is_written(
    app: Litestar, tenant: TenantKit
) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    before = await _count(app, tenant)
    result = await client.gql(
        CREATE,
        {
            "input": {
                "name": "   ",
                "mobile": "12345",
                "email": "not-an-email",
                "address": {"province": "北京市", "city": "市辖区", "district": "浦东新区"},
                "tags": ["空调", "x" * 31],
                "birthday": "2999-01-01",
            }
        },
    )
    refusal = result["data"]["createCustomer"]
    assert refusal["__typename"] == "ValidationError"
    assert {(tuple(f["path"]), f["code"]) for f in refusal["fields"]} == {
        (("input", "name"), "required"),
        (("input", "mobile"), "invalid_mobile"),
        (("input", "email"), "invalid_email"),
        (("input", "address", "district"), "invalid_division"),
        (("input", "tags", "1"), "too_long"),
        (("input", "birthday"), "out_of_range"),
    }
    assert all(f["message"] for f in refusal["fields"])
    assert await _count(app, tenant) == before


async def test_bad_mobile_on_update_points_at_input_mobile_and_keeps_the_record(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await create(app, tenant, "sales_a", name="黄蓉", mobile="13700002222")
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    result = await client.gql(UPDATE, {"input": {"id": str(customer.id), "version": 1, "mobile": "1370000"}})
    refusal = result["data"]["updateCustomer"]
    assert refusal["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in refusal["fields"]] == [(["input", "mobile"], "invalid_mobile")]
    again = (await client.gql(FULL_CUSTOMER, {"id": str(customer.id)}))["data"]["customer"]
    assert again["mobile"] == "13700002222" and again["version"] == 1


async def test_missing_name_overlong_name_and_unknown_enum_values_are_refused(
    app: Litestar, tenant: TenantKit
) -> None:
    """A missing required field or an unknown enum value is a GraphQL validation error; an overlong
    name is a ValidationError. Neither writes anything."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    before = await _count(app, tenant)

    missing = await client.gql(CREATE, {"input": {"mobile": "13912345678"}})
    assert missing.get("data") is None and any("name" in m for m in errors_of(missing))

    literal = await client.gql(
        'mutation { createCustomer(input: {name: "杨过", status: MAYBE}) { __typename } }'
    )
    assert literal.get("data") is None
    assert errors_of(literal) == ["Value 'MAYBE' does not exist in 'CustomerStatus' enum."]

    variable = await client.gql(
        CREATE, {"input": {"name": "杨过", "status": "lead"}}
    )  # stored spelling, not the API's
    assert variable.get("data") is None
    assert "does not exist in 'CustomerStatus' enum" in errors_of(variable)[0]

    overlong = await client.gql(CREATE, {"input": {"name": "张" * 101}})
    fields = overlong["data"]["createCustomer"]["fields"]
    assert [(f["path"], f["code"]) for f in fields] == [(["input", "name"], "too_long")]
    assert await _count(app, tenant) == before


async def test_stale_version_is_a_conflict_naming_who_saved_first(app: Litestar, tenant: TenantKit) -> None:
    """张伟 and his manager 刘洋 both open version 1; 刘洋 saves first, so 张伟 learns who and when."""
    customer = await create(app, tenant, "sales_a", name="郭靖", tier="silver")
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    liu = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    first = await liu.gql(UPDATE, {"input": {"id": str(customer.id), "version": 1, "tier": "GOLD"}})
    saved = first["data"]["updateCustomer"]["customer"]
    second = await zhang.gql(UPDATE, {"input": {"id": str(customer.id), "version": 1, "tier": "VIP"}})
    conflict = second["data"]["updateCustomer"]
    assert conflict["__typename"] == "VersionConflictError"
    assert conflict["id"] == str(customer.id)
    assert conflict["currentVersion"] == 2
    assert conflict["changedBy"] == "刘洋"
    assert conflict["changedAt"] == saved["updatedAt"]
    assert "刘洋" in conflict["message"]
    after = (await zhang.gql(FULL_CUSTOMER, {"id": str(customer.id)}))["data"]["customer"]
    assert after["tier"] == "GOLD" and after["version"] == 2  # the stale write changed nothing


async def test_unknown_and_malformed_ids_are_not_found(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        got = (await client.gql(GET, {"id": missing}))["data"]["customer"]
        assert got == {"__typename": "NotFoundError", "message": "Customer not found.", "id": missing}
        upd = (await client.gql(UPDATE, {"input": {"id": missing, "version": 1, "name": "无名"}}))["data"]
        assert upd["updateCustomer"]["__typename"] == "NotFoundError"
        assert upd["updateCustomer"]["id"] == missing
        for mutation, name in ((DELETE, "deleteCustomer"), (RESTORE, "restoreCustomer")):
            result = (await client.gql(mutation, {"id": missing}))["data"][name]
            assert result["__typename"] == "NotFoundError", result


async def test_viewer_role_cannot_create(app: Litestar, tenant: TenantKit) -> None:
    """周敏 (viewer) reads everything and changes nothing."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "viewer"))
    before = await _count(app, tenant)
    result = (await client.gql(CREATE, {"input": {"name": "欧阳锋"}}))["data"]["createCustomer"]
    assert result == {
        "__typename": "PermissionDeniedError",
        "message": "Missing permission customers:create.",
        "permission": "customers:create",
    }
    assert await _count(app, tenant) == before


async def test_several_mutations_in_one_document_see_each_others_changes(
    app: Litestar, tenant: TenantKit
) -> None:
    """Mutations run in order; tags shown after the second one are the saved ones, not a stale cache."""
    customer = await create(app, tenant, "sales_a", name="洪七公", tags=["冰箱"])
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    result = await client.gql(
        """
        mutation Two($id: ID!) {
          one: updateCustomer(input: {id: $id, version: 1, tags: ["洗衣机"]}) {
            ... on CustomerPayload { customer { version tags } }
          }
          two: updateCustomer(input: {id: $id, version: 2, tags: ["电视"]}) {
            ... on CustomerPayload { customer { version tags } }
          }
          stale: updateCustomer(input: {id: $id, version: 1, notes: "晚了"}) {
            __typename
            ... on VersionConflictError { currentVersion changedBy }
          }
        }
        """,
        {"id": str(customer.id)},
    )
    assert result["data"] == {
        "one": {"customer": {"version": 2, "tags": ["洗衣机"]}},
        "two": {"customer": {"version": 3, "tags": ["电视"]}},
        "stale": {"__typename": "VersionConflictError", "currentVersion": 3, "changedBy": "张伟"},
    }
