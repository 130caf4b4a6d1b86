"""Staff log in on their tenant's host; bad passwords lock the account; sessions end on logout."""

from __future__ import annotations

from crm_testkit import PASSWORD, TenantKit, browser, logged_in
from litestar import Litestar


async def test_login_page_is_chinese_by_default(app: Litestar, tenant: TenantKit) -> None:
    client = browser(app, tenant.host)
    response = await client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.text
    english = await client.get("/login?lang=en")
    assert "Log in" in english.text


async def test_owner_logs_in_and_out(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "owner")
    cookie = client.cookies.get("dcrm_session")
    assert cookie
    home = await client.get("/")
    assert home.status_code == 200 and "王建国" in home.text  # the owner's home page
    out = await client.post_form("/logout", {})
    assert out.status_code == 303
    # The old cookie is dead on the server, not only deleted in the browser.
    replay = browser(app, tenant.host)
    replay.cookies.set("dcrm_session", cookie, domain=tenant.host)
    response = await replay.get("/customers")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_five_failures_lock_the_account_even_for_the_right_password(
    app: Litestar, tenant: TenantKit
) -> None:
    """From the network that failed five times; the lock reads exactly like a wrong password (no 423
    telling an attacker the account exists), and the text says to wait 15 minutes."""
    client = browser(app, tenant.host)
    for _ in range(5):
        response = await client.post_form("/login", {"email": tenant.email("sales_a"), "password": "wrong"})
        assert response.status_code == 401
    right = await client.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    assert right.status_code == 401
    assert "15" in right.text and "dcrm_session" not in right.headers.get("set-cookie", "")


async def test_login_without_csrf_token_is_refused(app: Litestar, tenant: TenantKit) -> None:
    client = browser(app, tenant.host)
    response = await client.post("/login", data={"email": tenant.email("owner"), "password": PASSWORD})
    assert response.status_code == 403


async def test_session_cookie_is_secure_httponly_samesite(app: Litestar, tenant: TenantKit) -> None:
    client = browser(app, tenant.host)
    await client.ensure_csrf()
    response = await client.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    set_cookie = response.headers["set-cookie"].lower()
    assert "dcrm_session=" in set_cookie
    assert "httponly" in set_cookie and "secure" in set_cookie and "samesite=lax" in set_cookie


async def test_unknown_tenant_host_gets_a_404_page(app: Litestar) -> None:
    client = browser(app, "nobody-here.localhost")
    response = await client.get("/login")
    assert response.status_code == 404
    assert "Traceback" not in response.text and "<html" in response.text
