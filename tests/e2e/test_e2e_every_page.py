"""Every page in the sidebar, opened by the owner of a new dealer at phone and desktop width.

The sidebar is the map: whatever a module adds there is visited here without this file changing.
Each page answers 200, is titled with the dealer's name (staff keep several dealers' tabs open),
and never makes the whole page scroll sideways at 375 px. Screenshots of each land in
tests/e2e/screenshots/ (``20-page-<path>-<width>.png``) for a human to look over.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from typing import Any

import pytest
from e2e_pages import shot, sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"
DEALER = "湖滨家电"


def _new_dealer(server: str) -> tuple[str, str]:
    slug = f"e2e-pages-{secrets.token_hex(2)}"
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "tenant", "create", slug, "--name", DEALER,
         "--admin-email", f"owner@{slug}.example", "--admin-password", PASSWORD],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return slug, server.format(host=f"{slug}.localhost")


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_every_sidebar_page_opens_titled_and_without_sideways_scrolling(
    server: str,
    chromium: Any,
    width: int,
) -> None:
    slug, tenant = _new_dealer(server)
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, f"owner@{slug}.example")

    paths = page.eval_on_selector_all(
        ".sidebar nav a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
    )
    assert "/customers" in paths and len(paths) >= 5, paths
    problems: list[str] = []
    for path in dict.fromkeys(paths):
        response = page.goto(f"{tenant}{path}")
        page.wait_for_load_state("networkidle")
        if response is None or response.status != 200:
            problems.append(f"{path}: status {response.status if response else 'none'}")
            continue
        if DEALER not in page.title():
            problems.append(f"{path}: title {page.title()!r} lacks the dealer's name")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            problems.append(f"{path}: the page scrolls sideways by {overflow}px at {width}px")
        shot(page, f"20-page-{re.sub(r'[^a-z0-9]+', '-', path.strip('/')) or 'home'}-{width}")
    context.close()
    assert not problems, "\n".join(problems)
