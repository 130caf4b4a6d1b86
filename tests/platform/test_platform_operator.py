"""The platform operators' console: 林涛 of the DealerCRM operations team logs in at the base domain,
sees every dealer with its usage, and suspends or resumes one; a suspended dealer's staff and tokens
are refused until then. The console exists only on the base domain, staff pages only on dealer hosts.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from crm_testkit import Browser, TenantKit, actor, browser, integrator, logged_in, token_for
from litestar import Litestar
from sqlalchemy import text

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.platform import service as platform
from app.platform import usage

OPERATOR_PASSWORD = "ops-secret-42"
_serial = itertools.count(1)


@pytest.fixture
async def lin_tao(app: Litestar) -> str:
    """An operator account (a fresh email per test, so lockouts do not leak between tests)."""
    email = f"lintao{next(_serial)}@dealercrm.example"
    async with app.state.db.platform_session() as session:
        await platform.create_operator(session, email=email, name="林涛", password=OPERATOR_PASSWORD)
    return email


async def operator_browser(app: Litestar, email: str) -> Browser:
    console = browser(app, "localhost")
    await console.get("/operator/login")  # the CSRF cookie, as a browser would get it
    response = await console.post_form("/operator/login", {"email": email, "password": OPERATOR_PASSWORD})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/operator"
    return console


def row_of(html: str, slug: str) -> str:
    match = re.search(rf'<tr id="tenant-{re.escape(slug)}".*?</tr>', html, re.S)
    assert match, f"no row for {slug}"
    return match.group(0)


VIEWER = "{ viewer { email } }"


async def test_console_requires_an_operator_login(app: Litestar) -> None:
    visitor = browser(app, "localhost")
    response = await visitor.get("/operator")
    assert response.status_code == 303
    assert response.headers["location"] == "/operator/login"
    page = await visitor.get("/operator/login")
    assert page.status_code == 200 and "平台运营" in page.text


async def test_operator_logs_in_with_a_cookie_of_its_own(app: Litestar, lin_tao: str) -> None:
    """The console cookie is not the staff cookie: own name, host-only, HttpOnly, Secure, SameSite=Lax."""
    console = browser(app, "localhost")
    await console.get("/operator/login")
    response = await console.post_form(
        "/operator/login", {"email": lin_tao.upper(), "password": OPERATOR_PASSWORD}
    )
    assert response.status_code == 303
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("dcrm_operator=")
    lowered = set_cookie.lower()
    assert "httponly" in lowered and "secure" in lowered and "samesite=lax" in lowered
    assert "domain=" not in lowered  # host-only: never sent to the dealers' subdomains
    assert "dcrm_session" not in set_cookie
    page = await console.get("/operator")
    assert page.status_code == 200
    assert "林涛" in page.text and "租户" in page.text


async def test_wrong_password_is_refused(app: Litestar, lin_tao: str) -> None:
    console = browser(app, "localhost")
    response = await console.post_form("/operator/login", {"email": lin_tao, "password": "guess"})
    assert response.status_code == 401
    assert "邮箱或密码错误。" in response.text
    assert "dcrm_operator" not in response.headers.get("set-cookie", "")
    unknown = await console.post_form(
        "/operator/login", {"email": "nobody@dealercrm.example", "password": "guess"}
    )
    assert unknown.status_code == 401 and "邮箱或密码错误。" in unknown.text


async def test_five_failures_lock_the_operator_even_for_the_right_password(
    app: Litestar, lin_tao: str
) -> None:
    """Five wrong passwords lock; the lock reads exactly like a wrong password (no 423 telling an
    attacker the account exists), and the text says to wait 15 minutes (as the staff login does)."""
    console = browser(app, "localhost")
    wrong_answers = set()
    for _ in range(5):
        response = await console.post_form("/operator/login", {"email": lin_tao, "password": "wrong"})
        assert response.status_code == 401
        wrong_answers.add(response.text.split('role="alert"')[-1][:200])
    right = await console.post_form("/operator/login", {"email": lin_tao, "password": OPERATOR_PASSWORD})
    assert right.status_code == 401
    assert right.text.split('role="alert"')[-1][:200] in wrong_answers
    assert "15" in right.text and "dcrm_operator" not in right.headers.get("set-cookie", "")
    assert (await console.get("/operator")).status_code == 303


async def test_four_failures_do_not_lock(app: Litestar, lin_tao: str) -> None:
    console = browser(app, "localhost")
    for _ in range(4):
        await console.post_form("/operator/login", {"email": lin_tao, "password": "wrong"})
    right = await console.post_form("/operator/login", {"email": lin_tao, "password": OPERATOR_PASSWORD})
    assert right.status_code == 303


async def test_logout_ends_the_session_on_the_server(app: Litestar, lin_tao: str) -> None:
    console = await operator_browser(app, lin_tao)
    cookie = console.cookies.get("dcrm_operator")
    out = await console.post_form("/operator/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/operator/login"
    # The stolen cookie is worthless afterwards.
    replay = browser(app, "localhost")
    response = await replay.get("/operator", headers={"Cookie": f"dcrm_operator={cookie}"})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"


async def test_staff_session_does_not_open_the_console(app: Litestar, tenant: TenantKit) -> None:
    """A dealer owner's session token presented as an operator cookie is just an unknown token."""
    owner = await logged_in(app, tenant, "owner")
    staff_token = owner.cookies.get("dcrm_session")
    console = browser(app, "localhost")
    response = await console.get("/operator", headers={"Cookie": f"dcrm_operator={staff_token}"})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"


