"""Leads and the pool in a real browser, at desktop and phone width.

A visitor fills in the dealer's public web form (no login); the owner finds the lead, converts it
into a customer (and an opportunity) in one step, then sets up a pool, releases a customer into it
from the customer's page, and claims it back from the pool page.
"""

from __future__ import annotations

import pytest
from e2e_pages import assert_no_sideways_scroll, browser_context, new_dealer, new_page, shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_public_form_to_lead_to_customer_and_a_pool_claim(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-ld", "钱塘家电")
    tenant = dealer.url
    context = browser_context(chromium, width)

    visitor = new_page(context)
    visitor.goto(f"{tenant}/lead-form")
    expect(visitor.locator("h1")).to_contain_text("钱塘家电")
    visitor.fill("input[name=name]", "赵女士")
    visitor.fill("input[name=mobile]", "13812345678")
    visitor.fill("input[name=product_category]", "空调")
    visitor.fill("textarea[name=message]", "想换两台一级能效的空调")
    assert_no_sideways_scroll(visitor)
    shot(visitor, f"60-lead-form-{width}")
    visitor.wait_for_timeout(3500)  # people take a few seconds; bots that answer at once are ignored
    visitor.click("form button[type=submit]")
    expect(visitor.locator(".alert")).to_contain_text("谢谢")
    visitor.close()

    page = new_page(context)
    sign_in(page, tenant, dealer.owner)
    page.goto(f"{tenant}/leads")
    expect(page.locator("table.list")).to_contain_text("赵女士")
    expect(page.locator("table.list")).to_contain_text("网页表单")
    assert_no_sideways_scroll(page)
    shot(page, f"61-leads-{width}")
    page.get_by_role("link", name="赵女士").click()
    page.wait_for_url("**/leads/*")
    expect(page.locator("dl.details")).to_contain_text("想换两台一级能效的空调")
    shot(page, f"62-lead-{width}")
    page.get_by_test_id("convert").click()
    page.wait_for_url("**/customers/*")
    expect(page.locator("h1")).to_contain_text("赵女士")

    # A pool, the customer released into it from its page, and claimed back from the pool page.
    page.goto(f"{tenant}/pools")
    page.fill("form[action='/pools'] input[name=name]", "总公海")
    page.click("form[action='/pools'] button[type=submit]")
    page.wait_for_url("**/pools?pool=*")
    page.go_back()
    page.goto(f"{tenant}/customers")
    page.get_by_role("link", name="赵女士").first.click()
    page.wait_for_url("**/customers/*")
    page.get_by_role("button", name="放回公海").click()
    page.wait_for_url("**/pools")
    expect(page.locator("table.list")).to_contain_text("赵女士")
    expect(page.locator("table.list")).not_to_contain_text("13812345678")  # no phone before a claim
    assert_no_sideways_scroll(page)
    shot(page, f"63-pool-{width}")
    page.get_by_test_id("claim").first.click()
    page.wait_for_url("**/customers/*")
    expect(page.locator("body")).to_contain_text("13812345678")
    shot(page, f"64-claimed-{width}")
    context.close()
