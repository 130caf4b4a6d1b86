"""Support access: only while the dealer's admin grants it, and every step audited as support.

李静 (the dealer's admin) grants DealerCRM support 24 hours under /settings/support. 林涛 (an
operator) sees the grant in the console, presses "enter as support" and lands on the dealer's
host through a one-time link, as "平台支持 <his email>": what he changes is in the dealer's audit
log under that name, and each request in the platform audit log. Without a grant, after it ends,
with a reused, tampered or expired link, or from an address the dealer's allowlist refuses (unless
the platform allowlist has it) he is refused and told why.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import Browser, TenantKit, browser, logged_in
from lifecycle_kit import SettingsOverride, audit_entries, console_for, new_operator, path_of
from litestar import Litestar
from sqlalchemy import text

from app.platform import support, tokens, usage


async def grant(app: Litestar, kit: TenantKit, hours: str = "24") -> Browser:
    """李静 grants support access from her settings page; her browser."""
    li_jing = await logged_in(app, kit, "admin")
    response = await li_jing.post_form("/settings/support", {"hours": hours})
    assert response.status_code == 303, response.text
    return li_jing


async def enter_link(app: Litestar, kit: TenantKit, operator: str) -> str:
    console = await console_for(app, operator)
    response = await console.post_form(f"/operator/tenants/{kit.slug}/support", {})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"https://{kit.host}/support/enter?token=")
    return location


async def enter(app: Litestar, kit: TenantKit, operator: str) -> Browser:
    """林涛 enters as support; his browser on the dealer's host."""
    link = await enter_link(app, kit, operator)
    helper = browser(app, kit.host)
    response = await helper.get(path_of(link))
    assert response.status_code == 303 and response.headers["location"] == "/", response.text
    return helper


async def set_grant_until(app: Litestar, kit: TenantKit, until: datetime) -> None:
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE {kit.schema}.tenant_settings "
                "SET value = jsonb_set(value, '{until}', to_jsonb(CAST(:u AS text))) "
                "WHERE key = 'support_access'"
            ),
            {"u": until.isoformat()},
        )


async def test_the_admin_grants_and_the_console_lists_the_grant(app: Litestar, tenant: TenantKit) -> None:
    li_jing = await grant(app, tenant, "24")

    page = await li_jing.get("/settings/support?granted=1")
    assert page.status_code == 200 and 'data-active="yes"' in page.text and "已授权支持访问。" in page.text
    assert "李静" in page.text
    async with app.state.db.engine.connect() as conn:
        record = (
            await conn.execute(
                text(
                    f"SELECT actor_label, action, after FROM {tenant.schema}.audit_log "
                    "WHERE entity_id = 'support_access'"
                )
            )
        ).one()
    assert record.actor_label.startswith("李静") and record.action == "grant" and record.after["hours"] == 24
    # The console's list (one table, no tenant schema read) shows it at once, not after the cron job.
    console = await console_for(app, await new_operator(app))
    listed = await console.get("/operator", params={"support": "1", "q": tenant.slug})
    assert f'id="tenant-{tenant.slug}"' in listed.text and "已授权支持访问" in listed.text
    detail = await console.get(f"/operator/tenants/{tenant.slug}")
    assert "以支持身份进入" in detail.text


@pytest.mark.parametrize("hours", ["0", "73", "-5", "一天", ""])
async def test_a_grant_is_between_1_and_72_hours(app: Litestar, tenant: TenantKit, hours: str) -> None:
    li_jing = await logged_in(app, tenant, "admin")
    response = await li_jing.post_form("/settings/support", {"hours": hours})
    assert response.status_code == 422 and "请选择 1 到 72 小时。" in response.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await support.current_grant(session) is None


@pytest.mark.parametrize("who", ["sales_a", "manager_a", "viewer"])
async def test_only_owners_and_admins_see_the_support_page(
    app: Litestar, tenant: TenantKit, who: str
) -> None:
    person = await logged_in(app, tenant, who)
    assert (await person.get("/settings/support")).status_code == 404
    assert (await person.post_form("/settings/support", {"hours": "72"})).status_code == 404
    assert "/settings/support" not in (await person.get("/customers")).text  # no menu entry either
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await support.current_grant(session) is None


