"""Receiving by scanning in a real browser, at desktop and phone width.

A new dealer's ERP (a token) adds a serial-tracked fridge and the shop; the owner, on a phone or at
the desk, opens 入库, picks the shop and the fridge, and scans three units (each number ends with
Enter, as a scanner sends it); the stock page then shows three on hand, and the serial lookup shows
where a unit is and what happened to it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import httpx
import pytest
from e2e_pages import shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"


def _cli(*args: str) -> str:
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True, capture_output=True)
    return done.stdout.decode()


def _gql(server: str, slug: str, token: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    # httpx does not resolve *.localhost as browsers do: the dealer's host goes in the Host header.
    response = httpx.post(
        f"{server.format(host='127.0.0.1')}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Host": f"{slug}.localhost"},
        timeout=120,  # the machine may be busy with other suites
    )
    return response.json()["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_receive_by_scanning_then_see_the_stock(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug = f"e2e-inv-{secrets.token_hex(2)}"
    owner = f"owner@{slug}.example"
    _cli("tenant", "create", slug, "--name", "西湖家电", "--admin-email", owner, "--admin-password", PASSWORD)
    token = _cli("token", "create", "--tenant", slug, "--user", owner).strip().split()[-1]
    tenant = server.format(host=f"{slug}.localhost")
    _gql(
        server,
        slug,
        token,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename } }",
        {
            "i": {
                "sku": "HR-BCD-470",
                "name": "海尔十字门冰箱",
                "model": "BCD-470WGHTD",
                "serialTracked": True,
            }
        },
    )
    _gql(
        server,
        slug,
        token,
        "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { __typename } }",
        {"i": {"code": "XH", "name": "西湖门店", "kind": "SHOP"}},
    )
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, owner)

    page.goto(f"{tenant}/inventory/receive")
    page.select_option("select[name=warehouse_id]", label="西湖门店")
    page.select_option("select[name=product_id]", label="海尔十字门冰箱 · HR-BCD-470 · 序列号")
    box = page.locator("textarea[name=serial_numbers]")
    for number in ("HR-0001", "HR-0002", "HR-0003"):
        box.type(number)
        box.press("Enter")  # what a scanner sends after each number
    shot(page, f"inventory-receive-{width}")
    page.click("form.receive-form button[type=submit]")
    expect(page.locator(".alert.ok")).to_contain_text("已入库 3 件")

    page.goto(f"{tenant}/inventory")
    row = page.locator("table.kit-list tbody tr").filter(has_text="海尔十字门冰箱")
    expect(row).to_contain_text("西湖门店")
    expect(row).to_contain_text("3")
    shot(page, f"inventory-levels-{width}")

    page.goto(f"{tenant}/inventory/serials?q=HR-0002")
    expect(page.locator("section.card")).to_contain_text("西湖门店")
    expect(page.locator("section.card")).to_contain_text("入库")
    shot(page, f"inventory-serial-{width}")
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
