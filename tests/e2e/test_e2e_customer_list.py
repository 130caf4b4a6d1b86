"""The customer list in a real browser at desktop and phone width (the kit's list page).

At 1280 px the row actions (查看 / 编辑 / 删除) are on screen without scrolling sideways; at 375 px
every row is a card, nothing scrolls sideways, the filters fold behind 筛选 and the buttons are big
enough to tap. The bulk bar deletes two ticked customers and its toast undoes it. Screenshots:
tests/e2e/screenshots/3x-list-*.png.
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


def _new_dealer(server: str) -> tuple[str, str]:
    slug = f"e2e-list-{secrets.token_hex(2)}"
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "tenant", "create", slug, "--name", "滨江家电",
         "--admin-email", f"owner@{slug}.example", "--admin-password", PASSWORD],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return slug, server.format(host=f"{slug}.localhost")


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_the_customer_list_at_desktop_and_phone_width(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug, tenant = _new_dealer(server)
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, f"owner@{slug}.example")

    page.goto(f"{tenant}/customers")
    expect(page.locator(".empty-state")).to_contain_text("还没有客户")
    for name, mobile in (
        ("杭州创联世纪科技有限公司", "13912345601"),
        ("欧阳明远", "13912345602"),
        ("丁一", "13912345603"),
    ):
        page.goto(f"{tenant}/customers")
        page.locator(
            ".empty-state a[href='/customers/new'], .page-head a[href='/customers/new']"
        ).first.click()
        page.wait_for_selector("#drawer input[name=name]")
        page.fill("#drawer input[name=name]", name)
        page.fill("#drawer input[name=mobile]", mobile)
        page.click("#drawer button[type=submit]")
        expect(page.locator("#results")).to_contain_text(name)

    page.goto(f"{tenant}/customers?size=2")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".pager .range")).to_contain_text("第 1–2 条 / 共 3 条")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
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
    context.close()
