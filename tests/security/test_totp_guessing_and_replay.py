"""TOTP guessing and replay: a half-login gets five codes, then the password is asked again; a code
(its 30-second time step) is accepted once per user, whichever page it is typed into.

Before the fix, 60 wrong codes then the right one still logged in, and one code opened two sessions.
"""

from __future__ import annotations

import asyncio

from crm_testkit import TenantKit, browser, logged_in
from litestar import Litestar
from login_attack_kit import browser_from, code_next, code_now, enroll, fresh_address, password_login


async def test_five_wrong_codes_end_the_half_login(app: Litestar, tenant: TenantKit) -> None:
    """After the fifth wrong code even the right one is refused: the attacker must type the password again."""
    secret, _codes = await enroll(await logged_in(app, tenant, "sales_a"))
    attacker = browser_from(app, tenant.host, fresh_address())
    await password_login(attacker, tenant, "sales_a")
    for i in range(4):
        wrong = await attacker.post_form("/login/2fa", {"code": f"{i:06d}"})
        assert wrong.status_code == 422
    fifth = await attacker.post_form("/login/2fa", {"code": "999999"})
    assert fifth.status_code == 401 and "dcrm_session=" in fifth.headers.get("set-cookie", "")
    right = await attacker.post_form("/login/2fa", {"code": code_next(secret)})
    assert right.status_code == 303 and right.headers["location"] == "/login"
    assert (await attacker.get("/customers")).headers["location"].startswith("/login")


async def test_sixty_parallel_code_guesses_cannot_outrun_the_limit(app: Litestar, tenant: TenantKit) -> None:
    """Every code is counted on the half-login before it is checked, so parallel guesses each take a turn."""
    secret, _codes = await enroll(await logged_in(app, tenant, "manager_a"))
    attacker = browser_from(app, tenant.host, fresh_address())
    await password_login(attacker, tenant, "manager_a")
    guesses = await asyncio.gather(
        *(attacker.post_form("/login/2fa", {"code": f"{100000 + i:06d}"}) for i in range(60))
    )
    assert all(r.status_code in (401, 422, 429, 303) for r in guesses)
    assert not any(r.status_code == 303 and r.headers["location"] != "/login" for r in guesses)
    right = await attacker.post_form("/login/2fa", {"code": code_next(secret)})
    assert right.status_code in (303, 429) and right.headers.get("location", "/login") == "/login"
    assert (await attacker.get("/customers")).headers["location"].startswith("/login")


async def test_one_code_cannot_open_two_sessions(app: Litestar, tenant: TenantKit) -> None:
    """A code seen over a shoulder (or phished in real time) is spent by the first login that uses it."""
    secret, _codes = await enroll(await logged_in(app, tenant, "sales_b"))
    first, second = browser(app, tenant.host), browser(app, tenant.host)
    await password_login(first, tenant, "sales_b")
    await password_login(second, tenant, "sales_b")
    code = code_next(secret)
    results = await asyncio.gather(
        first.post_form("/login/2fa", {"code": code}), second.post_form("/login/2fa", {"code": code})
    )
    assert sorted(r.status_code for r in results) == [303, 422]


async def test_the_code_that_confirmed_enrolment_cannot_log_in(app: Litestar, tenant: TenantKit) -> None:
    """Confirming the enrolment spends its code's time step too."""
    client = await logged_in(app, tenant, "service")
    started = await client.post_form("/security/2fa/setup/start", {})
    assert started.status_code == 303
    secret = (await client.get("/security/2fa/setup")).text.split('<code class="secret">')[1].split("<")[0]
    code = code_now(secret)
    assert (await client.post_form("/security/2fa/setup", {"code": code})).status_code == 200
    other = browser(app, tenant.host)
    await password_login(other, tenant, "service")
    assert (await other.post_form("/login/2fa", {"code": code})).status_code == 422


async def test_a_code_used_to_log_in_cannot_also_turn_2fa_off(app: Litestar, tenant: TenantKit) -> None:
    """Re-authentication with a code spends it as a login does."""
    secret, _codes = await enroll(await logged_in(app, tenant, "marketing"))
    client = browser(app, tenant.host)
    await password_login(client, tenant, "marketing")
    code = code_next(secret)
    assert (await client.post_form("/login/2fa", {"code": code})).status_code == 303
    refused = await client.post_form("/security/2fa/disable", {"reauth_code": code})
    assert refused.status_code == 422


async def test_a_recovery_code_used_twice_at_once_opens_one_session(app: Litestar, tenant: TenantKit) -> None:
    _secret, recovery = await enroll(await logged_in(app, tenant, "viewer"))
    first, second = browser(app, tenant.host), browser(app, tenant.host)
    await password_login(first, tenant, "viewer")
    await password_login(second, tenant, "viewer")
    results = await asyncio.gather(
        first.post_form("/login/2fa", {"code": recovery[0]}),
        second.post_form("/login/2fa", {"code": recovery[0]}),
    )
    assert sorted(r.status_code for r in results) == [303, 422]
