"""Password brute force: parallel guesses cannot outrun the lockout, and one address gets at most ten
attempts a minute against one account (thirty against all accounts), for staff and operators.

Before the fix, the failure count was read, incremented and written back by each request on its own:
thirty concurrent wrong passwords were all checked by argon2, and the right one then logged in.
"""

from __future__ import annotations

import asyncio
import itertools

from crm_testkit import PASSWORD, TenantKit
from litestar import Litestar
from login_attack_kit import browser_from, fresh_address, in_a_fresh_throttle_window

from app.accounts import service as accounts
from app.platform import service as platform

OPERATOR_PASSWORD = "console-pass-9"
_operators = itertools.count(1)


async def _parallel_staff_logins(
    app: Litestar, tenant: TenantKit, key: str, password: str, n: int, ip: str
) -> list[str]:
    """``n`` logins at once, each on its own database session (as parallel requests are); the outcomes."""

    async def one() -> str:
        async with app.state.db.tenant_session(tenant.schema) as session:
            try:
                await accounts.login(
                    session,
                    app.state.settings,
                    email=tenant.email(key),
                    password=password,
                    ip=ip,
                    user_agent="attack",
                )
            except accounts.LoginFailed as exc:
                return exc.code
            return "ok"

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def test_thirty_parallel_wrong_passwords_lock_the_account_before_the_right_one(
    app: Litestar, tenant: TenantKit
) -> None:
    """The lock in PostgreSQL alone (no Redis throttle in play): each check is counted before argon2 runs."""
    ip = fresh_address()
    outcomes = await _parallel_staff_logins(app, tenant, "sales_a", "wrong-guess", 30, ip)
    assert outcomes == ["invalid"] * 30
    right = await _parallel_staff_logins(app, tenant, "sales_a", PASSWORD, 1, ip)
    assert right == ["invalid"]


async def test_thirty_parallel_wrong_passwords_over_http_do_not_open_the_account(
    app: Litestar, tenant: TenantKit
) -> None:
    """The same attack through /login: refused by the throttle or the lock, never a session."""
    ip = fresh_address()
    attacker = browser_from(app, tenant.host, ip)
    await attacker.ensure_csrf()
    wrong = await asyncio.gather(
        *(
            attacker.post_form("/login", {"email": tenant.email("sales_a"), "password": f"guess{i}"})
            for i in range(30)
        )
    )
    assert sorted({r.status_code for r in wrong}) == [401, 429]
    right = await attacker.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    assert right.status_code in (401, 429) and "dcrm_session" not in right.headers.get("set-cookie", "")


async def test_one_address_gets_at_most_ten_attempts_a_minute_against_one_account(
    app: Litestar, tenant: TenantKit
) -> None:
    """Of eleven attempts at once, one is refused before any password check, with Retry-After."""
    attacker = browser_from(app, tenant.host, fresh_address())
    await attacker.ensure_csrf()
    await in_a_fresh_throttle_window()
    responses = await asyncio.gather(
        *(
            attacker.post_form("/login", {"email": tenant.email("manager_a"), "password": f"g{i}"})
            for i in range(11)
        )
    )
    assert sorted(r.status_code for r in responses) == [401] * 10 + [429]
    refused = next(r for r in responses if r.status_code == 429)
    assert 0 < int(refused.headers["retry-after"]) <= 60


async def test_one_address_spraying_many_accounts_is_throttled(app: Litestar, tenant: TenantKit) -> None:
    """Password spraying (one guess each at many emails) meets the per-address limit of 30 a minute."""
    attacker = browser_from(app, tenant.host, fresh_address())
    await attacker.ensure_csrf()
    await in_a_fresh_throttle_window()
    responses = await asyncio.gather(
        *(
            attacker.post_form("/login", {"email": f"guess{i}@{tenant.slug}.example", "password": "123456"})
            for i in range(31)
        )
    )
    assert sorted(r.status_code for r in responses) == [401] * 30 + [429]


