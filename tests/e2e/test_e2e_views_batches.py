"""Saved views and a batch with undo in a real browser, at desktop and phone width.

The owner saves the list (sorted by name, in pinyin order: 安 before 张) as a view, whose tab opens
it again; ticks two customers, adds a tag to both from the bulk bar, and the toast's 撤销 takes the
tag off again. Nothing scrolls sideways at 375 px. Screenshots: tests/e2e/screenshots/6x-views-*.png.
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
    slug = f"e2e-views-{secrets.token_hex(2)}"
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "tenant", "create", slug, "--name", "西湖家电",
         "--admin-email", f"owner@{slug}.example", "--admin-password", PASSWORD],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return slug, server.format(host=f"{slug}.localhost")


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_saved_view_and_a_batch_with_undo(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug, tenant = _new_dealer(server)
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, f"owner@{slug}.example")
    for name, mobile in (("张伟强", "13812345601"), ("安心", "13812345602"), ("丁一", "13812345603")):
        page.goto(f"{tenant}/customers")
        page.locator(
            ".empty-state a[href='/customers/new'], .page-head a[href='/customers/new']"
        ).first.click()
        page.wait_for_selector("#drawer input[name=name]")
        page.fill("#drawer input[name=name]", name)
        page.fill("#drawer input[name=mobile]", mobile)
        page.click("#drawer button[type=submit]")
        expect(page.locator("#results")).to_contain_text(name)

    # Sorted by name in pinyin order, then saved as a view.
    page.goto(f"{tenant}/customers?sort=name&dir=asc")
    titles = page.locator("#results tbody td.card-title").all_inner_texts()
    assert [t.strip() for t in titles] == ["安心", "丁一", "张伟强"], titles
    page.click(".save-view summary")
    page.fill(".save-view-form input[name=name]", "按姓名")
    page.click(".save-view-form button[type=submit]")
    expect(page.locator(".view-tabs a.active")).to_have_text("按姓名")
    _no_sideways_scroll(page)
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
    _no_sideways_scroll(page)
    shot(page, f"61-views-batch-toast-{width}")
    toast.locator("button").click()
    expect(page.locator("#toast.show")).to_contain_text("已撤销")
    expect(page.locator("#results")).not_to_contain_text("以旧换新")
    shot(page, f"62-views-batch-undone-{width}")
    context.close()
