"""The customer's timeline and duplicate control in a real browser, at desktop and phone width.

The owner of a new dealer adds a customer, writes a quick note with a file on its timeline, then
enters a second customer with the same mobile: the form warns (撞单) and saves once confirmed, and
the duplicates page lists the pair.
"""

from __future__ import annotations

import pytest
from e2e_pages import add_customer, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_note_on_the_timeline_and_a_duplicate_warned(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-360")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

    add_customer(page, dealer, "王秀英", "13912345678")
    timeline = page.locator("section#timeline")
    expect(timeline).to_contain_text("时间线")
    timeline.locator("textarea[name=body]").fill("客户想换海尔冰箱，周末来店里看")
    timeline.locator("input[type=file]").set_input_files(
        files=[{"name": "报价单.txt", "mimeType": "text/plain", "buffer": "海尔冰箱 3999 元".encode()}]
    )
    timeline.locator("button.primary").click()
    expect(page.locator("section#timeline .tl-entry.tl-note")).to_contain_text("周末来店里看")
    expect(page.locator("section#timeline")).to_contain_text("报价单.txt")
    shot(page, f"30-customer-timeline-{width}")

    page.goto(f"{tenant}/customers/new")
    page.fill("input[name=name]", "王秀")
    page.fill("input[name=mobile]", "139 1234 5678")
    page.click("form button[type=submit]")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("王秀英")
    shot(page, f"31-duplicate-warning-{width}")
    warning.locator("input[name=confirm_duplicates]").check()
    page.click("form button[type=submit]")
    page.wait_for_url("**/customers/*")

    page.goto(f"{tenant}/duplicates")
    expect(page.locator(".dup-pair")).to_contain_text("王秀英")
    shot(page, f"32-duplicates-{width}")
    page.context.close()
