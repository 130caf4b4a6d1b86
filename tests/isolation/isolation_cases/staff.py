"""Isolation cases of staff and teams: the admin pages under 设置, the public invitation and
password pages, and the GraphQL staff fields.

B has a team and a pending invitation, both named with the marker; its salesperson 张伟 is the
staff member A aims at. Nothing A does with B's ids reads B's staff, teams or invitations, or
changes them (B's ids name nobody in A); A's cookie on B's host opens only the public pages.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from isolation_world import MARKER_NAME, PUBLIC, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import Role, Team, User
from app.staff.models import StaffInvitation

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/settings/staff"): RouteCase(TENANT),
    ("GET", "/settings/staff/new"): RouteCase(TENANT),
    ("POST", "/settings/staff/new"): RouteCase(
        TENANT, {"mode": "add", "email": "iso-attack@a.example", "name": "甲方", "role_id": ""}
    ),
    ("GET", "/settings/staff/{user_id:uuid}"): RouteCase(TENANT),
    ("POST", "/settings/staff/{user_id:uuid}"): RouteCase(TENANT, {"name": "被篡改"}),
    ("POST", "/settings/staff/{user_id:uuid}/deactivate"): RouteCase(TENANT, {"handover_to": ""}),
    ("POST", "/settings/staff/{user_id:uuid}/reactivate"): RouteCase(TENANT),
    ("POST", "/settings/staff/{user_id:uuid}/reset-password"): RouteCase(TENANT),
    ("POST", "/settings/staff/invitations/{invitation_id:uuid}/revoke"): RouteCase(TENANT),
    ("GET", "/settings/teams"): RouteCase(TENANT),
    ("POST", "/settings/teams"): RouteCase(TENANT, {"name": "甲方团队"}),
    ("POST", "/settings/teams/{team_id:uuid}"): RouteCase(TENANT, {"name": "被篡改", "manager_id": ""}),
    ("POST", "/settings/teams/{team_id:uuid}/delete"): RouteCase(TENANT),
    # Pages for people not signed in: open on any host, but a link of one tenant is nothing on another.
    ("GET", "/invite"): RouteCase(PUBLIC),
    ("POST", "/invite"): RouteCase(
        PUBLIC, {"token": "x", "name": "冒名", "password": "p", "password_confirm": "p"}
    ),
    ("GET", "/password/forgot"): RouteCase(PUBLIC),
    ("POST", "/password/forgot"): RouteCase(PUBLIC, {"email": "nobody@nowhere.example"}),
    ("GET", "/password/reset"): RouteCase(PUBLIC),
    ("POST", "/password/reset"): RouteCase(PUBLIC, {"token": "x", "password": "p", "password_confirm": "p"}),
    ("GET", "/password/new"): RouteCase(TENANT),
    ("POST", "/password/new"): RouteCase(TENANT, {"new_password": "x", "confirm_password": "x"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "staff": ("{ staff { id name email } }", lambda w: {}),
    "teams": ("{ teams { id name } }", lambda w: {}),
    "inviteStaff": (
        'mutation($r: ID!) { inviteStaff(input: {email: "iso@a.example", roleId: $r}) { __typename } }',
        lambda w: {"r": w.extra["role_id_b_sales"]},
    ),
    "updateStaff": (
        'mutation($id: ID!) { updateStaff(input: {id: $id, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["user_id"]},
    ),
    "deactivateStaff": (
        "mutation($id: ID!) { deactivateStaff(id: $id) { __typename } }",
        lambda w: {"id": w.extra["user_id"]},
    ),
    "reactivateStaff": (
        "mutation($id: ID!) { reactivateStaff(id: $id) { __typename } }",
        lambda w: {"id": w.extra["user_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    team = Team(name=MARKER_NAME)
    session.add(team)
    await session.flush()
    sales = await session.scalar(select(Role).where(Role.key == "sales"))
    invitation = StaffInvitation(
        email="marker-invitee@b.example",
        name=MARKER_NAME,
        role_id=sales.id,
        team_id=team.id,
        expires_at=await session.scalar(select(Team.created_at).where(Team.id == team.id))
        + timedelta(days=3),
    )
    session.add(invitation)
    await session.flush()
    return {
        "user_id": str(world.b.people["sales_a"]),
        "team_id": str(team.id),
        "invitation_id": str(invitation.id),
        "role_id_b_sales": str(sales.id),
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    zhang = await session.get(User, uuid.UUID(world.extra["user_id"]))
    if zhang is None or not zhang.is_active or zhang.name != "张伟" or zhang.must_change_password:
        problems.append("B's staff member changed")
    team = await session.get(Team, uuid.UUID(world.extra["team_id"]))
    if team is None or team.name != MARKER_NAME or team.manager_id is not None:
        problems.append("B's team changed")
    invitation = await session.get(StaffInvitation, uuid.UUID(world.extra["invitation_id"]))
    if invitation is None or invitation.revoked_at is not None or invitation.accepted_at is not None:
        problems.append("B's invitation changed")
    return problems
