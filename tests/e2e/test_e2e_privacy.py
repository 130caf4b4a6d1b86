"""Personal data on the customer's page in a real browser, at desktop and phone width.

The owner of a new dealer adds a customer, records the customer's consent to sensitive data, saves
an ID card number (shown masked), reveals it, and sees the consent on the timeline; the page never
scrolls sideways.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from e2e_pages import shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"
ID_NUMBER = "11010519491231002X"


def _cli(*args: str) -> None:
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True, capture_output=True)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_consent_then_masked_id_number_and_reveal(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug = f"e2e-pipl-{secrets.token_hex(2)}"
    _cli("tenant", "create", slug, "--name", "钱塘家电", "--admin-email", f"owner@{slug}.example",
         "--admin-password", PASSWORD)  # fmt: skip
    tenant = server.format(host=f"{slug}.localhost")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, f"owner@{slug}.example")

    page.goto(f"{tenant}/customers/new")
    page.fill("input[name=name]", "赵敏")
    page.fill("input[name=mobile]", "13912345670")
    page.click("form button[type=submit]")
    page.wait_for_url("**/customers/*")
    card = page.locator("section#privacy")
    expect(card).to_contain_text("个人信息保护")

    # Without consent the number is refused on its field.
    card.locator("input[name=id_card]").fill(ID_NUMBER)
    card.locator("form.privacy-form button.primary").click()
    expect(page.locator("section#privacy .field-error")).to_contain_text("请先记录客户")
    page.locator("section#privacy select[name=purpose]").select_option("sensitive_data")
    page.locator("section#privacy input[name=policy_version]").fill("2026-01")
    page.locator("section#privacy form.privacy-form >> nth=1").locator("button").click()
    expect(page.locator("section#privacy .badge.won")).to_contain_text("已生效")
    page.locator("section#privacy input[name=id_card]").fill(ID_NUMBER)
    page.locator("section#privacy form.privacy-form button.primary").click()
    expect(page.locator("#sensitive-id_card")).to_have_text("110105********002X")
    page.locator("section#privacy form.inline button.link").first.click()
    expect(page.locator("#sensitive-id_card")).to_contain_text(ID_NUMBER)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"80-customer-privacy-{width}")

    page.goto(f"{tenant}/privacy/retention")
    expect(page.locator("h1")).to_contain_text("数据保留")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"81-retention-{width}")
    context.close()