async def test_console_lists_tenants_with_their_usage(app: Litestar, tenant: TenantKit, lin_tao: str) -> None:
    """Plan, active users and live customers per tenant (a soft-deleted customer is not counted).

    The list reads the usage cache (public.tenant_usage) that a cron job refreshes, so it costs one
    query however many tenants there are: until the job has measured a new tenant its numbers are "—".
    """
    wang_jianguo = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        kept = await customers.create_customer(
            session, wang_jianguo, CustomerInput(name="赵敏", mobile="13800138001")
        )
        gone = await customers.create_customer(
            session, wang_jianguo, CustomerInput(name="钱伟", mobile="13800138002")
        )
        await customers.delete_customer(session, wang_jianguo, gone.id)
    assert kept.id

    console = await operator_browser(app, lin_tao)
    before = cells_of(row_of((await console.get("/operator")).text, tenant.slug))
    assert before[4:6] == ["—", "—"]

    await usage.refresh_usage(app.state.db.engine, app.state.redis, app.state.settings.files_dir)
    page = await console.get("/operator")

    assert page.status_code == 200
    cells = cells_of(row_of(page.text, tenant.slug))
    # slug, name, status, plan, users (the owner and the ten colleagues), customers, storage,
    # API calls today, health, created, actions
    assert cells[0] == tenant.slug
    assert cells[1] == f"{tenant.slug} 家电"
    assert cells[2] == "正常"
    assert cells[3].startswith("试用")
    assert cells[4] == "11"
    assert cells[5] == "1"
    assert cells[7] == "0"
    assert "最近登录" in cells[8]
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", cells[9])
    assert "暂停" in cells[10]
    # The summary counts every tenant in the registry.
    async with app.state.db.engine.connect() as conn:
        total = await conn.scalar(text("SELECT count(*) FROM public.tenants"))
    assert re.search(rf'id="count-total">{total}<', page.text)


