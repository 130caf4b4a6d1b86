"""Error pages keep the admin around a signed-in staff member: a wrong link or a record that is gone
is one click from the rest of the admin, and the page is titled with the dealer's name. A stranger
gets the bare card, and the API keeps its JSON."""

from __future__ import annotations

import html
import re
import uuid

from crm_testkit import TenantKit, browser, logged_in
from litestar import Litestar


async def test_a_missing_customer_shows_the_404_inside_the_admin(app: Litestar, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get(f"/customers/{uuid.uuid4()}")
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert "页面不存在" in text
    assert 'class="sidebar"' in text and 'href="/customers"' in text  # the navigation is there
    assert re.search(r"<title>页面不存在 · [^<]+</title>", text)  # the dealer's name after the title


async def test_a_forbidden_page_keeps_the_navigation(app: Litestar, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")  # a salesperson may not read the audit log
    page = await zhang.get("/audit")
    assert page.status_code == 403
    assert 'class="sidebar"' in page.text


async def test_strangers_get_the_bare_card(app: Litestar, tenant: TenantKit) -> None:
    stranger = browser(app, tenant.host)
    page = await stranger.get(f"/customers/{uuid.uuid4()}")
    assert page.status_code in (303, 404)
    if page.status_code == 404:
        assert 'class="sidebar"' not in page.text


async def test_a_malformed_request_from_a_browser_is_a_page_not_plain_text(
    app: Litestar, tenant: TenantKit
) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get("/customers/not-a-uuid/edit")
    assert page.status_code in (400, 404)
    assert page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in html.unescape(page.text) or "请求被拒绝" in html.unescape(page.text)
