"""Follow-ups, tasks and the bell in a real browser, at desktop and phone width.

The owner of a new dealer adds a customer, logs a WeChat follow-up on the customer's page through
the drawer (a next time in the past is refused first, in the form), creates a task from the work
list and ticks it done, and the bell in the top bar shows what is waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from e2e_pages import add_customer, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
LOCAL = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_log_a_follow_up_plan_a_task_and_see_the_bell(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-fu")
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

    add_customer(page, dealer, "王秀英", "13912345678")
    section = page.locator("section#follow-ups")
    expect(section).to_contain_text("跟进记录")

    section.get_by_text("+ 添加").click()
    drawer = page.locator("#drawer .drawer")
    expect(drawer).to_be_visible()
    drawer.locator("select[name=channel]").select_option("wechat")
    drawer.locator("textarea[name=summary]").fill("发了海尔冰箱的报价，客户说周末来店里看")
    drawer.locator("select[name=outcome]").select_option("interested")
    drawer.locator("input[name=next_at]").fill("2020-01-01T09:00")
    drawer.locator("button[type=submit]").click()
    expect(drawer.locator(".message")).to_contain_text("时间不能早于现在")
    shot(page, f"20-follow-up-refused-{width}")
    soon = (datetime.now(LOCAL) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    drawer.locator("input[name=next_at]").fill(soon)
    drawer.locator("button[type=submit]").click()
    expect(section.locator(".record-card")).to_contain_text("发了海尔冰箱的报价")
    expect(section.locator(".record-card")).to_contain_text("微信")
    shot(page, f"21-follow-up-logged-{width}")

    page.goto(f"{tenant}/work")
    expect(page.locator("body")).to_contain_text("王秀英")
    page.get_by_text("+ 新建任务").click()
    drawer = page.locator("#drawer .drawer")
    drawer.locator("input[name=title]").fill("给王秀英送安装单")
    drawer.locator("input[name=due_at]").fill(soon)
    shot(page, f"22-task-form-{width}")
    drawer.locator("button[type=submit]").click()
    expect(page.locator("#work")).to_contain_text("给王秀英送安装单")
    shot(page, f"23-work-list-{width}")
    page.locator("#work .record-card", has_text="给王秀英送安装单").get_by_role("button", name="完成").click()
    expect(page.locator("#work")).not_to_contain_text("给王秀英送安装单")

    page.goto(f"{tenant}/notifications")
    expect(page.locator("#bell")).to_be_visible()
    expect(page.locator("body")).to_contain_text("暂无通知")
    shot(page, f"24-notifications-{width}")
    page.context.close()
