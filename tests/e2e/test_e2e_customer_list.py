"""The customer list in a real browser at desktop and phone width (the kit's list page).

At 1280 px the row actions (查看 / 编辑 / 删除) are on screen without scrolling sideways; at 375 px
every row is a card, nothing scrolls sideways, the filters fold behind 筛选 and the buttons are big
enough to tap. The bulk bar deletes two ticked customers and its toast undoes it. Screenshots:
tests/e2e/screenshots/3x-list-*.png.
"""

from __future__ import annotations

import pytest
from e2e_pages import add_customer_in_drawer, assert_no_sideways_scroll, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_the_customer_list_at_desktop_and_phone_width(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-list", "滨江家电")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

    page.goto(f"{tenant}/customers")
    expect(page.locator(".empty-state")).to_contain_text("还没有客户")
    for name, mobile in (
        ("杭州创联世纪科技有限公司", "13912345601"),
        ("欧阳明远", "13912345602"),
        ("丁一", "13912345603"),
    ):
        add_customer_in_drawer(page, dealer, name, mobile)

    page.goto(f"{tenant}/customers?size=2")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".pager .range")).to_contain_text("第 1–2 条 / 共 3 条")
    assert_no_sideways_scroll(page)
    delete = page.locator("#results tbody tr").first.locator("button:has-text('删除')")
    box = delete.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, "the row's delete button is off screen"
    if width < 640:
        # Cards: big enough to tap; the search box stays in view, the other filters wait behind
        # their button.
        assert box["height"] >= 40
        expect(page.locator("#filters input[name=q]")).to_be_visible()
        expect(page.locator("#filters select").first).to_be_hidden()
        page.click(".filter-toggle")
        expect(page.locator("#filters select").first).to_be_visible()
        shot(page, f"31-list-filters-{width}")
    shot(page, f"30-list-{width}")

    page.click("a[rel=next]")
    page.wait_for_url("**p=2**")
    expect(page.locator(".pager .range")).to_contain_text("第 3–3 条 / 共 3 条")
    page.click("a[rel=prev]")
    expect(page.locator(".pager .range")).to_contain_text("第 1–2 条 / 共 3 条")

    # Tick both rows of the page with "select all", delete them, then undo from the toast.
    page.locator(".bulk-bar [data-select-all]").check()
    expect(page.locator("[data-selected-count]")).to_contain_text("已选 2 项")
    page.select_option("select[name=verb]", "delete")
    shot(page, f"32-list-bulk-{width}")
    page.click("#bulk button[type=submit]")
    expect(page.locator("#toast")).to_contain_text("已完成 2 条")
    expect(page.locator(".pager .range")).to_contain_text("共 1 条")
    page.click("#toast button")
    expect(page.locator(".pager .range")).to_contain_text("共 3 条")
    shot(page, f"33-list-undone-{width}")
    page.context.close()
