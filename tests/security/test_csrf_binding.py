"""The CSRF token belongs to the server-side session, and every ambient credential needs it.

Before: the token was a plain double-submit cookie, so an attacker who could plant a cookie (a
sibling subdomain, a network on plain http) chose the cookie and the field alike and the pair was
accepted for the victim's session; it also survived login. Now, with a session, the expected token
is an HMAC of that session's token: it changes at login and cannot be chosen. ``/graphql`` skipped
the check whenever ``dcrm_session`` was absent, though the support cookie (and the operator's) ride
along with a forged request just the same.
"""

from __future__ import annotations

from crm_testkit import PASSWORD, TenantKit, browser, logged_in
from litestar import Litestar

MUTATION = 'mutation { createCustomer(input: {name: "伪造客户"}) { __typename } }'


async def test_attacker_chosen_cookie_and_field_pair_is_refused_for_a_logged_in_user(
    app: Litestar, tenant: TenantKit
) -> None:
    victim = await logged_in(app, tenant, "sales_a")
    victim.cookies.set("dcrm_csrf", "attacker-chosen-token", domain=tenant.host)
    forged = await victim.post("/customers/", data={"name": "伪造客户", "_csrf": "attacker-chosen-token"})
    assert forged.status_code == 403
    forged_htmx = await victim.post(
        "/customers/",
        data={"name": "伪造客户"},
        headers={"X-CSRF-Token": "attacker-chosen-token", "HX-Request": "true"},
    )
    assert forged_htmx.status_code == 403


async def test_csrf_token_rotates_at_login(app: Litestar, tenant: TenantKit) -> None:
    client = browser(app, tenant.host)
    await client.get("/login")
    before_login = client.csrf()
    assert before_login
    response = await client.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    assert response.status_code == 303
    after_login = client.csrf()
    assert after_login and after_login != before_login
    # The pre-login token no longer passes for the new session...
    stale = await client.post("/customers/", data={"name": "张三", "_csrf": before_login})
    assert stale.status_code == 403
    # ...while the page's token does, and pages render the bound token.
    page = await client.get("/customers")
    assert after_login in page.text
    ok = await client.post("/customers/", data={"name": "张三", "_csrf": after_login})
    assert ok.status_code != 403

    # Another login of the same person gets yet another token.
    second = await logged_in(app, tenant, "sales_a")
    assert second.csrf() not in (before_login, after_login)


async def test_graphql_mutation_riding_on_the_support_cookie_needs_the_csrf_token(
    app: Litestar, tenant: TenantKit
) -> None:
    client = browser(app, tenant.host)
    client.cookies.set("dcrm_support", "a-support-session", domain=tenant.host)
    response = await client.post("/graphql", json={"query": MUTATION})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF"


async def test_graphql_without_any_ambient_cookie_is_left_to_its_own_authentication(
    app: Litestar, tenant: TenantKit
) -> None:
    response = await browser(app, tenant.host).post("/graphql", json={"query": MUTATION})
    assert response.status_code != 403  # no cookie to ride on: the API answers (and refuses) itself
