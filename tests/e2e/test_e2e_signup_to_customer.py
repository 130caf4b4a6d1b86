"""A dealer's first minutes, in a real browser: sign up, log in, add a customer with a Chinese name,
find it by two characters, fix a mistyped mobile after the inline error. Desktop and phone width."""

from __future__ import annotations

import secrets

import pytest
from e2e_pages import shot, verification_link
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_signup_login_create_search_edit(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug = f"e2e-{width}-{secrets.token_hex(2)}"
    base = server.format(host="localhost")
    tenant = server.format(host=f"{slug}.localhost")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The pages work under their Content-Security-Policy: nothing the app does is refused by it.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )

    # Sign up at the base domain.
    page.goto(f"{base}/signup")
    assert "注册" in page.content() or "免费" in page.content()
    page.fill("input[name=company_name]", "海淀家电城")
    page.fill("input[name=slug]", slug)
    page.fill("input[name=admin_name]", "王建国")
    page.fill("input[name=admin_email]", f"owner@{slug}.example")
    page.fill("input[name=admin_password]", "correct-horse-9")
    shot(page, f"01-signup-{width}")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert slug in page.content()
    shot(page, f"02-signup-done-{width}")

    # Verify the owner's email with the link from the mail the recording adapter kept.
    page.goto(verification_link(f"owner@{slug}.example"))
    page.wait_for_load_state("networkidle")

    # Log in on the dealer's own host.
    page.goto(f"{tenant}/login")
    assert "登录" in page.content()
    page.fill("input[name=email]", f"owner@{slug}.example")
    page.fill("input[name=password]", "correct-horse-9")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{tenant}/")  # the home page (tests/e2e/test_e2e_home_search.py looks at it)
    page.goto(f"{tenant}/customers")

    # Create a customer with a Chinese name in the drawer.
    page.click("a[href='/customers/new']")
    page.wait_for_selector("#drawer input[name=name]")
    page.fill("#drawer input[name=name]", "欧阳明远")
    page.fill("#drawer input[name=mobile]", "13912345678")
    shot(page, f"03-new-customer-{width}")
    page.click("#drawer button[type=submit]")
    page.wait_for_load_state("networkidle")

    # Find it by two characters with the live search.
    page.goto(f"{tenant}/customers")
    page.fill("#filters input[name=q]", "没有这人")
    page.wait_for_url("**q=*")
    # Locator assertions, not wait_for_function: the app's CSP allows no eval, for tests too.
    expect(page.locator("#results")).not_to_contain_text("欧阳明远")
    page.fill("#filters input[name=q]", "明远")
    expect(page.locator("#results")).to_contain_text("欧阳明远")
    assert "q=%E6%98%8E%E8%BF%9C" in page.url or "q=明远" in page.url  # the search stays in the URL
    shot(page, f"04-search-{width}")

    # Edit with a bad mobile: an inline error, nothing saved; then fix it.
    page.click("#results a:has-text('欧阳明远')")
    page.wait_for_load_state("networkidle")
    detail_url = page.url
    page.goto(detail_url.rstrip("/") + "/edit")
    page.fill("input[name=mobile]", "12345")
    page.click("form button[type=submit]")
    page.wait_for_selector(".field-error .message")
    assert "手机号" in page.inner_text(".field-error .message")
    shot(page, f"05-inline-error-{width}")
    page.fill("input[name=mobile]", "13800138000")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(detail_url)
    assert "13800138000" in page.content()
    shot(page, f"06-detail-{width}")

    # An installation address through the customer's address section (the kit's drawer form):
    # the district picker follows the province and city, the new address shows as a card.
    page.goto(detail_url)
    page.click("#addresses a.button")
    page.wait_for_selector("#drawer input[name=detail]")
    page.select_option("#drawer #f-kind", "installation")
    page.select_option("#drawer #f-province", "浙江省")
    expect(page.locator("#drawer #f-city option[value='杭州市']")).to_have_count(1)
    page.select_option("#drawer #f-city", "杭州市")
    expect(page.locator("#drawer #f-district option[value='西湖区']")).to_have_count(1)
    page.select_option("#drawer #f-district", "西湖区")
    page.fill("#drawer input[name=detail]", "文三路 90 号 502")
    shot(page, f"07-new-address-{width}")
    page.click("#drawer button[type=submit]")
    expect(page.locator("#addresses .record-card")).to_contain_text("文三路 90 号 502")
    expect(page.locator("#addresses .record-card")).to_contain_text("安装")
    assert page.locator("#contacts").count() == 0  # a person has no contacts section
    shot(page, f"08-addresses-{width}")

    # English on request.
    page.goto(f"{tenant}/customers?lang=en")
    assert "Customers" in page.content()
    assert refused == []
    context.close()
