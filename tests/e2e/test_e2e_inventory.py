"""Receiving by scanning in a real browser, at desktop and phone width.

A new dealer's ERP (a token) adds a serial-tracked fridge and the shop; the owner, on a phone or at
the desk, opens 入库, picks the shop and the fridge, and scans three units (each number ends with
Enter, as a scanner sends it); the stock page then shows three on hand, and the serial lookup shows
where a unit is and what happened to it.
"""

from __future__ import annotations

import pytest
from e2e_pages import api_token, assert_no_sideways_scroll, gql, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_receive_by_scanning_then_see_the_stock(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-inv")
    token = api_token(dealer)
    tenant = dealer.url
    gql(
        server,
        dealer,
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
    gql(
        server,
        dealer,
        token,
        "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { __typename } }",
        {"i": {"code": "XH", "name": "西湖门店", "kind": "SHOP"}},
    )
    page = signed_in(chromium, dealer, width)

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
    assert_no_sideways_scroll(page)
    page.context.close()
