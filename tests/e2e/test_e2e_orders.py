"""An order written in the admin's form, in a real browser at desktop and phone width.

A new dealer's ERP (a token) adds a fridge, PP filters, the shop and a customer; the owner opens
赵敏's page, presses 新建订单, adds two lines with the product picker (the editor prices them and
shows the total with its VAT as they change), a trade-in of her old fridge, sets the invoice title
and saves; the order page shows the lines, the trade-in taken off and the total.
"""

from __future__ import annotations

import pytest
from e2e_pages import api_token, assert_no_sideways_scroll, gql, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """htmx has swapped and wired the editor's new content: typing or choosing before that is lost."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_create_an_order_with_two_lines_and_a_trade_in(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-so")
    token = api_token(dealer)
    tenant = dealer.url
    create_product = "mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename } }"
    fridge = {"sku": "HR-BCD-470", "name": "海尔十字门冰箱", "model": "BCD-470WGHTD", "listPrice": "5999.00"}
    gql(server, dealer, token, create_product, {"i": fridge})
    gql(server, dealer, token, create_product,
         {"i": {"sku": "QY-PP-10", "name": "PP棉滤芯", "unit": "支", "listPrice": "39.00"}})  # fmt: skip
    gql(server, dealer, token,
         "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { __typename } }",
         {"i": {"code": "XH", "name": "西湖门店", "kind": "SHOP"}})  # fmt: skip
    created = gql(server, dealer, token,
         "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
         "{ __typename ... on CustomerPayload { customer { id } } } }",
         {"i": {"name": "赵敏", "mobile": "13800138000"}})  # fmt: skip
    customer_id = created["createCustomer"]["customer"]["id"]

    page = signed_in(chromium, dealer, width)

    page.goto(f"{tenant}/orders")
    expect(page.locator(".page-head a[href='/orders/new']")).to_be_visible()
    page.goto(f"{tenant}/customers/{customer_id}")
    page.click(f"a[href='/orders/new?customer_id={customer_id}']")
    page.wait_for_url(f"{tenant}/orders/new*")
    expect(page.locator("#f-customer_id")).to_have_value(customer_id)
    # The first line is there: choose the fridge, two of them.
    page.select_option("#l-0-product", label="海尔十字门冰箱 BCD-470WGHTD · ¥5,999.00")
    expect(page.locator("#order-total")).to_have_text("¥5,999.00")
    settled(page)
    page.fill("#l-0-qty", "2")
    page.locator("#l-0-qty").dispatch_event("change")
    expect(page.locator("#order-total")).to_have_text("¥11,998.00")
    settled(page)
    # A second line through the picker's search.
    page.click("button.add-line")
    page.wait_for_selector("#l-1-product")
    # htmx wires the new line when its swap settles: typing before that sends no search.
    settled(page)
    page.locator(".order-line[data-line='1'] input[type=search]").fill("滤芯")
    expect(page.locator("#l-1-product")).not_to_contain_text("海尔十字门冰箱")
    page.select_option("#l-1-product", label="PP棉滤芯 · ¥39.00")
    expect(page.locator("#order-total")).to_have_text("¥12,037.00")
    settled(page)
    # Her old fridge taken in part-payment.
    page.click("button.add-trade-in")
    page.wait_for_selector("#l-2-description")
    with page.expect_response("**/orders/lines"):
        page.fill("#l-2-description", "旧海尔冰箱 BCD-215 2012年")
        page.locator("#l-2-description").dispatch_event("change")
    expect(page.locator("#l-2-description")).to_have_value("旧海尔冰箱 BCD-215 2012年")  # kept by the editor
    settled(page)
    page.fill("#l-2-price", "300")
    page.locator("#l-2-price").dispatch_event("change")
    expect(page.locator("#order-total")).to_have_text("¥11,737.00")
    settled(page)
    expect(page.locator("#order-tax")).to_have_text("¥1,350.27")
    page.select_option("#f-warehouse_id", label="西湖门店")
    page.select_option("#f-invoice_type", "normal")
    page.fill("#f-invoice_title", "赵敏")
    page.fill("#f-note", "周六上午送货")
    shot(page, f"73-order-form-{width}")
    assert_no_sideways_scroll(page)
    page.click("form.order-form button[type=submit].primary")

    page.wait_for_url(f"{tenant}/orders/*")
    expect(page.locator("h1")).to_contain_text("SO-")
    body = page.locator("body")
    expect(body).to_contain_text("海尔十字门冰箱")
    expect(body).to_contain_text("PP棉滤芯")
    expect(body).to_contain_text("旧海尔冰箱 BCD-215 2012年")
    expect(body).to_contain_text("¥11,737.00")
    expect(page.locator("a[href$='/edit']")).to_be_visible()
    shot(page, f"74-order-created-{width}")
    assert_no_sideways_scroll(page)
    page.context.close()
