"""What the login attack tests share: browsers from chosen addresses, enrolling an authenticator
through the pages, and TOTP codes for the current and the next time step."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pyotp
from crm_testkit import PASSWORD, Browser, TenantKit
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import User

_addresses = itertools.count(1)


def fresh_address() -> str:
    """A loopback address no other test uses, so per-address throttles never leak between tests."""
    n = next(_addresses)
    return f"127.{100 + n // 250}.{n % 250}.{7 + n % 200}"


def browser_from(app: Litestar, host: str, address: str) -> Browser:
    return Browser(
        transport=httpx.ASGITransport(app=app, client=(address, 5000)),
        base_url=f"https://{host}",
        follow_redirects=False,
    )


def code_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def code_next(secret: str) -> str:
    """The next time step's code (accepted: phones drift, so one step either side is allowed)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


async def enroll(client: Browser) -> tuple[str, list[str]]:
    """Turn 2FA on through the pages with the current code; the secret and the recovery codes."""
    started = await client.post_form("/security/2fa/setup/start", {})
    assert started.status_code == 303, started.text
    page = await client.get("/security/2fa/setup")
    assert page.status_code == 200
    secret = page.text.split('<code class="secret">')[1].split("<")[0]
    done = await client.post_form("/security/2fa/setup", {"code": code_now(secret)})
    assert done.status_code == 200, done.text
    return secret, [c.split("<")[0] for c in done.text.split("<code>")[1:]]


async def password_login(client: Browser, kit: TenantKit, key: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return await client.post_form("/login", {"email": kit.email(key), "password": password, "next": "/"})


async def user_row(app: Litestar, kit: TenantKit, key: str) -> User:
    async with app.state.db.tenant_session(kit.schema) as session:
        user = await session.scalar(select(User).where(User.id == kit.people[key]))
        assert user is not None
        return user


def alert_of(html: str) -> str:
    """The text of the page's error message."""
    return html.split('role="alert">', 1)[1].split("<", 1)[0] if 'role="alert">' in html else ""


async def in_a_fresh_throttle_window(window: int = 60, needed: float = 5.0) -> None:
    """Throttles count in fixed windows: start an attack that must land in one window early enough in it."""
    remaining = window - time.time() % window
    if remaining < needed:
        await asyncio.sleep(remaining + 0.05)