async def test_successful_logins_do_not_use_up_the_allowance(app: Litestar, tenant: TenantKit) -> None:
    """Staff signing in many times from the office NAT are never throttled: a success gives its
    attempt back."""
    office = browser_from(app, tenant.host, fresh_address())
    for _ in range(12):
        response = await office.post_form("/login", {"email": tenant.email("service"), "password": PASSWORD})
        assert response.status_code == 303


async def _operator(app: Litestar) -> str:
    email = f"bruteforce{next(_operators)}@dealercrm.example"
    async with app.state.db.platform_session() as session:
        await platform.create_operator(session, email=email, name="林涛", password=OPERATOR_PASSWORD)
    return email


async def test_thirty_parallel_wrong_operator_passwords_lock_the_operator_before_the_right_one(
    app: Litestar,
) -> None:
    """The operators' lock is one atomic UPDATE committed before argon2 runs."""
    email = await _operator(app)

    async def one(password: str) -> str:
        async with app.state.db.platform_session() as session:
            try:
                await platform.operator_login(session, email=email, password=password, ip="127.0.0.9")
            except platform.OperatorLoginFailed as exc:
                return exc.code
            return "ok"

    assert await asyncio.gather(*(one("wrong") for _ in range(30))) == ["invalid"] * 30
    assert await one(OPERATOR_PASSWORD) == "invalid"


async def test_one_address_gets_at_most_ten_operator_login_attempts_a_minute(app: Litestar) -> None:
    email = await _operator(app)
    console = browser_from(app, "localhost", fresh_address())
    await console.get("/operator/login")
    await in_a_fresh_throttle_window()
    responses = await asyncio.gather(
        *(console.post_form("/operator/login", {"email": email, "password": f"g{i}"}) for i in range(11))
    )
    assert sorted(r.status_code for r in responses) == [401] * 10 + [429]


async def test_with_redis_down_logins_work_and_the_lock_still_holds(app: Litestar, tenant: TenantKit) -> None:
    """Throttles fail open (staff must sign in during a Redis outage); the PostgreSQL lock does not."""
    from redis.asyncio import Redis

    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    ip = fresh_address()

    async def attempt(password: str) -> str:
        async with app.state.db.tenant_session(tenant.schema) as session:
            try:
                await accounts.login(
                    session,
                    app.state.settings,
                    email=tenant.email("sales_a2"),
                    password=password,
                    ip=ip,
                    user_agent="outage",
                    redis=dead,
                )
            except accounts.LoginFailed as exc:
                return exc.code
            return "ok"

    assert await attempt(PASSWORD) == "ok"
    assert [await attempt("wrong") for _ in range(5)] == ["invalid"] * 5
    assert await attempt(PASSWORD) == "invalid"
    await dead.aclose()


async def test_a_throttled_address_at_one_dealer_does_not_throttle_the_same_address_at_another(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    """王芳 works for two dealers with one email. Ten wrong guesses at the first dealer use up that
    dealer's allowance for her account from this address; she still signs in at the second."""
    shared = f"wangfang-{tenant.slug}@shared.example"
    for kit in (tenant, other_tenant):
        async with app.state.db.tenant_session(kit.schema) as session:
            await accounts.create_user(
                session, email=shared, name="王芳", password=PASSWORD, role_key="sales"
            )
            await session.commit()
    address = fresh_address()
    await in_a_fresh_throttle_window()
    first = browser_from(app, tenant.host, address)
    await first.ensure_csrf()
    guesses = [await first.post_form("/login", {"email": shared, "password": f"g{i}"}) for i in range(11)]
    assert guesses[-1].status_code == 429  # the first dealer's allowance for her is used up

    second = browser_from(app, other_tenant.host, address)
    signed_in = await second.post_form("/login", {"email": shared, "password": PASSWORD})
    assert signed_in.status_code == 303
