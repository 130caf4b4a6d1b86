"""An expired session mid-form: what 张伟 typed survives the trip through the login page.

His session ends (here: logged out from another browser) while the edit form is open. Saving sends
him to the login page; after logging in he is back on the form with his input restored and a note
saying so. Nothing is saved behind his back, and the parked input is used once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from crm_testkit import PASSWORD, Browser, TenantKit, browser, logged_in
from litestar import Litestar
from web_customers_kit import add_customer, field_value, load


@pytest.fixture(autouse=True)
async def unspent_parking_allowance(app: Litestar) -> AsyncIterator[None]:
    """Parking is limited per address (app.http.form_stash: 20 per 10 minutes) and every test
    client posts from 127.0.0.1: each story here starts with the allowance unspent, whatever ran
    before it on the same worker."""
    redis = app.state.redis
    async for key in redis.scan_iter(match="throttle:form-stash:*"):
        await redis.delete(key)
    yield


async def end_session_elsewhere(app: Litestar, tenant: TenantKit, client: Browser) -> None:
    """Log the same session out from a second browser, as if it had expired."""
    other = browser(app, tenant.host)
    other.cookies.set("dcrm_session", client.cookies.get("dcrm_session"), domain=tenant.host)
    assert (await other.post_form("/logout", {})).status_code == 303


async def log_in_again(client: Browser, tenant: TenantKit, login_url: str) -> str:
    """Follow the login page as a browser would; returns where the login sends the user."""
    page = await client.get(login_url)
    assert page.status_code == 200 and "未保存的内容会自动恢复" in page.text
    query = parse_qs(urlsplit(login_url).query)
    response = await client.post_form(
        "/login",
        {
            "email": tenant.email("sales_a"),
            "password": PASSWORD,
            "next": query["next"][0],
            "resume": query["resume"][0],
        },
    )
    assert response.status_code == 303
    return response.headers["location"]


TYPED = {
    "name": "张三丰（新）",
    "kind": "individual",
    "status": "interested",
    "mobile": "13987654321",
    "notes": "客户周六上午在家",
    "tags": "以旧换新, 复购",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "_form": "",  # set per test, as the rendered form does
}


async def test_edit_page_form_is_restored_after_logging_in_again(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    edit_url = f"/customers/{customer_id}/edit"
    client = await logged_in(app, tenant, "sales_a")
    opened = await client.get(edit_url)
    assert opened.status_code == 200 and field_value(opened.text, "name") == "张三丰"

    await end_session_elsewhere(app, tenant, client)
    posted = await client.post_form(
        f"/customers/{customer_id}",
        {**TYPED, "_form": edit_url, "version": "1"},
        headers={"Referer": f"https://{tenant.host}{edit_url}"},
    )
    assert posted.status_code == 303
    login_url = posted.headers["location"]
    assert login_url.startswith("/login?next=") and "resume=" in login_url

    back = await log_in_again(client, tenant, login_url)
    assert back.startswith(f"{edit_url}?resume=")
    restored = await client.get(back)
    assert restored.status_code == 200
    assert "已恢复您未保存的内容" in restored.text
    assert field_value(restored.text, "name") == "张三丰（新）"
    assert field_value(restored.text, "mobile") == "13987654321"
    assert field_value(restored.text, "tags") == "以旧换新, 复购"
    assert "客户周六上午在家" in restored.text
    assert '<option value="南山区" selected>' in restored.text  # the cascading picker is filled in too
    assert 'name="version" value="1"' in restored.text
    # Nothing was saved while logged out; saving now is the user's decision.
    assert (await load(app, tenant, customer_id)).name == "张三丰"

    # The parked input is used once: a reload shows the stored customer again.
    reloaded = await client.get(back)
    assert field_value(reloaded.text, "name") == "张三丰" and "已恢复" not in reloaded.text

    saved = await client.post_form(f"/customers/{customer_id}", {**TYPED, "_form": edit_url, "version": "1"})
    assert saved.status_code == 303
    assert (await load(app, tenant, customer_id)).name == "张三丰（新）"


async def test_drawer_form_on_the_list_is_restored_on_the_form_page(app: Litestar, tenant: TenantKit) -> None:
    """The drawer was open over the list; after login the list forwards to the form with the input."""
    client = await logged_in(app, tenant, "sales_a")
    await end_session_elsewhere(app, tenant, client)
    posted = await client.htmx(
        "POST",
        "/customers",
        data={**TYPED, "_form": "/customers/new", "_csrf": client.csrf()},
        headers={"HX-Current-URL": f"https://{tenant.host}/customers?status=won"},
    )
    # HTMX is told to navigate the whole page to the login form.
    login_url = posted.headers["HX-Redirect"]
    assert login_url.startswith("/login?next=%2Fcustomers%3Fstatus%3Dwon")

    back = await log_in_again(client, tenant, login_url)
    assert back.startswith("/customers?status=won&resume=")
    forwarded = await client.get(back)
    assert forwarded.status_code == 303
    form_page = forwarded.headers["location"]
    assert form_page.startswith("/customers/new?resume=")
    restored = await client.get(form_page)
    assert "已恢复您未保存的内容" in restored.text
    assert field_value(restored.text, "name") == "张三丰（新）"
    assert field_value(restored.text, "mobile") == "13987654321"


async def test_a_parked_form_is_not_restored_into_another_form(app: Litestar, tenant: TenantKit) -> None:
    first = await add_customer(app, tenant, "sales_a", "张三丰")
    second = await add_customer(app, tenant, "sales_a", "李四海")
    client = await logged_in(app, tenant, "sales_a")
    await end_session_elsewhere(app, tenant, client)
    edit_first = f"/customers/{first}/edit"
    posted = await client.post_form(
        f"/customers/{first}",
        {**TYPED, "_form": edit_first, "version": "1"},
        headers={"Referer": f"https://{tenant.host}{edit_first}"},
    )
    back = await log_in_again(client, tenant, posted.headers["location"])
    key = back.split("resume=", 1)[1]
    other = await client.get(f"/customers/{second}/edit?resume={key}")
    assert field_value(other.text, "name") == "李四海" and "已恢复" not in other.text
    # ...and it is still there for the form it belongs to.
    own = await client.get(back)
    assert field_value(own.text, "name") == "张三丰（新）"
