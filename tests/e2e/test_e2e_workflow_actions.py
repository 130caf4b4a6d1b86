"""The order workflow's entry actions in a real browser, at desktop and phone width.

The owner of a new dealer opens the order workflow, sees the stock actions under their stages,
adds a notification to 已发货 (first, before the stock leaves), is refused a task without its text
beside the action, and saves; the page has no sideways scrolling at 375 px.
"""

from __future__ import annotations

import pytest
from e2e_pages import assert_no_sideways_scroll, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_entry_actions_of_the_order_workflow(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-wa")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

    page.goto(f"{tenant}/workflows/order")
    expect(page).to_have_title("流程 · 订单 · 西湖家电")
    shipped = page.locator("fieldset#actions-shipped")
    expect(shipped).to_contain_text("订单出库")
    expect(page.locator("fieldset#actions-approved")).to_contain_text("预留订单库存")

    # A task without its text is refused beside it; nothing is saved.
    delivered = page.locator("fieldset#actions-delivered")
    delivered.get_by_text("添加动作").click()
    delivered.locator("select[name='a:delivered:new:kind']").select_option("create_task")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("fieldset#actions-delivered .message")).to_contain_text("请填写通知或任务的内容")
    shot(page, f"70-workflow-action-refused-{width}")

    page.goto(f"{tenant}/workflows/order")
    shipped = page.locator("fieldset#actions-shipped")
    shipped.get_by_text("添加动作").click()
    shipped.locator("select[name='a:shipped:new:kind']").select_option("notify")
    shipped.locator("input[name='a:shipped:new:text']").fill("订单已发货，请联系客户约送货时间")
    shipped.locator("input[name='a:shipped:new:order']").fill("1")
    page.get_by_role("button", name="保存为新版本").click()
    page.wait_for_url("**/workflows/order?saved=1")
    rows = page.locator("fieldset#actions-shipped li.action-row .kind")
    expect(rows.nth(0)).to_have_text("通知")
    expect(rows.nth(1)).to_have_text("订单出库")
    shot(page, f"71-workflow-actions-saved-{width}")
    # No sideways scrolling at either width.
    assert_no_sideways_scroll(page)
    page.context.close()
