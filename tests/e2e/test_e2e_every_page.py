"""Every page in the sidebar, opened by the owner of a new dealer at phone and desktop width.

The sidebar is the map: whatever a module adds there is visited here without this file changing.
Each page answers 200, is titled with the dealer's name (staff keep several dealers' tabs open),
and never makes the whole page scroll sideways at 375 px. Screenshots of each land in
tests/e2e/screenshots/ (``20-page-<path>-<width>.png``) for a human to look over.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_pages import new_dealer, shot, sideways_overflow, signed_in

pytestmark = pytest.mark.e2e
DEALER = "湖滨家电"


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_every_sidebar_page_opens_titled_and_without_sideways_scrolling(
    server: str,
    chromium: Any,
    width: int,
) -> None:
    dealer = new_dealer(server, "e2e-pages", DEALER)
    tenant = dealer.url
    page = signed_in(chromium, dealer, width)

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
        overflow = sideways_overflow(page)
        if overflow > 1:
            problems.append(f"{path}: the page scrolls sideways by {overflow}px at {width}px")
        shot(page, f"20-page-{re.sub(r'[^a-z0-9]+', '-', path.strip('/')) or 'home'}-{width}")
    page.context.close()
    assert not problems, "\n".join(problems)
