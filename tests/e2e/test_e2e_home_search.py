"""The home page and the Ctrl-K palette in a real browser, at desktop and phone width.

A dealer created on the command line with a few customers: the owner's home shows the cards with
their ECharts charts drawn; Ctrl-K opens the palette, typing a customer's initials finds him, the
arrow keys and Enter open his page; Esc closes the palette. Nothing is refused by the app's CSP.
"""

from __future__ import annotations

import pytest
from e2e_pages import browser_context, new_dealer, new_page, shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_home_charts_and_the_palette(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-home")
    tenant = dealer.url
    page = new_page(browser_context(chromium, width))
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in(page, tenant, dealer.owner)

    # A new dealer's home says what to do first.
    expect(page.locator("#card-first_steps")).to_contain_text("创建第一位客户")
    shot(page, f"10-home-empty-{width}")

    # Two customers through the admin's own form, so the charts have something to draw.
    for name, mobile in (("欧阳明远", "13912345678"), ("张三丰", "13812345678")):
        page.goto(f"{tenant}/customers/new")
        page.fill("input[name=name]", name)
        page.fill("input[name=mobile]", mobile)
        page.click("form button[type=submit]")
        page.wait_for_load_state("networkidle")
    page.goto(f"{tenant}/")
    expect(page.locator("#card-first_steps")).to_have_count(0)
    expect(page.locator("#card-my_customers .stat-value")).to_have_text("2")
    # ECharts drew both charts (a canvas each), from the vendored file.
    expect(page.locator(".chart[data-rendered=true] canvas")).to_have_count(2)
    shot(page, f"11-home-{width}")

    # Ctrl-K opens the palette; initials find 欧阳明远; Enter opens his page.
    page.keyboard.press("Control+k")
    expect(page.locator("#palette")).to_be_visible()
    page.keyboard.type("oymy")
    expect(page.locator("#palette-results .search-hit")).to_contain_text("欧阳明远")
    expect(page.locator("#palette-results .search-hit.active")).to_contain_text("欧阳明远")
    shot(page, f"12-palette-{width}")
    page.keyboard.press("ArrowDown")  # to "all results"
    expect(page.locator("#palette-results .search-all.active")).to_have_count(1)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/*")
    expect(page.locator("body")).to_contain_text("13912345678")

    # Esc closes it; a refused search (control characters) says why instead of failing.
    page.keyboard.press("Control+k")
    expect(page.locator("#palette")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#palette")).to_be_hidden()
    page.goto(f"{tenant}/search?q=" + "张" * 1000)
    expect(page.locator(".search-problem")).to_contain_text("过长")
    assert refused == []
    page.context.close()
