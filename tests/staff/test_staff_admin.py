"""The staff pages as a browser uses them: 设置 → 员工 for 王建国 (owner), the invitation link and
the password pages for someone not signed in, and what a salesperson (张伟) cannot reach.
"""

from __future__ import annotations

import re

from crm_testkit import PASSWORD, TEAM_A, TenantKit, browser, form_errors, logged_in
from litestar import Litestar
from sqlalchemy import update
from staffkit import last_link, limit_seats, mails, role_id, team_id, user

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.staff.models import StaffInvitation


async def test_the_owner_sees_staff_and_the_nav_item_a_salesperson_sees_neither(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/settings/staff")
    assert page.status_code == 200
    assert 'href="/settings/staff"' in page.text and "员工" in page.text
    row = page.text.split(f'id="staff-{tenant.people["manager_a"]}"')[1].split("</tr>")[0]
    assert "刘洋" in row and "经理" in row and TEAM_A in row and "在职" in row
    zhang = await logged_in(app, tenant, "sales_a")
    assert 'href="/settings/staff"' not in (await zhang.get("/customers")).text
    for path in ("/settings/staff", "/settings/teams", f"/settings/staff/{tenant.people['sales_a2']}"):
        assert (await zhang.get(path)).status_code == 403, path
    forged = await zhang.post_form(
        f"/settings/staff/{tenant.people['sales_a2']}/deactivate", {"handover_to": ""}
    )
    assert forged.status_code == 403
    assert (await user(app, tenant, tenant.people["sales_a2"])).is_active


async def test_an_invitation_from_the_page_is_accepted_on_the_link_and_a_second_visit_is_refused(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    sent = await owner.post_form(
        "/settings/staff/new",
        {
            "mode": "invite",
            "email": "Zhou.Xin@Example.com",
            "role_id": str(await role_id(app, tenant, "sales")),
            "team_id": str(await team_id(app, tenant, TEAM_A)),
        },
    )
    assert sent.status_code == 303 and "invited=1" in sent.headers["location"]
    listed = await owner.get(sent.headers["location"])
    assert "邀请已发送" in listed.text and "zhou.xin@example.com" in listed.text
    token = await last_link(app, "zhou.xin@example.com", "staff_invitation")
    visitor = browser(app, tenant.host)
    form = await visitor.get(f"/invite?token={token}")
    assert form.status_code == 200 and "zhou.xin@example.com" in form.text
    bad = await visitor.post_form(
        "/invite", {"token": token, "name": "", "password": "abc", "password_confirm": "abd"}
    )
    assert bad.status_code == 400 and len(form_errors(bad.text)) >= 2
    done = await visitor.post_form(
        "/invite",
        {"token": token, "name": "周鑫", "password": "zhou-xin-88", "password_confirm": "zhou-xin-88"},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/login?welcome=1")
    again = await visitor.get(f"/invite?token={token}")
    assert again.status_code == 410 and "该邀请已被使用" in again.text
    replay = await visitor.post_form(
        "/invite",
        {"token": token, "name": "冒名", "password": "zhou-xin-99", "password_confirm": "zhou-xin-99"},
    )
    assert replay.status_code == 410
    welcome = await browser(app, tenant.host).post_form(
        "/login", {"email": "zhou.xin@example.com", "password": "zhou-xin-88", "next": "/"}
    )
    assert welcome.status_code == 303


async def test_an_expired_invitation_link_gets_a_clear_page(app: Litestar, tenant: TenantKit) -> None:
    owner = await logged_in(app, tenant, "owner")
    await owner.post_form(
        "/settings/staff/new",
        {"mode": "invite", "email": "late@example.com", "role_id": str(await role_id(app, tenant, "sales"))},
    )
    token = await last_link(app, "late@example.com", "staff_invitation")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(StaffInvitation).values(expires_at=StaffInvitation.created_at))
        await session.commit()
    page = await browser(app, tenant.host).get(f"/invite?token={token}")
    assert page.status_code == 410 and "已过期" in page.text
    garbage = await browser(app, tenant.host).get("/invite?token=not-a-link")
    assert garbage.status_code == 400 and "链接无效" in garbage.text


async def test_inviting_someone_already_on_staff_or_past_the_seat_quota_says_so_on_the_form(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    sales = str(await role_id(app, tenant, "sales"))
    taken = await owner.post_form(
        "/settings/staff/new", {"mode": "invite", "email": tenant.email("sales_a"), "role_id": sales}
    )
    assert taken.status_code == 400 and "该邮箱已是员工账号" in taken.text
    assert tenant.email("sales_a") in taken.text  # what was typed is kept
    await limit_seats(app, tenant, 11)
    full = await owner.post_form(
        "/settings/staff/new",
        {"mode": "add", "email": "extra@example.com", "name": "多一人", "role_id": sales},
    )
    assert full.status_code == 400 and "11" in full.text and 'class="alert error"' in full.text


async def test_a_direct_hire_logs_in_with_the_one_time_password_and_must_choose_their_own(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    added = await owner.post_form(
        "/settings/staff/new",
        {
            "mode": "add",
            "email": "wu@example.com",
            "name": "吴刚",
            "role_id": str(await role_id(app, tenant, "technician")),
        },
    )
    assert added.status_code == 200
    password = re.search(r'id="one-time-password" class="mono" readonly value="([^"]+)"', added.text).group(1)  # type: ignore[union-attr]
    wu = browser(app, tenant.host)
    first = await wu.post_form("/login", {"email": "wu@example.com", "password": password, "next": "/"})
    assert first.status_code == 303 and first.headers["location"] == "/password/new"
    # Until a password of their own is set, the admin is closed to them.
    blocked = await wu.get("/customers")
    assert blocked.status_code in (302, 303, 401) and "/password/new" in blocked.headers.get(
        "location", blocked.text
    )
    mismatch = await wu.post_form(
        "/password/new", {"new_password": "wu-gang-2026", "confirm_password": "wu-gang-2027"}
    )
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.text
    chosen = await wu.post_form(
        "/password/new", {"new_password": "wu-gang-2026", "confirm_password": "wu-gang-2026"}
    )
    assert chosen.status_code == 303
    assert (await wu.get("/customers")).status_code == 200


async def test_deactivating_a_leaver_from_their_page_hands_over_their_customers(
    app: Litestar, tenant: TenantKit
) -> None:
    from crm_testkit import actor

    zhang_actor = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.create_customer(session, zhang_actor, CustomerInput(name="李红梅"))
    zhang = await logged_in(app, tenant, "sales_a")
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get(f"/settings/staff/{tenant.people['sales_a']}")
    assert "1 个客户" in page.text and "交接给" in page.text
    missing = await owner.post_form(
        f"/settings/staff/{tenant.people['sales_a']}/deactivate", {"handover_to": ""}
    )
    assert missing.status_code == 400 and "请选择接手其记录的同事" in missing.text
    own = await owner.post_form(f"/settings/staff/{tenant.people['owner']}/deactivate", {"handover_to": ""})
    assert own.status_code == 400 and "不能停用您自己" in own.text
    done = await owner.post_form(
        f"/settings/staff/{tenant.people['sales_a']}/deactivate",
        {"handover_to": str(tenant.people["sales_a2"])},
    )
    assert done.status_code == 303
    # 张伟's open session ended at once.
    assert (await zhang.get("/customers")).status_code != 200
    wang = await logged_in(app, tenant, "sales_a2")
    assert "李红梅" in (await wang.get("/customers")).text
    back = await owner.post_form(f"/settings/staff/{tenant.people['sales_a']}/reactivate", {})
    assert back.status_code == 303
    assert (await user(app, tenant, tenant.people["sales_a"])).is_active


async def test_forgotten_password_answers_alike_for_known_and_unknown_addresses(
    app: Litestar, tenant: TenantKit
) -> None:
    visitor = browser(app, tenant.host)
    login = await visitor.get("/login")
    assert 'href="/password/forgot"' in login.text
    known = await visitor.post_form("/password/forgot", {"email": tenant.email("service")})
    unknown = await visitor.post_form("/password/forgot", {"email": "stranger@example.com"})
    assert (known.status_code, known.headers["location"]) == (
        unknown.status_code,
        unknown.headers["location"],
    )
    assert await mails(app, "stranger@example.com", "password_reset") == 0
    token = await last_link(app, tenant.email("service"), "password_reset")
    form = await visitor.get(f"/password/reset?token={token}")
    assert form.status_code == 200
    done = await visitor.post_form(
        "/password/reset",
        {"token": token, "password": "zheng-li-new-1", "password_confirm": "zheng-li-new-1"},
    )
    assert done.status_code == 303
    again = await visitor.get(f"/password/reset?token={token}")
    assert again.status_code == 410 and "该链接已被使用" in again.text
    old = await browser(app, tenant.host).post_form(
        "/login", {"email": tenant.email("service"), "password": PASSWORD, "next": "/"}
    )
    assert old.status_code == 401


async def test_teams_are_created_given_a_manager_and_deleted_when_empty(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    made = await owner.post_form("/settings/teams", {"name": "售后组"})
    assert made.status_code == 303
    dup = await owner.post_form("/settings/teams", {"name": "售后组"})
    assert dup.status_code == 400 and "已有同名团队" in dup.text
    team_a = await team_id(app, tenant, TEAM_A)
    set_manager = await owner.post_form(
        f"/settings/teams/{team_a}", {"manager_id": str(tenant.people["manager_a"])}
    )
    assert set_manager.status_code == 303
    page = await owner.get("/settings/teams")
    row = page.text.split(f'id="team-{team_a}"')[1].split("</tr>")[0]
    assert f'value="{tenant.people["manager_a"]}" selected' in row
    refused = await owner.post_form(f"/settings/teams/{team_a}/delete", {})
    assert refused.status_code == 400 and "请先把该团队的成员调到其他团队" in refused.text
    new_team = await team_id(app, tenant, "售后组")
    assert (await owner.post_form(f"/settings/teams/{new_team}/delete", {})).status_code == 303
