"""Follow-ups, tasks and the bell in a real browser, at desktop and phone width.

The owner of a new dealer adds a customer, logs a WeChat follow-up on the customer's page through
the drawer (a next time in the past is refused first, in the form), creates a task from the work
list and ticks it done, and the bell in the top bar shows what is waiting.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from e2e_pages import shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"
LOCAL = ZoneInfo("Asia/Shanghai")


def _cli(*args: str) -> None:
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True, capture_output=True)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_log_a_follow_up_plan_a_task_and_see_the_bell(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug = f"e2e-fu-{secrets.token_hex(2)}"
    _cli("tenant", "create", slug, "--name", "西湖家电", "--admin-email", f"owner@{slug}.example",
         "--admin-password", PASSWORD)  # fmt: skip
    tenant = server.format(host=f"{slug}.localhost")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, f"owner@{slug}.example")

    page.goto(f"{tenant}/customers/new")
    page.fill("input[name=name]", "王秀英")
    page.fill("input[name=mobile]", "13912345678")
    page.click("form button[type=submit]")
    page.wait_for_url("**/customers/*")
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
    context.close()
