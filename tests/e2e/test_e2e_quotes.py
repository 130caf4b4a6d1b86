"""A quote in a real browser, at desktop and phone width.

A new dealer's ERP (a token) adds a fridge, PP filters, the shop and a customer; the owner opens
新建报价单, picks the customer, adds two lines with the product picker (the lines editor prices them
and shows the total with VAT as they change), saves, downloads the PDF, sends the quote and converts
it to an order in one step.
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
def test_write_a_quote_print_it_and_convert_it(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-qt")
    token = api_token(dealer)
    tenant = dealer.url
    create_product = "mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename } }"
    gql(
        server,
        dealer,
        token,
        create_product,
        {
            "i": {
                "sku": "HR-BCD-470",
                "name": "海尔十字门冰箱",
                "model": "BCD-470WGHTD",
                "listPrice": "5999.00",
            }
        },
    )
    gql(server, dealer, token, create_product,
         {"i": {"sku": "QY-PP-10", "name": "PP棉滤芯", "unit": "支", "listPrice": "39.00"}})  # fmt: skip
    gql(server, dealer, token,
         "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { __typename } }",
         {"i": {"code": "XH", "name": "西湖门店", "kind": "SHOP"}})  # fmt: skip
    gql(server, dealer, token,
         "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename } }",
         {"i": {"name": "赵敏", "mobile": "13800138000"}})  # fmt: skip

    page = signed_in(chromium, dealer, width, accept_downloads=True)

    page.goto(f"{tenant}/quotes")
    page.click("a[href='/quotes/new']")
    page.select_option("#f-customer_id", label="赵敏 13800138000")
    page.click("button.add-line")
    page.wait_for_selector("#l-0-product")
    page.select_option("#l-0-product", label="海尔十字门冰箱 BCD-470WGHTD · ¥5,999.00")
    expect(page.locator("#quote-total")).to_have_text("¥5,999.00")
    settled(page)
    page.fill("#l-0-qty", "2")
    page.locator("#l-0-qty").dispatch_event("change")
    expect(page.locator("#quote-total")).to_have_text("¥11,998.00")
    settled(page)
    page.click("button.add-line")
    page.wait_for_selector("#l-1-product")
    # htmx wires the new line when its swap settles: typing before that sends no search.
    settled(page)
    # The picker: type to search, then choose.
    page.locator(".quote-line[data-line='1'] input[type=search]").fill("滤芯")
    expect(page.locator("#l-1-product")).not_to_contain_text("海尔十字门冰箱")
    expect(page.locator("#l-1-product")).to_contain_text("PP棉滤芯")
    page.select_option("#l-1-product", label="PP棉滤芯 · ¥39.00")
    expect(page.locator("#quote-total")).to_have_text("¥12,037.00")
    settled(page)
    expect(page.locator("#quote-tax")).to_have_text("¥1,384.79")
    shot(page, f"70-quote-form-{width}")
    assert_no_sideways_scroll(page)
    page.click("form.quote-form button[type=submit].primary")

    page.wait_for_url(f"{tenant}/quotes/*")
    expect(page.locator("h1")).to_contain_text("QT-")
    expect(page.locator("#quote-total")).to_have_text("¥12,037.00")
    settled(page)
    with page.expect_download() as download_info:
        page.click("a[href$='/pdf']")
    download = download_info.value
    path = download.path()
    assert path is not None and open(path, "rb").read(5) == b"%PDF-"
    page.click("form[action$='/move'] button:has-text('已发送')")
    expect(page.locator("h1 .badge")).to_have_text("已发送")
    shot(page, f"71-quote-sent-{width}")
    assert_no_sideways_scroll(page)
    page.select_option("#f-warehouse_id", label="西湖门店")
    page.click("form.quote-convert button[type=submit]")
    page.wait_for_url(f"{tenant}/orders/*")
    expect(page.locator("body")).to_contain_text("海尔十字门冰箱")
    expect(page.locator("body")).to_contain_text("¥12,037.00")
    shot(page, f"72-quote-order-{width}")
    page.context.close()
