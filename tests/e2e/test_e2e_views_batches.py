"""Saved views and a batch with undo in a real browser, at desktop and phone width.

The owner saves the list (sorted by name, in pinyin order: 安 before 张) as a view, whose tab opens
it again; ticks two customers, adds a tag to both from the bulk bar, and the toast's 撤销 takes the
tag off again. Nothing scrolls sideways at 375 px. Screenshots: tests/e2e/screenshots/6x-views-*.png.
"""

from __future__ import annotations

import pytest
from e2e_pages import add_customer_in_drawer, assert_no_sideways_scroll, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_saved_view_and_a_batch_with_undo(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-views")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)
    for name, mobile in (("张伟强", "13812345601"), ("安心", "13812345602"), ("丁一", "13812345603")):
        add_customer_in_drawer(page, dealer, name, mobile)

    # Sorted by name in pinyin order, then saved as a view.
    page.goto(f"{tenant}/customers?sort=name&dir=asc")
    titles = page.locator("#results tbody td.card-title").all_inner_texts()
    assert [t.strip() for t in titles] == ["安心", "丁一", "张伟强"], titles
    page.click(".save-view summary")
    page.fill(".save-view-form input[name=name]", "按姓名")
    page.click(".save-view-form button[type=submit]")
    expect(page.locator(".view-tabs a.active")).to_have_text("按姓名")
    assert_no_sideways_scroll(page)
    shot(page, f"60-views-tab-{width}")

    # Two ticked, one tag added in a batch; the toast undoes it.
    boxes = page.locator("#results tbody input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk select[name=verb]", "add_tags")
    page.fill("#bulk input[data-for-input=text]", "以旧换新")
    page.click("#bulk button[type=submit]")
    toast = page.locator("#toast.show")
    expect(toast).to_contain_text("已完成 2 条")
    expect(page.locator("#results")).to_contain_text("以旧换新")
    assert_no_sideways_scroll(page)
    shot(page, f"61-views-batch-toast-{width}")
    toast.locator("button").click()
    expect(page.locator("#toast.show")).to_contain_text("已撤销")
    expect(page.locator("#results")).not_to_contain_text("以旧换新")
    shot(page, f"62-views-batch-undone-{width}")
    page.context.close()