def cells_of(row: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


async def test_suspended_tenant_refuses_staff_and_tokens_until_resumed(
    app: Litestar, tenant: TenantKit, lin_tao: str
) -> None:
    """林涛 suspends the dealer from the console: 张伟's browser gets the 403 "suspended" page and the
    integrator's token a JSON error; after resume both work again with the same session and token."""
    zhang_wei = await logged_in(app, tenant, "sales_a")
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    assert (await erp.gql(VIEWER))["data"]["viewer"]["email"] == tenant.email("sales_a")
    console = await operator_browser(app, lin_tao)

    suspended = await console.htmx("POST", f"/operator/tenants/{tenant.slug}/suspend")

    assert suspended.status_code == 200
    assert suspended.text.lstrip().startswith(f'<tr id="tenant-{tenant.slug}" data-status="suspended"')
    assert (
        "已暂停" in suspended.text
        and 'hx-post="/operator/tenants/' + tenant.slug + '/resume"' in suspended.text
    )
    assert 'id="count-suspended" hx-swap-oob="true"' in suspended.text
    assert json.loads(suspended.headers["hx-trigger"]) == {"toast": f"已暂停 {tenant.slug}。"}

    refused = await zhang_wei.get("/login")
    assert refused.status_code == 403
    assert "账号已暂停" in refused.text
    api_refused = await erp.post("/graphql", json={"query": VIEWER})
    assert api_refused.status_code == 403
    assert api_refused.json()["errors"][0]["extensions"]["code"] == "TENANT_SUSPENDED"
    page = await console.get("/operator")
    assert 'data-status="suspended"' in row_of(page.text, tenant.slug)

    # Resuming with a plain form post (no JavaScript) goes back to the console.
    resumed = await console.post_form(f"/operator/tenants/{tenant.slug}/resume", {})
    assert resumed.status_code == 303 and resumed.headers["location"] == "/operator"

    back = await zhang_wei.get("/login")
    assert back.status_code in (302, 303)  # still logged in: the login page sends 张伟 on
    assert (await erp.gql(VIEWER))["data"]["viewer"]["email"] == tenant.email("sales_a")


async def test_confirmation_is_asked_before_suspending(
    app: Litestar, tenant: TenantKit, lin_tao: str
) -> None:
    console = await operator_browser(app, lin_tao)
    row = row_of((await console.get("/operator")).text, tenant.slug)
    assert "hx-confirm=" in row and f"确定暂停 {tenant.slug} 吗" in row


async def test_suspend_needs_an_operator_and_a_csrf_token(
    app: Litestar, tenant: TenantKit, lin_tao: str
) -> None:
    stranger = browser(app, "localhost")
    response = await stranger.post_form(f"/operator/tenants/{tenant.slug}/suspend", {})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"
    htmx = await stranger.htmx("POST", f"/operator/tenants/{tenant.slug}/suspend")
    assert htmx.headers.get("hx-redirect") == "/operator/login"

    console = await operator_browser(app, lin_tao)
    forged = await console.post(f"/operator/tenants/{tenant.slug}/suspend", data={})
    assert forged.status_code == 403

    # None of it touched the tenant.
    staff = browser(app, tenant.host)
    assert (await staff.get("/login")).status_code == 200


async def test_suspending_an_unknown_tenant_is_not_found(app: Litestar, lin_tao: str) -> None:
    console = await operator_browser(app, lin_tao)
    response = await console.htmx("POST", "/operator/tenants/no-such-dealer/suspend")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/operator"),
        ("GET", "/operator/login"),
        ("POST", "/operator/login"),
        ("POST", "/operator/logout"),
        ("POST", "/operator/tenants/{slug}/suspend"),
        ("POST", "/operator/tenants/{slug}/resume"),
    ],
)
async def test_operator_routes_do_not_exist_on_a_dealers_host(
    app: Litestar, tenant: TenantKit, lin_tao: str, method: str, path: str
) -> None:
    """Even with a valid operator session, the console is not reachable through a dealer's host."""
    console = await operator_browser(app, lin_tao)
    on_dealer_host = browser(app, tenant.host)
    on_dealer_host.cookies.set("dcrm_operator", console.cookies.get("dcrm_operator"), domain=tenant.host)
    url = path.format(slug=tenant.slug)
    if method == "GET":
        response = await on_dealer_host.get(url)
    else:
        response = await on_dealer_host.post_form(url, {"email": lin_tao, "password": OPERATOR_PASSWORD})
    assert response.status_code == 404
    assert "dcrm_operator" not in response.headers.get("set-cookie", "")
    assert (await browser(app, tenant.host).get("/login")).status_code == 200  # not suspended


@pytest.mark.parametrize(("method", "path"), [("GET", "/login"), ("POST", "/login"), ("POST", "/logout")])
async def test_staff_routes_do_not_exist_on_the_base_domain(
    app: Litestar, tenant: TenantKit, method: str, path: str
) -> None:
    visitor = browser(app, "localhost")
    if method == "GET":
        response = await visitor.get(path)
    else:
        response = await visitor.post_form(
            path, {"email": tenant.email("owner"), "password": "correct-horse-9"}
        )
    assert response.status_code == 404
    assert "dcrm_session" not in response.headers.get("set-cookie", "")
