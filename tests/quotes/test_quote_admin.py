"""The quote pages as 张伟 uses them: a quote written in the form (the lines editor prices lines and
totals as he adds them, refusals per cell), moved to sent, printed as a PDF on the dealer's
letterhead, converted to an order; his manager keeps the price lists and the letterhead."""

from __future__ import annotations

import io
import re
import uuid

from crm_testkit import TenantKit, actor, form_errors, logged_in
from litestar import Litestar
from pypdf import PdfReader
from quote_world import open_shop, retail_list

from app.quotes.letterhead import set_letterhead
from app.quotes.models import Quote
from app.quotes.service import QuoteService


def quote_id_of(location: str) -> uuid.UUID:
    return uuid.UUID(location.rsplit("/", 1)[-1])


async def test_a_quote_is_written_printed_and_converted_from_the_admin(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001"])
    await retail_list(app, tenant, shop)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await set_letterhead(
            session, await actor(app, tenant, "owner"), "杭州市西湖区文三路 100 号", "0571-88886666"
        )
    zhang = await logged_in(app, tenant, "sales_a")

    form = await zhang.get("/quotes/new")
    assert form.status_code == 200 and "赵敏" in form.text and tenant.slug in form.text
    # The editor: a line added, then priced from the price list with the totals.
    added = await zhang.htmx("POST", "/quotes/lines?add=1", {"customer_id": str(shop.customer)})
    assert added.status_code == 200 and 'name="lines-0-product_id"' in added.text
    priced = await zhang.htmx(
        "POST",
        "/quotes/lines",
        {
            "customer_id": str(shop.customer),
            "lines-0-product_id": str(shop.fridge),
            "lines-0-quantity": "2",
            "lines-1-product_id": str(shop.filters),
            "lines-1-quantity": "1",
            "lines-1-discount": "10",
        },
    )
    assert "¥11,598.00" in priced.text and "¥35.10" in priced.text  # 2 × 5799; 39 less 10 %
    assert 'id="quote-total">¥11,633.10' in priced.text
    removed = await zhang.htmx(
        "POST",
        "/quotes/lines?remove=1",
        {
            "customer_id": str(shop.customer),
            "lines-0-product_id": str(shop.fridge),
            "lines-0-quantity": "2",
            "lines-1-product_id": str(shop.filters),
            "lines-1-quantity": "1",
        },
    )
    assert 'name="lines-1-product_id"' not in removed.text and 'id="quote-total">¥11,598.00' in removed.text
    # Bad cells are named where they are.
    bad = await zhang.htmx(
        "POST",
        "/quotes/lines",
        {"customer_id": str(shop.customer), "lines-0-product_id": str(shop.fridge), "lines-0-quantity": "0"},
    )
    assert form_errors(bad.text) and 'id="quote-total">—' in bad.text

    refused = await zhang.post_form(
        "/quotes",
        {
            "customer_id": str(shop.customer),
            "lines-0-product_id": str(shop.fridge),
            "lines-0-discount": "150",
        },
    )
    assert refused.status_code == 422 and form_errors(refused.text)
    saved = await zhang.post_form(
        "/quotes",
        {
            "customer_id": str(shop.customer),
            "lines-0-product_id": str(shop.fridge),
            "lines-0-quantity": "1",
            "lines-1-product_id": str(shop.filters),
            "lines-1-quantity": "4",
            "note": "含送货上门及安装",
        },
    )
    assert saved.status_code == 303
    quote_id = quote_id_of(saved.headers["location"])
    page = await zhang.get(f"/quotes/{quote_id}")
    assert page.status_code == 200 and "¥5,955.00" in page.text and "十一月零售价" in page.text

    async with app.state.db.tenant_session(tenant.schema) as session:
        quote = await session.get(Quote, quote_id)
        assert quote is not None
        number, version = quote.number, quote.version

    pdf = await zhang.get(f"/quotes/{quote_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (tenant.slug, "杭州市西湖区文三路 100 号", "0571-88886666", number, "赵敏", "报价单"):
        assert expected in text, expected
    assert "海尔十字门冰箱 BCD-470WGHTD" in text and "PP棉滤芯" in text
    assert "¥5,955.00" in text and "伍仟玖佰伍拾伍元整" in text

    moved = await zhang.post_form(f"/quotes/{quote_id}/move", {"to": "sent", "version": str(version)})
    assert moved.status_code == 303
    # The page offers the conversion with the warehouses; a stale version is refused.
    page = await zhang.get(f"/quotes/{quote_id}")
    assert "西湖门店" in page.text
    stale = await zhang.post_form(
        f"/quotes/{quote_id}/convert", {"version": str(version), "warehouse_id": str(shop.shop)}
    )
    assert stale.status_code == 409
    converted = await zhang.post_form(
        f"/quotes/{quote_id}/convert", {"version": str(version + 1), "warehouse_id": str(shop.shop)}
    )
    assert converted.status_code == 303 and converted.headers["location"].startswith("/orders/")
    order_page = await zhang.get(converted.headers["location"])
    assert "海尔十字门冰箱" in order_page.text and "¥5,955.00" in order_page.text

    # 李娜 (another team) finds none of it.
    li_na = await logged_in(app, tenant, "sales_b")
    assert (await li_na.get(f"/quotes/{quote_id}")).status_code == 404
    assert (await li_na.get(f"/quotes/{quote_id}/pdf")).status_code == 404
    assert number not in (await li_na.get("/quotes")).text
    assert (await zhang.get("/quotes", params={"q": number})).text.count(number) >= 1


async def test_the_manager_keeps_price_lists_in_the_admin(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    liu = await logged_in(app, tenant, "manager_a")
    assert (await liu.get("/price-lists/new")).status_code == 200
    refused = await liu.post_form(
        "/price-lists",
        {"name": "批发价", "kind": "wholesale", "valid_from": "2026-12-01", "valid_to": "2026-11-01",
         "items-0-product_id": str(shop.fridge), "items-0-price": "abc"},
    )  # fmt: skip
    assert refused.status_code == 422 and form_errors(refused.text) == [
        "请输入以元为单位的金额，例如 3999.00。"
    ]
    saved = await liu.post_form(
        "/price-lists",
        {"name": "批发价", "kind": "wholesale", "tier": "gold", "valid_from": "2026-12-01",
         "items-0-product_id": str(shop.fridge), "items-0-price": "5200", "items-1-price": ""},
    )  # fmt: skip
    assert saved.status_code == 303
    page = await liu.get(saved.headers["location"])
    assert page.status_code == 200 and 'value="5200.00"' in page.text
    listed = await liu.get("/price-lists")
    assert "批发价" in listed.text
    # A salesperson sees the lists but has no save button.
    zhang = await logged_in(app, tenant, "sales_a")
    seen = await zhang.get(saved.headers["location"])
    assert seen.status_code == 200 and not re.search(r'<button type="submit" class="primary">', seen.text)
    denied = await zhang.post_form(saved.headers["location"], {"name": "改价", "version": "1"})
    assert denied.status_code == 403


async def test_quote_service_is_what_the_pages_call(app: Litestar, tenant: TenantKit) -> None:
    # Guards the controller's thinness: the page's list is the service's page.
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = QuoteService(session, await actor(app, tenant, "viewer"))
        assert (await service.page()).items == []


async def test_the_owner_sets_the_letterhead_and_a_salesperson_cannot(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    assert (await owner.get("/quotes/letterhead")).status_code == 200
    token = await owner.ensure_csrf()
    not_an_image = await owner.post(
        "/quotes/letterhead",
        data={"address": "杭州市西湖区", "phone": "0571-1"},
        files={"logo": ("logo.png", b"GIF89a not a png", "image/png")},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert not_an_image.status_code == 422 and form_errors(not_an_image.text) == [
        "标志必须是 PNG 或 JPEG 图片。"
    ]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    saved = await owner.post(
        "/quotes/letterhead",
        data={"address": "杭州市西湖区", "phone": "0571-1"},
        files={"logo": ("logo.png", png, "image/png")},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert saved.status_code == 200 and "删除当前标志" in saved.text
    zhang = await logged_in(app, tenant, "sales_a")
    assert (await zhang.get("/quotes/letterhead")).status_code == 403


async def test_the_manager_adds_and_edits_a_product_in_the_admin(app: Litestar, tenant: TenantKit) -> None:
    liu = await logged_in(app, tenant, "manager_a")
    form = await liu.get("/catalog/products/new")
    assert (
        form.status_code == 200
        and 'name="energy_grade"' in form.text
        and 'name="serial_tracked"' in form.text
    )
    refused = await liu.post_form(
        "/catalog/products/new", {"sku": "", "name": "美的空调", "list_price": "abc"}
    )
    assert refused.status_code == 422 and len(form_errors(refused.text)) == 2
    saved = await liu.post_form(
        "/catalog/products/new",
        {"sku": "MD-KFR-35", "name": "美的空调", "model": "KFR-35GW", "kind": "appliance", "unit": "台",
         "list_price": "3299", "warranty_months": "72", "serial_tracked": "on", "energy_grade": "1"},
    )  # fmt: skip
    assert saved.status_code == 303
    location = saved.headers["location"]
    product_id = uuid.UUID(location.rsplit("/", 1)[-1])
    edit = await liu.get(f"/catalog/products/{product_id}/edit")
    assert edit.status_code == 200 and 'value="3299.00"' in edit.text
    stale = await liu.post_form(f"/catalog/products/{product_id}/edit", {"version": "0", "name": "旧"})
    assert stale.status_code == 409
    changed = await liu.post_form(
        f"/catalog/products/{product_id}/edit",
        {"version": "1", "sku": "MD-KFR-35", "name": "美的空调 新风", "kind": "appliance", "unit": "台",
         "serial_tracked": "on", "list_price": "3399"},
    )  # fmt: skip
    assert changed.status_code == 303
    assert "美的空调 新风" in (await liu.get(location)).text
    # A salesperson sees products but does not add them.
    zhang = await logged_in(app, tenant, "sales_a")
    assert (await zhang.get("/catalog/products/new")).status_code == 403
