"""Roles over GraphQL, through the example operations integrators copy (graphql/operations/*Role*,
ListPermissions): the catalog, the role list, createRole and updateRole with typed errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.accounts.permissions import ROLES_MANAGE, TEMPLATES

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILES = ("ListPermissions", "ListRoles", "CreateRole", "UpdateRole")


def _op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _client(app: Litestar, kit: TenantKit, who: str) -> Any:
    return integrator(app, kit.host, await token_for(app, kit, who))


async def test_the_catalog_lists_modules_with_their_actions_in_chinese(
    app: Litestar, tenant: TenantKit
) -> None:
    """Anyone may read the catalog; each module offers only its own actions."""
    result = await (await _client(app, tenant, "sales_a")).gql(_op("ListPermissions"))
    assert "errors" not in result, result
    modules = {m["key"]: m for m in result["data"]["permissions"]}
    customers = [p["name"] for p in modules["customers"]["permissions"]]
    assert customers[:3] == ["customers:read", "customers:create", "customers:edit"]
    assert "customers:export" in customers and "customers:approve" not in customers
    assert [p["name"] for p in modules["tokens"]["permissions"]] == ["tokens:create"]
    assert modules["tokens"]["permissions"][0]["label"] == "创建 API 令牌"
    assert modules["roles"]["label"] == "角色权限"
    # Every module and action a role editor shows has its Chinese label (none falls back to English).
    labels = [m["label"] for m in modules.values()] + [
        p["label"] for m in modules.values() for p in m["permissions"]
    ]
    assert [label for label in labels if label.isascii()] == []


async def test_role_managers_list_roles_and_salespeople_may_not(app: Litestar, tenant: TenantKit) -> None:
    result = await (await _client(app, tenant, "owner")).gql(_op("ListRoles"))
    assert "errors" not in result, result
    by_key = {r["key"]: r for r in result["data"]["roles"]}
    assert set(TEMPLATES) <= set(by_key)
    # 张伟 and 王芳 in 门店一组, 李娜 in 门店二组.
    assert by_key["sales"]["holders"] == 3 and by_key["sales"]["dataScope"] == "OWN"
    assert by_key["sales"]["template"] == "sales"

    refused = await (await _client(app, tenant, "sales_a")).gql(_op("ListRoles"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_create_then_update_a_role_with_typed_refusals(app: Litestar, tenant: TenantKit) -> None:
    owner = await _client(app, tenant, "owner")
    created = (
        await owner.gql(
            _op("CreateRole"), {"input": {"name": "店长助理", "template": "sales", "dataScope": "TEAM"}}
        )
    )["data"]["createRole"]
    assert created["__typename"] == "RolePayload", created
    role = created["role"]
    assert sorted(role["permissions"]) == sorted(TEMPLATES["sales"].permissions)
    assert role["dataScope"] == "TEAM" and role["template"] == "sales" and role["holders"] == 0

    update = _op("UpdateRole")
    unknown = (
        await owner.gql(
            update,
            {"input": {"id": role["id"], "version": role["version"], "permissions": ["customers:fly"]}},
        )
    )["data"]["updateRole"]
    assert unknown["__typename"] == "ValidationError"
    assert unknown["fields"] == [
        {
            "path": ["input", "permissions"],
            "code": "unknown_permission",
            "message": "unknown permissions: customers:fly",
        }
    ]

    saved = (
        await owner.gql(
            update,
            {"input": {"id": role["id"], "version": role["version"], "permissions": ["customers:read"]}},
        )
    )["data"]["updateRole"]
    assert saved["__typename"] == "RolePayload" and saved["role"]["permissions"] == ["customers:read"]
    assert saved["role"]["version"] == role["version"] + 1

    stale = (
        await owner.gql(update, {"input": {"id": role["id"], "version": role["version"], "name": "旧版本"}})
    )["data"]["updateRole"]
    assert stale["__typename"] == "VersionConflictError" and stale["changedBy"] == "王建国"

    refused = (
        await (await _client(app, tenant, "sales_a")).gql(
            _op("CreateRole"), {"input": {"name": "我的角色", "permissions": ["customers:export"]}}
        )
    )["data"]["createRole"]
    assert refused == {
        "__typename": "PermissionDeniedError",
        "message": f"Missing permission {ROLES_MANAGE}.",
        "permission": ROLES_MANAGE,
    }


async def test_the_last_role_manager_right_cannot_be_removed_over_the_api(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await _client(app, tenant, "owner")
    roles = {r["key"]: r for r in (await owner.gql(_op("ListRoles")))["data"]["roles"]}
    update = _op("UpdateRole")
    admin = roles["admin"]
    first = (
        await owner.gql(
            update,
            {
                "input": {
                    "id": admin["id"],
                    "version": admin["version"],
                    "permissions": [p for p in admin["permissions"] if p != ROLES_MANAGE],
                }
            },
        )
    )["data"]["updateRole"]
    assert first["__typename"] == "RolePayload"
    mine = roles["owner"]
    last = (
        await owner.gql(
            update,
            {
                "input": {
                    "id": mine["id"],
                    "version": mine["version"],
                    "permissions": [p for p in mine["permissions"] if p != ROLES_MANAGE],
                }
            },
        )
    )["data"]["updateRole"]
    assert last["__typename"] == "ValidationError"
    assert [f["code"] for f in last["fields"]] == ["last_role_manager"]


async def test_a_read_only_token_cannot_change_roles(app: Litestar, tenant: TenantKit) -> None:
    """王建国's read-only token changes no role, whatever his role allows; the refusal says why."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        user = await accounts_repo.user_by_id(session, tenant.people["owner"])
        assert user is not None
        token, _ = await accounts.create_api_token(
            session, user, tenant_slug=tenant.slug, name="bi", scopes="read"
        )
    reader = integrator(app, tenant.host, token)
    owner = await _client(app, tenant, "owner")
    roles = {r["key"]: r for r in (await owner.gql(_op("ListRoles")))["data"]["roles"]}
    sales = roles["sales"]
    refused = (
        await reader.gql(
            _op("UpdateRole"),
            {"input": {"id": sales["id"], "version": sales["version"], "permissions": ["customers:read"]}},
        )
    )["data"]["updateRole"]
    assert refused["__typename"] == "PermissionDeniedError" and refused["permission"] == "token:write"
    created = (await reader.gql(_op("CreateRole"), {"input": {"name": "只读令牌建的"}}))["data"]["createRole"]
    assert created["__typename"] == "PermissionDeniedError"
    after = {r["key"]: r for r in (await owner.gql(_op("ListRoles")))["data"]["roles"]}
    assert after["sales"]["version"] == sales["version"] and len(after) == len(roles)


def test_every_role_operation_file_has_a_case_here() -> None:
    """The contract test leaves these files to this module: each is sent above."""
    here = Path(__file__).read_text(encoding="utf-8")
    for name in FILES:
        assert (OPERATIONS / f"{name}.graphql").exists() and f'_op("{name}")' in here, name