async def test_support_without_a_grant_is_refused_and_recorded(app: Litestar, tenant: TenantKit) -> None:
    lin_tao = await new_operator(app)
    console = await console_for(app, lin_tao)
    response = await console.post_form(f"/operator/tenants/{tenant.slug}/support", {})
    assert response.status_code == 403 and "未授权支持访问" in response.text
    [refusal] = await audit_entries(app, tenant.slug, "support_refused")
    assert refusal["operator_email"] == lin_tao and refusal["details"] == {"reason": "no_grant"}


async def test_support_works_as_support_and_every_step_is_audited(app: Litestar, tenant: TenantKit) -> None:
    await grant(app, tenant)
    lin_tao = await new_operator(app)
    helper = await enter(app, tenant, lin_tao)

    cookie = next(c for c in helper.cookies.jar if c.name == "dcrm_support")
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    page = await helper.get("/customers")
    assert page.status_code == 200
    assert 'id="support-banner"' in page.text and f"平台支持 &lt;{lin_tao}&gt;" in page.text
    created = await helper.post_form(
        "/customers",
        {
            "name": "支持建的客户",
            "kind": "individual",
            "status": "lead",
            "owner_id": str(tenant.people["sales_a"]),
        },
    )
    assert created.status_code == 303, created.text

    async with app.state.db.engine.connect() as conn:
        labels = (
            await conn.execute(
                text(
                    f"SELECT DISTINCT actor_label, entity FROM {tenant.schema}.audit_log "
                    "WHERE actor_label LIKE '平台支持%'"
                )
            )
        ).all()
    assert {(label, entity) for label, entity in labels} == {
        (f"平台支持 <{lin_tao}>", "support_session"),
        (f"平台支持 <{lin_tao}>", "customer"),
    }
    actions = [e["action"] for e in await audit_entries(app, tenant.slug) if e["operator_email"] == lin_tao]
    assert actions[:2] == ["support_link", "support_enter"]
    requests = [e["details"] for e in await audit_entries(app, tenant.slug, "support_request")]
    assert {"method": "POST", "path": "/customers"} in requests and {
        "method": "GET",
        "path": "/customers",
    } in requests


async def test_support_cannot_manage_staff_or_extend_its_own_grant(app: Litestar, tenant: TenantKit) -> None:
    await grant(app, tenant, "1")
    helper = await enter(app, tenant, await new_operator(app))
    assert (await helper.get("/settings/support")).status_code == 404
    assert (await helper.post_form("/settings/support", {"hours": "72"})).status_code == 404
    async with app.state.db.tenant_session(tenant.schema) as session:
        current = await support.current_grant(session)
    assert current is not None and current.until is not None
    assert current.until < datetime.now(UTC) + timedelta(hours=1, minutes=1)


async def test_a_revoked_grant_ends_the_session_at_the_next_click(app: Litestar, tenant: TenantKit) -> None:
    li_jing = await grant(app, tenant)
    helper = await enter(app, tenant, await new_operator(app))
    assert (await helper.get("/customers")).status_code == 200

    revoked = await li_jing.post_form("/settings/support/revoke", {})

    assert revoked.status_code == 303
    ended = await helper.get("/customers")
    assert ended.status_code == 303 and ended.headers["location"] == "/support/ended"
    page = await helper.get("/support/ended")
    assert page.status_code == 403 and "支持访问已结束" in page.text
    console = await console_for(app, await new_operator(app))
    assert f'id="tenant-{tenant.slug}"' not in (await console.get("/operator", params={"support": "1"})).text


async def test_an_expired_grant_refuses_entry_and_ends_sessions(app: Litestar, tenant: TenantKit) -> None:
    await grant(app, tenant)
    lin_tao = await new_operator(app)
    helper = await enter(app, tenant, lin_tao)
    await set_grant_until(app, tenant, datetime.now(UTC) - timedelta(seconds=1))

    assert (await helper.get("/customers")).headers["location"] == "/support/ended"
    console = await console_for(app, lin_tao)
    response = await console.post_form(f"/operator/tenants/{tenant.slug}/support", {})
    assert response.status_code == 403 and "授权已过期" in response.text


