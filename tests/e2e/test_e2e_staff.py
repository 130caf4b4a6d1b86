"""Staff and teams in a real browser, at desktop and phone width.

A dealer made on the command line with a salesperson who owns a customer: the owner opens 员工,
invites a new hire, who opens the mailed link in another browser and joins; the owner makes a team,
then deactivates the salesperson with his customer handed to the new hire. Screenshots of each
page at 1280 and 375 px; at 375 px the staff list is cards (no sideways scrolling).
"""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest
from e2e_pages import assert_no_sideways_scroll, browser_context, cli, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _invitation_link(email: str) -> str:
    async def newest() -> str:
        url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(url)
        try:
            body = await conn.fetchval(
                "SELECT body FROM public.outbox_mail WHERE to_addr = $1 AND kind = 'staff_invitation' "
                "ORDER BY created_at DESC LIMIT 1",
                email,
            )
        finally:
            await conn.close()
        match = re.search(r"https?://\S+/invite\?token=\S+", body or "")
        assert match, body
        return match.group(0)

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
        return pool.submit(asyncio.run, newest()).result()


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_invite_join_and_a_leavers_handover(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-staff", "钱塘家电", "--admin-name", "王建国")
    slug = dealer.slug
    cli(
        "user",
        "add",
        "--tenant",
        slug,
        "--email",
        f"zhang@{slug}.example",
        "--name",
        "张伟",
        "--role",
        "sales",
    )
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)
    # 张伟 owns a customer (made by the owner, given to him in the form).
    page.goto(f"{tenant}/customers/new")
    page.fill("input[name=name]", "李红梅")
    page.select_option("select[name=owner_id]", label="张伟")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{tenant}/settings/staff")
    expect(page.locator("table.kit-list")).to_contain_text("张伟")
    # At phone width nothing scrolls sideways.
    assert_no_sideways_scroll(page)
    shot(page, f"30-staff-list-{width}")

    page.click("text=邀请员工")
    page.fill("input[name=email]", f"zhao@{slug}.example")
    page.select_option("select[name=role_id]", label="销售")
    shot(page, f"31-staff-invite-{width}")
    page.click("form.form-card button[type=submit]")
    expect(page.locator(".alert.notice")).to_contain_text("邀请已发送")

    newcomer = browser_context(chromium, width).new_page()
    newcomer.goto(_invitation_link(f"zhao@{slug}.example"))
    newcomer.fill("input[name=name]", "赵磊")
    newcomer.fill("input[name=password]", "zhao-lei-2026")
    newcomer.fill("input[name=password_confirm]", "zhao-lei-2026")
    shot(newcomer, f"32-staff-accept-{width}")
    newcomer.click("form button[type=submit]")
    expect(newcomer.locator(".notice")).to_contain_text("账号已开通")

    page.goto(f"{tenant}/settings/teams")
    page.fill("input[name=name]", "门店一组")
    page.click("form.toolbar button[type=submit]")
    expect(page.locator(".teams-list")).to_contain_text("门店一组")
    shot(page, f"33-teams-{width}")

    page.goto(f"{tenant}/settings/staff")
    page.click("table.kit-list a:text('张伟')")
    expect(page.locator("h1")).to_contain_text("张伟")
    page.select_option("select[name=handover_to]", label="赵磊 · 销售")
    shot(page, f"34-staff-leaver-{width}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=停用并交接")
    expect(page.locator(".alert.notice")).to_contain_text("已停用")
    shot(page, f"35-staff-deactivated-{width}")
    page.context.close()
