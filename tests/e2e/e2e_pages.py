"""Screenshot helper for the browser tests."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import asyncpg

SCREENSHOTS = Path(__file__).parent / "screenshots"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, tenant: str, email: str, password: str = "correct-horse-9") -> None:
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