async def test_the_one_time_link_works_once_and_only_on_its_dealers_host(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    await grant(app, tenant)
    await grant(app, other_tenant)
    lin_tao = await new_operator(app)
    link = await enter_link(app, tenant, lin_tao)

    elsewhere = await browser(app, other_tenant.host).get(path_of(link))
    assert elsewhere.status_code == 400 and "支持链接无效" in elsewhere.text
    assert (await browser(app, tenant.host).get(path_of(link))).status_code == 303
    reused = await browser(app, tenant.host).get(path_of(link))
    assert reused.status_code == 403 and "支持链接已被使用" in reused.text


async def test_tampered_and_expired_links_are_refused(app: Litestar, tenant: TenantKit) -> None:
    await grant(app, tenant)
    lin_tao = await new_operator(app)
    token = (await enter_link(app, tenant, lin_tao)).split("token=", 1)[1]
    body, signature = token.split(".")
    payload = json.loads(tokens._unb64(body))
    payload["m"] = "mallory@evil.example"
    forged = tokens._b64(json.dumps(payload).encode()) + "." + signature
    host = browser(app, tenant.host)
    for bad in (forged, token[:-4], "x.y", ""):
        response = await host.get("/support/enter", params={"token": bad})
        assert response.status_code == 400, bad
    async with app.state.db.engine.begin() as conn:
        stale = await tokens.issue(
            conn, app.state.settings.secret_key, purpose=support.ENTRY_PURPOSE, tenant_slug=tenant.slug,
            lifetime=timedelta(seconds=-1),
            extra={"o": "00000000-0000-0000-0000-000000000000", "m": lin_tao, "n": "林涛"},
        )  # fmt: skip
    expired = await host.get("/support/enter", params={"token": stale})
    assert expired.status_code == 403 and "支持链接已过期" in expired.text
    assert not host.cookies.get("dcrm_support")


async def test_the_ip_allowlist_binds_support_unless_the_platform_allowlist_has_the_address(
    app: Litestar, tenant: TenantKit
) -> None:
    await grant(app, tenant)
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {tenant.schema}.tenant_settings (key, value) VALUES ('security', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"v": json.dumps({"ip_allowlist": ["10.0.0.0/8"]})},
        )
    lin_tao = await new_operator(app)
    helper = browser(app, tenant.host)  # from 127.0.0.1, outside the dealer's list

    refused = await helper.get(path_of(await enter_link(app, tenant, lin_tao)))
    assert refused.status_code == 403 and "平台白名单" in refused.text
    assert [e["details"]["reason"] for e in await audit_entries(app, tenant.slug, "support_refused")] == [
        "ip_not_allowed"
    ]

    with SettingsOverride(app, platform_ip_allowlist=("127.0.0.0/8",)):
        entered = await helper.get(path_of(await enter_link(app, tenant, lin_tao)))
        assert entered.status_code == 303
        assert (await helper.get("/customers")).status_code == 200
        # Staff from the same address are still refused: the exception is for support only.
        staff = browser(app, tenant.host)
        assert (
            await staff.post_form("/login", {"email": tenant.email("sales_a"), "password": "correct-horse-9"})
        ).status_code == 403
    # Without the platform list the same session is refused again.
    assert (await helper.get("/customers")).status_code == 403


async def test_leaving_ends_the_session(app: Litestar, tenant: TenantKit) -> None:
    await grant(app, tenant)
    lin_tao = await new_operator(app)
    helper = await enter(app, tenant, lin_tao)
    page = await helper.get("/customers")
    assert re.search(r'action="/support/leave"', page.text)

    left = await helper.post_form("/support/leave", {})

    assert left.status_code == 303 and left.headers["location"] == "/support/ended?left=1"
    assert "您已退出支持会话" in (await helper.get("/support/ended?left=1")).text
    assert (await helper.get("/customers")).status_code == 303
    assert [e["operator_email"] for e in await audit_entries(app, tenant.slug, "support_leave")] == [lin_tao]


async def test_the_usage_refresh_picks_up_grants_made_anywhere(app: Litestar, tenant: TenantKit) -> None:
    """The console's copy of a grant follows the tenant's own record at every refresh."""
    await grant(app, tenant)
    await set_grant_until(app, tenant, datetime.now(UTC) + timedelta(hours=5))
    await usage.refresh_usage(
        app.state.db.engine, app.state.redis, app.state.settings.files_dir, [tenant.slug]
    )
    row = await usage.console_row(app.state.db.engine, tenant.slug)
    assert (
        row is not None
        and row.support_active
        and row.usage.support_until > datetime.now(UTC) + timedelta(hours=4)
    )
