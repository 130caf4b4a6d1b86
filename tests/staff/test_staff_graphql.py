"""Staff over GraphQL, as an HR sync uses it, through the example operations integrators copy
(graphql/operations/ListStaff, ListTeams, InviteStaff, UpdateStaff, DeactivateStaff, ReactivateStaff).

李静 (admin) holds a token with staff:manage; 张伟 (sales_a) holds one without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TEAM_A, TEAM_B, TenantKit, actor, integrator, token_for
from litestar import Litestar
from staffkit import mails, role_id, team_id

from app.customers import service as customers
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILES = ("ListStaff", "ListTeams", "InviteStaff", "UpdateStaff", "DeactivateStaff", "ReactivateStaff")


def _op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def _client(app: Litestar, kit: TenantKit, who: str) -> Any:
    return integrator(app, kit.host, await token_for(app, kit, who))


def test_every_staff_operation_file_is_run_here() -> None:
    assert {p.stem for p in OPERATIONS.glob("*Staff*.graphql")} | {"ListTeams"} == set(FILES)


async def test_an_hr_sync_lists_staff_and_teams(app: Litestar, tenant: TenantKit) -> None:
    li = await _client(app, tenant, "admin")
    result = await li.gql(_op("ListStaff"), {"active": True})
    assert "errors" not in result, result
    by_email = {s["email"]: s for s in result["data"]["staff"]}
    liu = by_email[tenant.email("manager_a")]
    assert (liu["name"], liu["role"]["key"], liu["isActive"]) == ("刘洋", "manager", True)
    assert liu["teamId"] == str(await team_id(app, tenant, TEAM_A))
    teams = (await li.gql(_op("ListTeams")))["data"]["teams"]
    assert {t["name"]: t["activeMembers"] for t in teams} == {TEAM_A: 3, TEAM_B: 2}


async def test_a_salesperson_token_reads_no_staff(app: Litestar, tenant: TenantKit) -> None:
    zhang = await _client(app, tenant, "sales_a")
    result = await zhang.gql(_op("ListStaff"), {})
    assert result["data"] is None and result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await zhang.gql(_op("DeactivateStaff"), {"id": str(tenant.people["sales_a2"])})
    assert refused["data"]["deactivateStaff"]["__typename"] == "PermissionDeniedError"


async def test_invite_update_deactivate_with_handover_and_reactivate(
    app: Litestar, tenant: TenantKit
) -> None:
    li = await _client(app, tenant, "admin")
    invited = await li.gql(
        _op("InviteStaff"),
        {
            "input": {
                "email": "zhao.lei@example.com",
                "name": "赵磊",
                "roleId": str(await role_id(app, tenant, "sales")),
            }
        },
    )
    payload = invited["data"]["inviteStaff"]
    assert payload["__typename"] == "InviteStaffPayload" and payload["mailed"] is True
    assert await mails(app, "zhao.lei@example.com", "staff_invitation") == 1
    again = await li.gql(
        _op("InviteStaff"),
        {"input": {"email": tenant.email("sales_b"), "roleId": str(await role_id(app, tenant, "sales"))}},
    )
    assert again["data"]["inviteStaff"]["fields"][0]["code"] == "already_staff"

    moved = await li.gql(
        _op("UpdateStaff"),
        {"input": {"id": str(tenant.people["sales_b"]), "teamId": str(await team_id(app, tenant, TEAM_A))}},
    )
    assert moved["data"]["updateStaff"]["staffAccount"]["teamId"] == str(await team_id(app, tenant, TEAM_A))
    cleared = await li.gql(
        _op("UpdateStaff"), {"input": {"id": str(tenant.people["sales_b"]), "teamId": None}}
    )
    assert cleared["data"]["updateStaff"]["staffAccount"]["teamId"] is None

    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.create_customer(
            session, await actor(app, tenant, "sales_b"), CustomerInput(name="孙浩")
        )
    required = await li.gql(_op("DeactivateStaff"), {"id": str(tenant.people["sales_b"])})
    assert required["data"]["deactivateStaff"]["fields"][0]["code"] == "handover_required"
    done = await li.gql(
        _op("DeactivateStaff"),
        {"id": str(tenant.people["sales_b"]), "handoverTo": str(tenant.people["manager_b"])},
    )
    result = done["data"]["deactivateStaff"]
    assert result["__typename"] == "DeactivateStaffPayload", result
    assert result["staffAccount"]["isActive"] is False and result["handedTo"]["name"] == "陈静"
    assert result["handedOver"] == [{"entity": "customer", "label": "客户", "count": 1}]
    to_gone = await li.gql(
        _op("DeactivateStaff"),
        {"id": str(tenant.people["sales_a"]), "handoverTo": str(tenant.people["sales_b"])},
    )
    assert to_gone["data"]["deactivateStaff"]["fields"][0]["code"] == "colleague_deactivated"
    yourself = await li.gql(_op("DeactivateStaff"), {"id": str(tenant.people["admin"])})
    assert yourself["data"]["deactivateStaff"]["fields"][0]["code"] == "cannot_deactivate_yourself"
    unknown = await li.gql(_op("DeactivateStaff"), {"id": "not-an-id"})
    assert unknown["data"]["deactivateStaff"]["__typename"] == "NotFoundError"

    back = await li.gql(_op("ReactivateStaff"), {"id": str(tenant.people["sales_b"])})
    assert back["data"]["reactivateStaff"]["staffAccount"]["isActive"] is True
