"""The 安全 page's session list reads as people talk about sessions: whose, which browser on what.

An admin sees everyone's live sessions with the staff member's name (not a user id) and the browser
as "Chrome · Windows" (the raw User-Agent only on hover).
"""

from __future__ import annotations

import html

import pytest
from crm_testkit import PASSWORD, TenantKit, browser
from litestar import Litestar

from web.templating import fmt_user_agent

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        (WINDOWS_CHROME, "Chrome · Windows"),
        (IPHONE_WECHAT, "微信 · iPhone"),
        (WINDOWS_CHROME.replace("Safari/537.36", "Safari/537.36 Edg/131.0.0.0"), "Edge · Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
            "Safari · macOS",
        ),
        ("", ""),
        ("SomethingOdd/1.0 " + "x" * 100, ("SomethingOdd/1.0 " + "x" * 100)[:40]),
    ],
)
def test_user_agents_read_as_browser_and_system(agent: str, shown: str) -> None:
    assert fmt_user_agent(agent) == shown


async def test_an_admin_sees_whose_session_and_which_browser(app: Litestar, tenant: TenantKit) -> None:
    zhang = browser(app, tenant.host)
    zhang.headers["user-agent"] = WINDOWS_CHROME
    signed_in = await zhang.post_form(
        "/login", {"email": tenant.email("sales_a"), "password": PASSWORD, "next": "/"}
    )
    assert signed_in.status_code == 303
    admin = browser(app, tenant.host)
    assert (
        await admin.post_form("/login", {"email": tenant.email("admin"), "password": PASSWORD, "next": "/"})
    ).status_code == 303

    text = html.unescape((await admin.get("/security")).text)
    sessions = text.split("<h2>当前登录会话</h2>", 1)[1].split("</section>", 1)[0]
    assert "张伟" in sessions and "Chrome · Windows" in sessions
    assert str(tenant.people["sales_a"]) not in sessions
