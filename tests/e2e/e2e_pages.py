"""What the browser tests share: a dealer made on the command line, a signed-in page at a width,
screenshots, the GraphQL API as an ERP calls it, and the page checks every test makes."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct-horse-9"


def cli(*args: str) -> str:
    """``dealercrm ...`` as the test server runs (plain http, dealers on *.localhost); its output."""
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True, capture_output=True)
    return done.stdout.decode()


@dataclass(frozen=True)
class Dealer:
    slug: str
    url: str  # the dealer's base URL on the test server
    owner: str  # the owner's email (password PASSWORD)


def new_dealer(server: str, prefix: str, name: str = "西湖家电", *options: str) -> Dealer:
    """A dealer made by ``dealercrm tenant create`` (a fresh slug ``prefix-xxxx``): its owner, no data."""
    slug = f"{prefix}-{secrets.token_hex(2)}"
    owner = f"owner@{slug}.example"
    cli("tenant", "create", slug, "--name", name, "--admin-email", owner, "--admin-password", PASSWORD,
        *options)  # fmt: skip
    return Dealer(slug, server.format(host=f"{slug}.localhost"), owner)


def api_token(dealer: Dealer) -> str:
    """An API token of the dealer's owner (``dealercrm token create``)."""
    return cli("token", "create", "--tenant", dealer.slug, "--user", dealer.owner).strip().split()[-1]


def gql(server: str, dealer: Dealer, token: str, query: str, variables: dict[str, object]) -> Any:
    """A GraphQL request as an integrator sends it; its ``data`` (an error fails the test)."""
    # httpx does not resolve *.localhost as browsers do: the dealer's host goes in the Host header.
    response = httpx.post(
        f"{server.format(host='127.0.0.1')}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Host": f"{dealer.slug}.localhost"},
        timeout=120,  # the machine may be busy with other suites
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def browser_context(chromium: Any, width: int, **options: Any) -> Any:
    """A Chinese-speaking browser window ``width`` pixels wide (``options``: Playwright's)."""
    return chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", **options)


def new_page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def signed_in(chromium: Any, dealer: Dealer, width: int, email: str = "", **options: Any) -> Any:
    """A page at ``width`` signed in to the dealer as ``email`` (the owner by default), on its home."""
    page = new_page(browser_context(chromium, width, **options))
    sign_in(page, dealer.url, email or dealer.owner)
    return page


def add_customer(page: Any, dealer: Dealer, name: str, mobile: str) -> None:
    """Through the admin's own form; lands on the new customer's page."""
    page.goto(f"{dealer.url}/customers/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=mobile]", mobile)
    page.click("form button[type=submit]")
    page.wait_for_url("**/customers/*")


def add_customer_in_drawer(page: Any, dealer: Dealer, name: str, mobile: str) -> None:
    """Through the list's 新建 drawer; the list shows the new customer."""
    page.goto(f"{dealer.url}/customers")
    page.locator(".empty-state a[href='/customers/new'], .page-head a[href='/customers/new']").first.click()
    page.wait_for_selector("#drawer input[name=name]")
    page.fill("#drawer input[name=name]", name)
    page.fill("#drawer input[name=mobile]", mobile)
    page.click("#drawer button[type=submit]")
    expect(page.locator("#results")).to_contain_text(name)


def sideways_overflow(page: Any) -> int:
    """How many pixels the whole page scrolls sideways (1 is rounding)."""
    script = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    return int(page.evaluate(script))


def assert_no_sideways_scroll(page: Any) -> None:
    overflow = sideways_overflow(page)
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, tenant: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the form and land on the home page (the dealer's ``tenant`` base URL)."""
    page.goto(f"{tenant}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{tenant}/")


def verification_link(email: str) -> str:
    """The link in the newest verification mail to ``email`` (public.outbox_mail, recording adapter)."""

    async def newest() -> str:
        url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(url)
        try:
            body = await conn.fetchval(
                "SELECT body FROM public.outbox_mail WHERE to_addr = $1 AND kind = 'email_verification' "
                "ORDER BY created_at DESC LIMIT 1",
                email,
            )
        finally:
            await conn.close()
        assert body, f"no verification mail to {email}"
        match = re.search(r"https?://\S+/verify-email\S*", body)
        assert match, body
        return match.group(0)

    # Playwright's sync API runs its own loop in this thread; run ours in a fresh thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, newest()).result()
