"""The order form as 张伟 uses it: a new order for 赵敏 from her page or the order list, lines priced
from her price list as he adds them (a trade-in of her old fridge taken off), her address and
invoice details filled in; every mistake named at its cell with nothing typed lost; a draft edited
against the version he opened, a stale form refused without losing his changes."""

from __future__ import annotations

import re
import uuid

from crm_testkit import TenantKit, actor, form_errors, logged_in
from litestar import Litestar
from order_world import Shop, open_shop, orders
from quotes.quote_world import retail_list

from app.addresses.service import AddressService
from app.customers.service import CustomerService
from app.orders.models import Order
from app.orders.service import OrderService

WEST_LAKE = {"province": "浙江省", "city": "杭州市", "district": "西湖区"}


async def with_address(app: Litestar, kit: TenantKit, shop: Shop) -> uuid.UUID:
    """赵敏's delivery address (her default)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await AddressService(session, await actor(app, kit, "sales_a")).create(
            {
                "customer_id": shop.customer,
                "kind": "delivery",
                "recipient": "赵敏",
                "phone": "13800138000",
                "detail": "文三路 100 号 3 幢 501",
                "is_default": True,
                **WEST_LAKE,
            }
        )
        return found.id


def order_id_of(location: str) -> uuid.UUID:
    return uuid.UUID(location.rsplit("/", 1)[-1])


def cell_error(html: str, line: int, field: str) -> str | None:
    match = re.search(rf'id="le-{line}-{field}">([^<]+)<', html)
    return match.group(1) if match else None


async def test_an_order_is_written_in_the_form_with_a_trade_in(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001"])
    await retail_list(app, tenant, shop)  # the fridge at ¥5,799 this month
    address = await with_address(app, tenant, shop)
    zhang = await logged_in(app, tenant, "sales_a")

    # From her page and from the list.
    assert (
        f'href="/orders/new?customer_id={shop.customer}"'
        in (await zhang.get(f"/customers/{shop.customer}")).text
    )
    assert 'href="/orders/new"' in (await zhang.get("/orders")).text
    form = await zhang.get("/orders/new", params={"customer_id": str(shop.customer)})
    assert form.status_code == 200 and "新建订单" in form.text
    assert "赵敏 13800138000" in form.text and "西湖门店" in form.text
    assert f'<option value="{address}">浙江省杭州市西湖区文三路 100 号 3 幢 501' in form.text  # to fill from
    # Her default address fills the delivery address, which stays editable.
    assert 'value="浙江省" selected' in form.text and 'value="西湖区" selected' in form.text
    assert 'name="delivery_detail" maxlength="200" value="文三路 100 号 3 幢 501"' in form.text
    assert 'name="lines-0-product_id"' in form.text  # one blank line to start with

    # The editor prices from her list; a trade-in is added and taken off the total.
    two_lines = {
        "customer_id": str(shop.customer),
        "lines-0-product_id": str(shop.fridge),
        "lines-0-quantity": "2",
        "lines-1-product_id": str(shop.filters),
        "lines-1-quantity": "1",
        "lines-1-discount": "10",
    }
    added = await zhang.htmx("POST", "/orders/lines?add=trade_in", two_lines)
    assert added.status_code == 200
    assert 'name="lines-2-description"' in added.text and 'name="lines-2-kind" value="trade_in"' in added.text
    assert 'id="order-total">—' in added.text  # the new row is still blank
    with_trade_in = {
        **two_lines,
        "lines-2-kind": "trade_in",
        "lines-2-description": "旧海尔冰箱 BCD-215 2012年",
        "lines-2-quantity": "1",
        "lines-2-unit_price": "300",
    }
    priced = await zhang.htmx("POST", "/orders/lines", with_trade_in)
    assert "¥11,598.00" in priced.text and "¥35.10" in priced.text and "-¥300.00" in priced.text
    assert 'id="order-total">¥11,333.10' in priced.text and 'id="order-tax">¥1,303.81' in priced.text
    removed = await zhang.htmx("POST", "/orders/lines?remove=1", with_trade_in)
    assert 'name="lines-2-description"' not in removed.text and 'id="order-total">¥11,298.00' in removed.text

    saved = await zhang.post_form(
        "/orders",
        {
            **with_trade_in,
            "warehouse_id": str(shop.shop),
            "invoice_type": "normal",
            "invoice_title": "赵敏",
            **{f"delivery_{k}": v for k, v in WEST_LAKE.items()},
            "delivery_detail": "文三路 100 号 3 幢 502",  # edited on the form
            "delivery_recipient": "赵敏",
            "delivery_phone": "13800138000",
            "note": "周六上午送货",
        },
    )
    assert saved.status_code == 303, form_errors(saved.text)
    order_id = order_id_of(saved.headers["location"])
    page = await zhang.get(f"/orders/{order_id}")
    assert page.status_code == 200 and "¥11,333.10" in page.text and "旧海尔冰箱 BCD-215 2012年" in page.text
    assert "<dt>送货地址</dt><dd>浙江省杭州市西湖区文三路 100 号 3 幢 502 赵敏 13800138000</dd>" in page.text
    assert "周六上午送货" in page.text and f'href="/orders/{order_id}/edit"' in page.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        order = await session.get(Order, order_id)
        assert order is not None and order.status == "draft" and order.owner_id == tenant.people["sales_a"]
        assert (order.total, order.invoice_type, order.invoice_title) == (order.total, "normal", "赵敏")
        assert str(order.total) == "11333.10" and str(order.max_discount) == "10.00"
        assert (order.delivery_district, order.delivery_detail) == ("西湖区", "文三路 100 号 3 幢 502")
        assert order.note == "周六上午送货"  # the address is not written into the note

    # Her next order starts from the invoice details she used.
    again = await zhang.get("/orders/new", params={"customer_id": str(shop.customer)})
    assert 'value="赵敏"' in again.text and 'value="normal" selected' in again.text


async def test_each_mistake_is_named_at_its_cell_and_nothing_typed_is_lost(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    zhang = await logged_in(app, tenant, "sales_a")
    base = {"customer_id": str(shop.customer), "warehouse_id": str(shop.shop), "note": "先别发货"}

    refused = await zhang.post_form(
        "/orders",
        {
            **base,
            "lines-0-quantity": "1",  # no product chosen
            "lines-1-product_id": str(shop.fridge),
            "lines-1-quantity": "0",
            "lines-2-product_id": str(shop.filters),
            "lines-2-quantity": "-3",
            "lines-3-product_id": str(shop.filters),
            "lines-3-quantity": "1",
            "lines-3-discount": "150",
        },
    )
    assert refused.status_code == 422
    assert cell_error(refused.text, 0, "product_id") == "此项为必填项。"
    assert cell_error(refused.text, 1, "quantity") and cell_error(refused.text, 2, "quantity")
    assert cell_error(refused.text, 3, "discount")
    assert cell_error(refused.text, 1, "product_id") is None  # the good cells say nothing
    # Everything typed is still there.
    assert 'id="l-1-qty" name="lines-1-quantity" inputmode="numeric" value="0"' in refused.text
    assert 'value="-3"' in refused.text and 'value="150"' in refused.text and "先别发货" in refused.text
    assert 'id="order-total">—' in refused.text

    unknown = await zhang.post_form(
        "/orders", {**base, "lines-0-product_id": str(uuid.uuid4()), "lines-0-quantity": "1"}
    )
    assert (
        unknown.status_code == 422 and cell_error(unknown.text, 0, "product_id") == "请从商品目录中选择商品。"
    )

    no_warehouse = await zhang.post_form(
        "/orders", {"customer_id": str(shop.customer), "lines-0-product_id": str(shop.fridge)}
    )
    assert no_warehouse.status_code == 422 and 'id="e-warehouse_id"' in no_warehouse.text
    special = await zhang.post_form(
        "/orders",
        {**base, "lines-0-product_id": str(shop.fridge), "invoice_type": "special", "invoice_title": "赵敏"},
    )
    assert special.status_code == 422 and 'id="e-invoice_tax_no"' in special.text
    nothing = await zhang.post_form("/orders", base)
    assert nothing.status_code == 422 and "订单至少需要一行商品" in nothing.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(Order.__table__.select().with_only_columns(Order.id).limit(1)) is None


async def test_a_draft_is_edited_and_a_stale_form_keeps_what_was_typed(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(
        {
            "customer_id": shop.customer,
            "warehouse_id": shop.shop,
            "lines": [
                {"product_id": shop.fridge, "quantity": 1},
                {"kind": "trade_in", "description": "旧冰箱", "unit_price": "200"},
            ],
        }
    )
    order_id, version = order.id, order.version
    await sales.session.close()
    zhang = await logged_in(app, tenant, "sales_a")

    form = await zhang.get(f"/orders/{order_id}/edit")
    assert form.status_code == 200 and "编辑订单" in form.text
    assert 'value="旧冰箱"' in form.text and 'id="order-total">¥5,799.00' in form.text  # 5999 − 200
    edited = {
        "version": str(version),
        "customer_id": str(shop.customer),
        "warehouse_id": str(shop.shop),
        "invoice_type": "none",
        "lines-0-product_id": str(shop.fridge),
        "lines-0-quantity": "1",
        "lines-0-discount": "5",
        "lines-1-product_id": str(shop.filters),
        "lines-1-quantity": "2",
        "note": "加两支滤芯",
    }
    # Someone else saves first: his form is refused, his changes still on it.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await OrderService(session, await actor(app, tenant, "manager_a")).update(
            order_id, version, {"note": "经理改过"}
        )
    stale = await zhang.post_form(f"/orders/{order_id}", edited)
    assert stale.status_code == 409 and "其他人已保存" in stale.text
    assert (
        "加两支滤芯" in stale.text and 'value="5"' in stale.text and 'name="lines-1-product_id"' in stale.text
    )
    saved = await zhang.post_form(f"/orders/{order_id}", {**edited, "version": str(version + 1)})
    assert saved.status_code == 303, form_errors(saved.text)
    page = await zhang.get(f"/orders/{order_id}")
    assert "¥5,777.05" in page.text and "加两支滤芯" in page.text  # 5999 × 0.95 + 2 × 39
    assert "旧冰箱" not in page.text

    # Submitted: the lines no longer change, and the form says so.
    sales = await orders(app, tenant, "sales_a")
    await sales.transition(order_id, "submitted", version + 2)
    await sales.session.close()
    form = await zhang.get(f"/orders/{order_id}/edit")
    assert "只有草稿订单" in form.text or "草稿" in form.text
    refused = await zhang.post_form(f"/orders/{order_id}", {**edited, "version": str(version + 3)})
    assert refused.status_code == 422

    # 王芳 (same team, her own customers only) finds neither the order nor 赵敏's details.
    wang = await logged_in(app, tenant, "sales_a2")
    assert (await wang.get(f"/orders/{order_id}/edit")).status_code == 404
    assert (await wang.post_form(f"/orders/{order_id}", {**edited, "version": "9"})).status_code == 404
    part = await wang.htmx("POST", "/orders/customer", {"customer_id": str(shop.customer)})
    assert part.status_code == 200 and "文三路" not in part.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (await session.get(Order, order_id)).version == version + 3  # type: ignore[union-attr]


async def test_a_company_customer_is_invoiced_under_its_name(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        company = await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "杭州西溪酒店有限公司", "kind": "company", "mobile": "13912345678"}
        )
    zhang = await logged_in(app, tenant, "sales_a")
    part = await zhang.htmx(
        "POST",
        "/orders/customer",
        {"customer_id": str(company.id), "customer_changed": "1", "invoice_type": "none"},
    )
    assert part.status_code == 200 and 'value="杭州西溪酒店有限公司"' in part.text
    assert "该客户尚无地址" in part.text
    # What he typed himself stays.
    typed = await zhang.htmx(
        "POST", "/orders/customer", {"customer_id": str(company.id), "invoice_title": "西溪酒店"}
    )
    assert 'value="西溪酒店"' in typed.text and "杭州西溪酒店有限公司" not in typed.text
    # A product search in a line's box.
    options = await zhang.get("/orders/pick/products", params={"pq-0": "滤芯"})
    assert "PP棉滤芯" in options.text and "海尔十字门冰箱" not in options.text
    customers = await zhang.get("/orders/pick/customers", params={"customer_q": "西溪"})
    assert "杭州西溪酒店有限公司" in customers.text and "赵敏" not in customers.text
    assert shop.customer  # 赵敏 exists, and is not what 西溪 finds
