"""An order's lines as the shop writes them: list prices, discounts, trade-ins (以旧换新), invoice
details; the total always equals the lines, and bad input is refused field by field with nothing saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from order_world import codes, fridge_order, open_shop, orders
from sqlalchemy import func, select

from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.orders.models import Order, OrderLine


async def _stored_sum(service, order_id) -> Decimal:  # type: ignore[no-untyped-def]
    total = await service.session.scalar(
        select(func.sum(OrderLine.amount)).where(OrderLine.order_id == order_id)
    )
    return Decimal(total)


async def test_an_order_totals_its_lines_with_discounts_and_a_trade_in(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 sells 赵敏 a fridge at 5 % off and two filters, taking her old fridge for ¥300."""
    shop = await open_shop(app, tenant)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(
        fridge_order(
            shop,
            lines=[
                {"product_id": shop.fridge, "quantity": 1, "discount": "5"},
                {"product_id": shop.filters, "quantity": 2},
                {"kind": "trade_in", "description": "旧海尔冰箱 BCD-215 2012年", "unit_price": "300"},
            ],
            invoice_type="normal",
            invoice_title="赵敏",
        )
    )
    # 5999 × 0.95 = 5699.05; 2 × 39 = 78; the old fridge −300.
    assert order.total == Decimal("5477.05")
    assert order.max_discount == Decimal("5.00")
    assert (order.status, order.stock, order.number.startswith("SO-")) == ("draft", "none", True)
    lines = (await sales.lines([order.id]))[order.id]
    assert [(line.kind, line.amount) for line in lines] == [
        ("product", Decimal("5699.05")),
        ("product", Decimal("78.00")),
        ("trade_in", Decimal("-300.00")),
    ]
    assert await _stored_sum(sales, order.id) == order.total
    # Editing the lines of a draft replaces them; the total follows.
    order = await sales.update(
        order.id, order.version, {"lines": [{"product_id": shop.filters, "quantity": 3}]}
    )
    assert order.total == Decimal("117.00") == await _stored_sum(sales, order.id)
    await sales.session.close()


async def test_bad_orders_are_refused_field_by_field(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await orders(app, tenant, "sales_a")
    cases = [
        ({"lines": [{"product_id": shop.shop, "quantity": 1}]}, [("lines.0.product_id", "unknown_product")]),
        ({"lines": [{"product_id": shop.fridge, "quantity": 0}]}, [("lines.0.quantity", "out_of_range")]),
        ({"lines": [{"product_id": shop.fridge, "quantity": -2}]}, [("lines.0.quantity", "out_of_range")]),
        ({"lines": [{"product_id": shop.fridge, "discount": "150"}]}, [("lines.0.discount", "out_of_range")]),
        (
            {"lines": [{"product_id": shop.fridge, "unit_price": "-1"}]},
            [("lines.0.unit_price", "out_of_range")],
        ),
        ({"lines": []}, [("lines", "no_lines")]),
        ({"lines": [{"kind": "trade_in", "unit_price": "100"}]}, [("lines.0.description", "required")]),
        (
            {
                "lines": [
                    {"product_id": shop.filters},
                    {"kind": "trade_in", "description": "旧机", "unit_price": "100"},
                ]
            },
            [("lines", "negative_total")],
        ),
        ({"warehouse_id": shop.fridge}, [("warehouse_id", "unknown_warehouse")]),
        ({"customer_id": shop.fridge}, [("customer_id", "unknown_customer")]),
        ({"invoice_type": "special", "invoice_title": "杭州某公司"}, [("invoice_tax_no", "invoice_details")]),
        (
            {"invoice_type": "normal", "invoice_tax_no": "12@"},
            [("invoice_tax_no", "invalid_tax_no"), ("invoice_title", "invoice_details")],
        ),
    ]
    for given, expected in cases:
        with pytest.raises(ValidationFailed) as caught:
            await sales.create(fridge_order(shop, **given))
        assert sorted(codes(caught.value)) == sorted(expected), given
    assert await sales.session.scalar(select(func.count()).select_from(Order)) == 0
    await sales.session.close()


async def test_a_salesperson_sees_only_his_orders_and_his_customers(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    zhang = await orders(app, tenant, "sales_a")
    order = await zhang.create(fridge_order(shop))
    wang = await orders(app, tenant, "sales_a2")
    # 王芳 neither sees 张伟's order nor may sell to his customer: both read as absent.
    with pytest.raises(NotFound):
        await wang.get(order.id)
    with pytest.raises(ValidationFailed) as caught:
        await wang.create(fridge_order(shop))
    assert codes(caught.value) == [("customer_id", "unknown_customer")]
    viewer = await orders(app, tenant, "viewer")
    assert (await viewer.get(order.id)).id == order.id
    with pytest.raises(PermissionDenied):
        await viewer.create(fridge_order(shop))
    for s in (zhang, wang, viewer):
        await s.session.close()


async def test_a_submitted_order_keeps_its_lines(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop))
    order_id = order.id
    order = await sales.transition(order_id, "submitted", order.version)
    with pytest.raises(ValidationFailed) as caught:
        await sales.update(order_id, order.version, {"lines": [{"product_id": shop.filters}]})
    assert codes(caught.value) == [("lines", "not_editable")]
    # The invoice details still change (the customer asks for a company invoice).
    order = await sales.get(order_id)  # the refusal rolled back: read it again
    order = await sales.update(order.id, order.version, {"invoice_type": "normal", "invoice_title": "赵敏"})
    assert order.total == Decimal("5999.00")
    await sales.session.close()
