"""NUL bytes and lone surrogates in admin forms, query strings, login, sign-up and console filters.

They used to reach PostgreSQL or asyncpg and come back as a 500 whose traceback logged the data in
clear. One middleware now refuses them before any handler runs: a 400 naming the field (an error
page; a toast fragment for HTMX; JSON for API clients), and the value is never logged.
"""

from __future__ import annotations

import html
import logging

import pytest
from crm_testkit import TenantKit, browser, logged_in
from litestar import Litestar

NUL = "%00"
SURROGATE = "%ED%A0%80"  # U+D800 encoded as if it were a character
SECRET = "机密手机13900001111"


async def test_nul_in_a_customer_search_is_a_400_naming_the_field(
    app: Litestar, tenant: TenantKit, caplog: pytest.LogCaptureFixture
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    caplog.set_level(logging.INFO)
    response = await client.get(f"/customers?q={SECRET}{NUL}")
    assert response.status_code == 400
    assert "“q”" in html.unescape(response.text) and "NUL" in response.text
    assert SECRET not in caplog.text
    # Clean text, Chinese and spaces included, still searches.
    assert (await client.get("/customers?q=张三%20丰")).status_code == 200


@pytest.mark.parametrize("poison", [NUL, SURROGATE], ids=["nul", "surrogate"])
async def test_poisoned_login_form_is_a_400_naming_the_field(
    app: Litestar, tenant: TenantKit, poison: str
) -> None:
    client = browser(app, tenant.host)
    token = await client.ensure_csrf()
    response = await client.post(
        "/login",
        content=f"email=a{poison}b%40x.example&password=x&_csrf={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "“email”" in html.unescape(response.text)


async def test_poisoned_customer_form_from_htmx_gets_a_toast_fragment(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    response = await client.htmx("POST", "/customers/", {"name": "张三\x00", "notes": SECRET})
    assert response.status_code == 400
    assert response.headers["hx-reswap"] == "none"
    assert "toast" in response.headers["hx-trigger"]
    assert "“name”" in html.unescape(response.text)
    assert SECRET not in response.text


async def test_poisoned_multipart_field_is_a_400(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    response = await client.post(
        "/customers/",
        files={"name": (None, "张三\x00".encode()), "notes": (None, b"\xed\xa0\x80")},
        headers={"X-CSRF-Token": client.csrf()},
    )
    assert response.status_code == 400
    assert "“name”" in html.unescape(response.text)


async def test_poisoned_sign_up_and_console_filter_are_400s(app: Litestar) -> None:
    client = browser(app, "localhost")
    token = await client.ensure_csrf()
    response = await client.post(
        "/signup",
        content=f"company_name=%E5%8D%8E{SURROGATE}&slug=poison&admin_email=a%40b.example&admin_password=12345678&_csrf={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "“company_name”" in html.unescape(response.text)
    console = await client.get(f"/operator?q=a{NUL}")
    assert console.status_code == 400 and "“q”" in html.unescape(console.text)
