"""Personal data on the customer's page in a real browser, at desktop and phone width.

The owner of a new dealer adds a customer, records the customer's consent to sensitive data, saves
an ID card number (shown masked), reveals it, and sees the consent on the timeline; the page never
scrolls sideways.
"""

from __future__ import annotations

import pytest
from e2e_pages import add_customer, assert_no_sideways_scroll, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
ID_NUMBER = "11010519491231002X"


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_consent_then_masked_id_number_and_reveal(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-pipl", "钱塘家电")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

    add_customer(page, dealer, "赵敏", "13912345670")
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
    assert_no_sideways_scroll(page)
    shot(page, f"80-customer-privacy-{width}")

    page.goto(f"{tenant}/privacy/retention")
    expect(page.locator("h1")).to_contain_text("数据保留")
    assert_no_sideways_scroll(page)
    shot(page, f"81-retention-{width}")
    page.context.close()
