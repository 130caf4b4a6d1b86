"""Email verification at sign-up.

周华 signs 华美家电 up at the base domain. The account exists at once (trial plan, limits in its
schema), but nobody can log in on its host until 周华 opens the emailed link: the login page
becomes "confirm your email" with a button for a new link. Links are signed, single-use and
expire after 24 hours; a tampered, expired, reused, replaced or other tenant's link is refused
with a message that says which, and changes nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from crm_testkit import Browser, browser
from lifecycle_kit import last_mail, link_in, path_of
from litestar import Litestar
from sqlalchemy import text

from app.mail import recorded_mail
from app.platform import tokens, verification
from app.platform.plans import PLAN_SETTING
from tenancy import registry

PASSWORD = "huamei-2024!"
_serial = itertools.count(1)


async def sign_up(app: Litestar, visitor: Browser | None = None) -> tuple[str, str, Browser]:
    """周华 signs a fresh dealer up through the form; (slug, owner email, the browser on its host)."""
    slug = f"vf-{next(_serial)}-{id(app) % 1000}"
    owner = f"zhouhua@{slug}.example"
    visitor = visitor or browser(app, "localhost")
    done = await visitor.post_form(
        "/signup",
        {
            "company_name": "华美家电",
            "slug": slug,
            "admin_name": "周华",
            "admin_email": owner,
            "admin_password": PASSWORD,
        },
    )
    assert done.status_code == 201, done.text
    assert (
        "最后一步：验证邮箱" in done.text or "One more step: confirm your email" in done.text
    ) and owner in done.text
    return slug, owner, browser(app, f"{slug}.localhost")


async def login(client: Browser, email: str) -> object:
    return await client.post_form("/login", {"email": email, "password": PASSWORD, "next": "/"})


async def test_the_owner_cannot_log_in_before_confirming_and_is_told_what_to_do(app: Litestar) -> None:
    slug, owner, staff = await sign_up(app)

    response = await login(staff, owner)

    assert response.status_code == 303 and response.headers["location"] == "/verify-email/pending"
    assert not staff.cookies.get("dcrm_session")
    page = await staff.get("/verify-email/pending")
    assert page.status_code == 403
    assert "在所有者验证邮箱之前任何人都无法登录" in page.text
    assert "zh***@" in page.text and owner not in page.text  # the page tells a stranger nothing
    assert 'action="/verify-email/resend"' in page.text
    # Every other page of the host leads there too; the API is refused with a JSON error.
    assert (await staff.get("/customers")).headers["location"] == "/verify-email/pending"
    api = await staff.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"Accept": "application/json"}
    )
    assert api.status_code == 403 and api.json()["errors"][0]["extensions"]["code"] == "EMAIL_NOT_VERIFIED"


async def test_the_emailed_link_confirms_once_and_then_the_owner_logs_in(app: Litestar) -> None:
    slug, owner, staff = await sign_up(app)
    mail = await last_mail(app, owner)
    # Chinese by default, addressed to the owner, pointing at the dealer's own host.
    assert mail.subject == "请验证邮箱以激活 华美家电 的经销商CRM账号"
    assert "24 小时内打开以下链接" in mail.body
    link = link_in(mail.body, "/verify-email")
    assert link.startswith(f"https://{slug}.localhost/verify-email?token=")

    opened = await staff.get(path_of(link))

    assert opened.status_code == 200 and "您的邮箱已验证。" in opened.text
    async with app.state.db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    assert tenant is not None and tenant.email_verified_at is not None
    assert (await login(staff, owner)).status_code == 303
    assert staff.cookies.get("dcrm_session")
    # Single use: the same link again is refused (and says why), the account stays verified.
    again = await browser(app, f"{slug}.localhost").get(path_of(link))
    assert again.status_code == 410 and "该链接已被使用" in again.text


async def test_a_new_trial_carries_its_limits_in_its_own_schema(app: Litestar) -> None:
    slug, _owner, _staff = await sign_up(app)
    async with app.state.db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
        assert tenant is not None and tenant.plan == "trial" and tenant.trial_ends_at is not None
        mirrored = await conn.scalar(
            text(f"SELECT value FROM {tenant.schema_name}.tenant_settings WHERE key = :k"),
            {"k": PLAN_SETTING},
        )
    assert mirrored["plan"] == "trial" and mirrored["max_users"] == 20 and mirrored["max_customers"] == 5000
    assert (tenant.trial_ends_at - tenant.created_at).days in (13, 14)


async def test_a_tampered_link_is_refused_and_verifies_nothing(app: Litestar) -> None:
    slug, owner, staff = await sign_up(app)
    link = link_in((await last_mail(app, owner)).body, "/verify-email")
    body, signature = link.split("token=", 1)[1].split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")

    for bad in (f"{forged}.{signature}", f"{body}.{signature[:-3]}xyz", "not-a-token", ""):
        response = await staff.get("/verify-email", params={"token": bad})
        assert response.status_code == 400, bad
        assert "链接无效" in response.text

    async with app.state.db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    assert tenant is not None and tenant.email_verified_at is None


async def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(app: Litestar) -> None:
    slug, owner, staff = await sign_up(app)
    async with app.state.db.engine.begin() as conn:
        stale = await tokens.issue(
            conn, app.state.settings.secret_key, purpose=verification.PURPOSE, tenant_slug=slug,
            lifetime=timedelta(seconds=-1),
        )  # fmt: skip

    response = await staff.get("/verify-email", params={"token": stale})

    assert response.status_code == 410
    assert "链接已过期" in response.text and 'action="/verify-email/resend"' in response.text


async def test_a_link_for_another_dealer_does_not_work_here(app: Litestar) -> None:
    first, first_owner, _ = await sign_up(app)
    second, _second_owner, second_host = await sign_up(app)
    link = link_in((await last_mail(app, first_owner)).body, "/verify-email")

    response = await second_host.get(path_of(link))

    assert response.status_code == 400
    async with app.state.db.engine.connect() as conn:
        for slug in (first, second):
            tenant = await registry.get_tenant(conn, slug)
            assert tenant is not None and tenant.email_verified_at is None
    # ...and it still works where it belongs (it was not used up by the attempt).
    assert (await browser(app, f"{first}.localhost").get(path_of(link))).status_code == 200


async def test_resend_sends_a_fresh_link_that_replaces_the_old_one_at_most_once_a_minute(
    app: Litestar,
) -> None:
    slug, owner, staff = await sign_up(app)
    old_link = link_in((await last_mail(app, owner)).body, "/verify-email")
    await staff.get("/verify-email/pending")

    sent = await staff.post_form("/verify-email/resend", {})
    assert sent.status_code == 303 and sent.headers["location"] == "/verify-email/pending?sent=1"
    assert "新的链接已发出" in (await staff.get("/verify-email/pending?sent=1")).text
    too_soon = await staff.post_form("/verify-email/resend", {})
    assert too_soon.status_code == 429 and "一分钟内已发送过链接" in too_soon.text

    new_link = link_in((await last_mail(app, owner)).body, "/verify-email")
    assert new_link != old_link
    replaced = await staff.get(path_of(old_link))
    assert replaced.status_code == 410 and "更新的链接" in replaced.text
    assert (await staff.get(path_of(new_link))).status_code == 200


async def test_resend_needs_the_csrf_token(app: Litestar) -> None:
    _slug, owner, staff = await sign_up(app)
    before = len(await recorded_mail(app.state.db.engine, to=owner))
    response = await staff.post("/verify-email/resend", data={})
    assert response.status_code == 403
    assert len(await recorded_mail(app.state.db.engine, to=owner)) == before


async def test_an_english_reader_gets_the_email_in_english(app: Litestar) -> None:
    visitor = browser(app, "localhost")
    await visitor.get("/signup?lang=en")
    _slug, owner, _ = await sign_up(app, visitor)
    mail = await last_mail(app, owner)
    assert mail.subject == "Confirm your email to activate 华美家电 on DealerCRM"
    assert "Open this link within 24 hours" in mail.body


@pytest.mark.parametrize("path", ["/verify-email/pending", "/login"])
async def test_a_verified_dealer_never_sees_the_verification_pages(
    app: Litestar, path: str, tenant: object
) -> None:
    """Tenants made by operators (and before this feature) are verified: their host works as ever."""
    host = browser(app, tenant.host)  # type: ignore[attr-defined]
    response = await host.get(path)
    assert response.status_code in (200, 302) and "验证邮箱" not in response.text
