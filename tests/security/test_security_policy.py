"""Tenant security settings: two-step verification, IP allowlist, password policy, sessions."""

from __future__ import annotations

import re
import time

import pyotp
from crm_testkit import PASSWORD, TenantKit, actor, browser, logged_in
from litestar import Litestar
from sqlalchemy import update

from app.accounts.models import UserSession
from app.tenant_settings.service import PolicyInput, update_security_policy


async def _set_policy(app: Litestar, kit: TenantKit, **fields: object) -> None:
    admin = await actor(app, kit, "admin")
    async with app.state.db.tenant_session(kit.schema) as session:
        await update_security_policy(session, admin, PolicyInput(**fields))  # type: ignore[arg-type]


async def _enroll(client, secret_holder: list[str]) -> list[str]:
    # A GET changes nothing: the key to enrol is made by a POST (issue 6, item 1).
    assert (await client.post_form("/security/2fa/setup/start", {})).status_code == 303
    page = await client.get("/security/2fa/setup")
    assert page.status_code == 200
    secret = page.text.split('<code class="secret">')[1].split("<")[0]
    secret_holder.append(secret)
    done = await client.post_form("/security/2fa/setup", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    return [c for c in done.text.split("<code>")[1:]]


async def test_enrolled_user_needs_the_code_after_the_password(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    secrets: list[str] = []
    recovery = [c.split("<")[0] for c in await _enroll(client, secrets)]
    assert len(recovery) == 10

    fresh = browser(app, tenant.host)
    step1 = await fresh.post_form(
        "/login", {"email": tenant.email("sales_a"), "password": PASSWORD, "next": "/customers"}
    )
    assert step1.headers["location"].startswith("/login/2fa")
    # Half-logged-in: the admin is still closed.
    assert (await fresh.get("/security")).headers["location"].startswith("/login/2fa")
    wrong = await fresh.post_form("/login/2fa", {"code": "000000", "next": "/customers"})
    assert wrong.status_code == 422
    # The code that confirmed the enrolment is spent; the next time step's code is accepted.
    ok = await fresh.post_form(
        "/login/2fa", {"code": pyotp.TOTP(secrets[0]).at(time.time() + 30), "next": "/customers"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/customers"
    assert (await fresh.get("/security")).status_code == 200

    # A recovery code works once.
    other = browser(app, tenant.host)
    await other.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    assert (await other.post_form("/login/2fa", {"code": recovery[0]})).status_code == 303
    again = browser(app, tenant.host)
    await again.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    assert (await again.post_form("/login/2fa", {"code": recovery[0]})).status_code == 422


async def test_policy_requiring_2fa_sends_staff_to_enrolment(app: Litestar, tenant: TenantKit) -> None:
    await _set_policy(app, tenant, require_2fa=True)
    client = browser(app, tenant.host)
    response = await client.post_form("/login", {"email": tenant.email("sales_b"), "password": PASSWORD})
    assert response.headers["location"] == "/security/2fa/setup"
    assert (await client.get("/customers")).headers["location"] == "/security/2fa/setup"
    await _enroll(client, [])
    assert (await client.get("/security")).status_code == 200


async def test_ip_allowlist_refuses_other_addresses_and_cannot_lock_the_admin_out(
    app: Litestar, tenant: TenantKit
) -> None:
    admin_client = await logged_in(app, tenant, "admin")  # test clients come from 127.0.0.1
    lockout = await admin_client.post_form(
        "/security/policy",
        {
            "ip_allowlist": "10.0.0.0/8",
            "password_min_length": "8",
            "idle_timeout_minutes": "30",
            "session_lifetime_hours": "12",
        },
    )
    assert lockout.status_code == 422
    # Saving a list without the admin's own address would end their access on the next click.
    assert "您当前的地址不在列表中" in lockout.text
    bad = await admin_client.post_form(
        "/security/policy",
        {
            "ip_allowlist": "not-a-network",
            "password_min_length": "8",
            "idle_timeout_minutes": "30",
            "session_lifetime_hours": "12",
        },
    )
    assert bad.status_code == 422 and "CIDR" in bad.text
    saved = await admin_client.post_form(
        "/security/policy",
        {
            "ip_allowlist": "127.0.0.0/8",
            "password_min_length": "8",
            "idle_timeout_minutes": "30",
            "session_lifetime_hours": "12",
        },
    )
    assert saved.status_code == 303
    assert (await admin_client.get("/security")).status_code == 200
    # An integrator calling from 127.0.0.2 is inside 127.0.0.0/8; one from elsewhere is refused.
    await _set_policy(app, tenant, ip_allowlist=["127.0.0.1/32"])
    from crm_testkit import integrator, token_for

    outsider = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    refused = await outsider.post("/graphql", json={"query": "{ viewer { email } }"})
    assert refused.status_code == 403


async def test_password_change_ends_every_other_session(app: Litestar, tenant: TenantKit) -> None:
    phone = await logged_in(app, tenant, "sales_a")
    laptop = await logged_in(app, tenant, "sales_a")
    weak = await laptop.post_form(
        "/security/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422
    changed = await laptop.post_form(
        "/security/password", {"current_password": PASSWORD, "new_password": "a-much-longer-9"}
    )
    assert changed.status_code == 303
    assert (await laptop.get("/security")).status_code == 200
    assert (await phone.get("/security")).headers["location"].startswith("/login")


async def test_idle_sessions_expire(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            update(UserSession)
            .where(UserSession.user_id == tenant.people["sales_a"])
            .values(last_seen_at=UserSession.last_seen_at - __import__("datetime").timedelta(minutes=31))
        )
        await session.commit()
    assert (await client.get("/security")).headers["location"].startswith("/login")


async def test_admin_sees_and_ends_another_users_session(app: Litestar, tenant: TenantKit) -> None:
    sales = await logged_in(app, tenant, "sales_b")
    admin = await logged_in(app, tenant, "admin")
    page = await admin.get("/security")
    assert page.status_code == 200 and "登录记录" in page.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        from sqlalchemy import select

        sid = await session.scalar(
            select(UserSession.id).where(
                UserSession.user_id == tenant.people["sales_b"], UserSession.revoked_at.is_(None)
            )
        )
    assert (await admin.post_form(f"/security/sessions/{sid}/revoke", {})).status_code == 303
    assert (await sales.get("/security")).headers["location"].startswith("/login")
    # A salesperson cannot end someone else's session.
    other = await logged_in(app, tenant, "sales_a")
    assert (await other.post_form(f"/security/sessions/{sid}/revoke", {})).status_code == 404


async def test_setup_page_shows_the_new_key_as_a_qr_code(app: Litestar, tenant: TenantKit) -> None:
    """The key is scanned, not typed: an inline SVG QR code of the otpauth:// URI, and apps staff in
    China can install are named."""
    client = await logged_in(app, tenant, "sales_a")
    before = await client.get("/security/2fa/setup")
    assert 'class="segno"' not in before.text and "腾讯身份验证器" in before.text  # no key yet, no QR
    assert (await client.post_form("/security/2fa/setup/start", {})).status_code == 303
    page = await client.get("/security/2fa/setup")
    assert page.status_code == 200 and re.search(r'<svg[^>]*class="segno"', page.text)
