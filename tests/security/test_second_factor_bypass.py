"""Second-factor bypass: the password alone must never reach past the code page, a GET must never
change the second factor, and changing it asks for the password or a current code.

Before the fix, the password-only half-login could open /security/2fa/setup, whose GET replaced the
secret and cleared totp_enabled_at, so the next password login asked for no code (and under
"require 2FA" the attacker enrolled their own authenticator); a plain link to that URL switched off a
logged-in user's 2FA; POST /security/2fa/disable asked for nothing.
"""

from __future__ import annotations

from crm_testkit import PASSWORD, TenantKit, browser, logged_in
from litestar import Litestar
from login_attack_kit import code_next, code_now, enroll, password_login, user_row

from app.tenant_settings.service import PolicyInput, update_security_policy


async def test_half_login_cannot_open_2fa_setup(app: Litestar, tenant: TenantKit) -> None:
    """An attacker who has only the password cannot enrol their own authenticator or clear the victim's."""
    victim = await logged_in(app, tenant, "sales_a")
    secret, _codes = await enroll(victim)
    before = await user_row(app, tenant, "sales_a")

    attacker = browser(app, tenant.host)
    step1 = await password_login(attacker, tenant, "sales_a")
    assert step1.headers["location"].startswith("/login/2fa")
    # The half-login is sent back to the code page from every enrolment route.
    page = await attacker.get("/security/2fa/setup")
    assert page.status_code in (302, 303, 307) and page.headers["location"].startswith("/login/2fa")
    start = await attacker.post_form("/security/2fa/setup/start", {})
    assert start.status_code in (302, 303, 307) and start.headers["location"].startswith("/login/2fa")
    confirm = await attacker.post_form("/security/2fa/setup", {"code": "123456"})
    assert confirm.status_code in (302, 303, 307) and confirm.headers["location"].startswith("/login/2fa")

    after = await user_row(app, tenant, "sales_a")
    assert after.totp_secret == before.totp_secret and after.totp_enabled_at == before.totp_enabled_at
    assert after.totp_pending_secret is None
    # A second password login still asks for the code.
    again = await password_login(browser(app, tenant.host), tenant, "sales_a")
    assert again.headers["location"].startswith("/login/2fa")
    assert code_now(secret)  # the victim's authenticator still works (pinned in the replay tests)


async def test_half_login_under_require_2fa_cannot_replace_an_enrolled_authenticator(
    app: Litestar, tenant: TenantKit
) -> None:
    """With "require 2FA" on, the enrolment half-login is only for staff who have no authenticator yet."""
    victim = await logged_in(app, tenant, "sales_b")
    await enroll(victim)
    admin = await _admin_actor(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await update_security_policy(session, admin, PolicyInput(require_2fa=True))
    attacker = browser(app, tenant.host)
    step1 = await password_login(attacker, tenant, "sales_b")
    assert step1.headers["location"].startswith("/login/2fa")
    page = await attacker.get("/security/2fa/setup")
    assert page.headers["location"].startswith("/login/2fa")
    assert (await user_row(app, tenant, "sales_b")).totp_enabled_at is not None


async def test_a_link_to_2fa_setup_does_not_switch_off_a_logged_in_users_second_factor(
    app: Litestar, tenant: TenantKit
) -> None:
    """GET changes nothing: a link in a chat message or an <img> cannot clear the victim's 2FA."""
    victim = await logged_in(app, tenant, "sales_a")
    await enroll(victim)
    before = await user_row(app, tenant, "sales_a")
    for _ in range(2):
        page = await victim.get("/security/2fa/setup")
        assert page.status_code == 200
    after = await user_row(app, tenant, "sales_a")
    assert (after.totp_secret, after.totp_enabled_at, after.totp_pending_secret) == (
        before.totp_secret,
        before.totp_enabled_at,
        None,
    )
    assert (
        (await password_login(browser(app, tenant.host), tenant, "sales_a"))
        .headers["location"]
        .startswith("/login/2fa")
    )


async def test_disabling_2fa_needs_the_password_or_a_current_code(app: Litestar, tenant: TenantKit) -> None:
    """A stolen session (an unlocked laptop) cannot turn the second factor off."""
    client = await logged_in(app, tenant, "manager_a")
    secret, _codes = await enroll(client)
    bare = await client.post_form("/security/2fa/disable", {})
    assert bare.status_code == 422
    wrong = await client.post_form(
        "/security/2fa/disable", {"current_password": "not-it", "reauth_code": "000000"}
    )
    assert wrong.status_code == 422
    assert (await user_row(app, tenant, "manager_a")).totp_enabled_at is not None
    ok = await client.post_form("/security/2fa/disable", {"reauth_code": code_next(secret)})
    assert ok.status_code == 303
    assert (await user_row(app, tenant, "manager_a")).totp_enabled_at is None


async def test_re_enrolling_needs_the_password_or_a_current_code(app: Litestar, tenant: TenantKit) -> None:
    """Moving 2FA to another phone asks who you are first; the old phone works until the new one is
    confirmed."""
    client = await logged_in(app, tenant, "sales_a")
    await enroll(client)
    before = await user_row(app, tenant, "sales_a")
    refused = await client.post_form("/security/2fa/setup/start", {"current_password": "guess"})
    assert refused.status_code == 422
    assert (await user_row(app, tenant, "sales_a")).totp_pending_secret is None
    started = await client.post_form("/security/2fa/setup/start", {"current_password": PASSWORD})
    assert started.status_code == 303
    pending = await user_row(app, tenant, "sales_a")
    assert pending.totp_pending_secret and pending.totp_secret == before.totp_secret
    assert pending.totp_enabled_at == before.totp_enabled_at


async def test_half_login_reaches_nothing_but_the_second_factor_step(
    app: Litestar, tenant: TenantKit
) -> None:
    """Every admin page and the API send a half-login back to the code page (or refuse it)."""
    victim = await logged_in(app, tenant, "owner")
    await enroll(victim)
    attacker = browser(app, tenant.host)
    await password_login(attacker, tenant, "owner")
    for path in ("/customers", "/security", "/tokens", "/audit", "/security/2fa/setup"):
        response = await attacker.get(path)
        assert response.status_code in (302, 303, 307), path
        assert response.headers["location"].startswith("/login/2fa"), path
    api = await attacker.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"X-CSRF-Token": attacker.csrf()}
    )
    assert api.status_code in (401, 403) or "errors" in api.json()


async def _admin_actor(app: Litestar, tenant: TenantKit):  # type: ignore[no-untyped-def]
    from crm_testkit import actor

    return await actor(app, tenant, "admin")
