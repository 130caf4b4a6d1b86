"""Quotes as 张伟 writes them for 赵敏: prices from the dealer's price list (else the list price),
the VAT inside the total, bad lines refused field by field, the workflow, and one step to an order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from orders.order_world import codes
from quote_world import fridge_quote, open_shop, quotes, retail_list

from app.domain import NotFound, ValidationFailed, VersionConflict
from app.orders.service import OrderService
from app.pricing.service import PriceListService, today


async def test_a_quote_prices_lines_from_the_customers_list_and_shows_the_vat_inside(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    price_list = await retail_list(app, tenant, shop)
    sales = await quotes(app, tenant, "sales_a")
    quote = await sales.create(fridge_quote(shop))
    lines = (await sales.lines([quote.id]))[quote.id]
    await sales.session.close()

    assert quote.status == "draft" and quote.number.startswith("QT-")
    assert quote.price_list_id == price_list
    # The fridge at the list's ¥5,799; the filters are not on the list: their list price ¥39.
    assert [(line.unit_price, line.amount) for line in lines] == [
        (Decimal("5799.00"), Decimal("5799.00")),
        (Decimal("39.00"), Decimal("156.00")),
    ]
    assert quote.total == Decimal("5955.00")
    # Prices include 13 % VAT: 5955 − 5955 / 1.13.
    assert quote.tax_rate == Decimal("13.00") and quote.tax == Decimal("685.09")
    assert quote.valid_until == today() + timedelta(days=30)


async def test_a_customer_of_a_tier_gets_the_tiers_list_and_orders_follow_it_too(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    await retail_list(app, tenant, shop)
    await retail_list(app, tenant, shop, name="VIP价", kind="member", tier="vip",
                      items=[{"product_id": shop.fridge, "price": "5499"}])  # fmt: skip
    async with app.state.db.tenant_session(tenant.schema) as session:
        from app.customers.service import CustomerService

        sales = await actor(app, tenant, "sales_a")
        vip = await CustomerService(session, sales).create(
            {"name": "钱多多", "mobile": "13900139123", "tier": "vip"}
        )
        quote = await (q := (await quotes(app, tenant, "sales_a"))).create(
            fridge_quote(shop, customer_id=vip.id)
        )
        await q.session.close()
        assert quote.total == Decimal("5655.00")  # 5499 + 4 × 39
        order = await OrderService(session, sales).create(
            {
                "customer_id": vip.id,
                "warehouse_id": shop.shop,
                "lines": [{"product_id": shop.fridge, "quantity": 1}],
            }
        )
        assert order.total == Decimal("5499.00")


async def test_price_lists_refuse_overlaps_backwards_periods_and_unknown_products(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    await retail_list(app, tenant, shop)
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = PriceListService(session, await actor(app, tenant, "manager_a"))
        with pytest.raises(ValidationFailed) as overlap:
            await service.create(
                {"name": "双十二", "kind": "retail", "valid_from": today() + timedelta(days=10)}
            )
        assert codes(overlap.value) == [("valid_from", "overlapping")]
        with pytest.raises(ValidationFailed) as bad:
            await service.create(
                {
                    "name": "批发价",
                    "kind": "wholesale",
                    "tier": "gold",
                    "valid_from": today(),
                    "valid_to": today() - timedelta(days=1),
                    "items": [
                        {"product_id": shop.fridge, "price": "-1"},
                        {"product_id": "not-an-id", "price": "10"},
                    ],
                }
            )
        assert codes(bad.value) == [
            ("items.0.price", "out_of_range"),
            ("items.1.product_id", "invalid_id"),
        ]
        # Another tier's list may run at the same time.
        gold = await service.create(
            {"name": "金卡价", "kind": "member", "tier": "gold", "valid_from": today()}
        )
        assert gold.tier == "gold"
        # A salesperson sees prices but does not set them.
        with pytest.raises(Exception) as denied:
            await PriceListService(session, await actor(app, tenant, "sales_a")).create(
                {"name": "私价", "kind": "custom", "tier": "silver", "valid_from": today()}
            )
        assert type(denied.value).__name__ == "PermissionDenied"


async def test_bad_lines_are_refused_field_by_field(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await quotes(app, tenant, "sales_a")
    with pytest.raises(ValidationFailed) as exc:
        await sales.create(
            {
                "customer_id": shop.customer,
                "lines": [
                    {"product_id": shop.fridge, "quantity": 0},
                    {"product_id": shop.filters, "quantity": 1, "discount": "120"},
                ],
            }
        )
    assert codes(exc.value) == [("lines.0.quantity", "out_of_range"), ("lines.1.discount", "out_of_range")]
    with pytest.raises(ValidationFailed) as unknown:
        await sales.create(
            {"customer_id": shop.customer, "lines": [{"product_id": shop.customer, "quantity": 1}]}
        )
    assert codes(unknown.value) == [("lines.0.product_id", "unknown_product")]
    with pytest.raises(ValidationFailed) as empty:
        await sales.create({"customer_id": shop.customer, "lines": []})
    assert codes(empty.value) == [("lines", "no_lines")]
    with pytest.raises(ValidationFailed) as past:
        await sales.create(fridge_quote(shop, valid_until=(today() - timedelta(days=1)).isoformat()))
    assert codes(past.value) == [("valid_until", "in_the_past")]
    await sales.session.close()


async def test_an_expired_price_list_cannot_be_chosen(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    old = await retail_list(
        app, tenant, shop, name="十月零售价",
        valid_from=today() - timedelta(days=60), valid_to=today() - timedelta(days=30),
    )  # fmt: skip
    sales = await quotes(app, tenant, "sales_a")
    with pytest.raises(ValidationFailed) as exc:
        await sales.create(fridge_quote(shop, price_list_id=str(old)))
    assert codes(exc.value) == [("price_list_id", "price_list_expired")]
    # Without a choice the expired list is not the customer's: list prices.
    quote = await sales.create(fridge_quote(shop))
    assert quote.price_list_id is None and quote.total == Decimal("6155.00")
    await sales.session.close()


async def test_another_teams_salesperson_cannot_quote_or_read_zhang_weis_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    li_na = await quotes(app, tenant, "sales_b")
    with pytest.raises(ValidationFailed) as exc:
        await li_na.create(fridge_quote(shop))
    assert codes(exc.value) == [("customer_id", "unknown_customer")]
    zhang = await quotes(app, tenant, "sales_a")
    quote = await zhang.create(fridge_quote(shop))
    await zhang.session.close()
    with pytest.raises(NotFound):
        await li_na.get(quote.id)
    with pytest.raises(NotFound):
        await li_na.convert_to_order(quote.id, quote.version, {"warehouse_id": shop.shop})
    await li_na.session.close()


async def test_a_sent_quote_becomes_an_order_in_one_step_and_only_once(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    await retail_list(app, tenant, shop)
    sales = await quotes(app, tenant, "sales_a")
    quote = await sales.create(
        fridge_quote(shop, lines=[{"product_id": shop.fridge, "quantity": 1, "discount": "5"}])
    )
    quote_id, version = quote.id, quote.version
    with pytest.raises(ValidationFailed) as draft:
        await sales.convert_to_order(quote_id, version, {"warehouse_id": shop.shop})
    assert codes(draft.value) == [("status", "not_convertible")]
    quote = await sales.transition(quote_id, "sent", version)
    version = quote.version
    # Sent: lines no longer change.
    with pytest.raises(ValidationFailed) as frozen:
        await sales.update(quote_id, version, {"lines": [{"product_id": shop.filters, "quantity": 1}]})
    assert codes(frozen.value) == [("lines", "not_editable")]
    with pytest.raises(VersionConflict):
        await sales.convert_to_order(quote_id, version - 1, {"warehouse_id": shop.shop})

    quote, order = await sales.convert_to_order(quote_id, version, {"warehouse_id": shop.shop})
    assert quote.status == "accepted" and quote.order_id == order.id
    order_lines = (await OrderService(sales.session, sales.actor).lines([order.id]))[order.id]
    # The order keeps the quote's price (¥5,799 less 5 %), whatever the lists say later.
    assert [(line.product_id, line.unit_price, line.discount) for line in order_lines] == [
        (shop.fridge, Decimal("5799.00"), Decimal("5.00"))
    ]
    assert order.total == quote.total == Decimal("5509.05")
    assert order.customer_id == shop.customer and order.status == "draft"
    with pytest.raises(ValidationFailed) as again:
        await sales.convert_to_order(quote.id, quote.version, {"warehouse_id": shop.shop})
    assert codes(again.value) == [("id", "already_converted")]
    await sales.session.close()


async def test_a_rejected_quote_does_not_become_an_order(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await quotes(app, tenant, "sales_a")
    quote = await sales.create(fridge_quote(shop))
    quote = await sales.transition(quote.id, "sent", quote.version)
    quote = await sales.transition(quote.id, "rejected", quote.version)
    quote_id, version = quote.id, quote.version
    with pytest.raises(ValidationFailed) as exc:
        await sales.convert_to_order(quote_id, version, {"warehouse_id": shop.shop})
    assert codes(exc.value) == [("status", "not_convertible")]
    # A bad warehouse on a good quote leaves the quote as it was (one transaction).
    other = await sales.create(fridge_quote(shop))
    other = await sales.transition(other.id, "sent", other.version)
    other_id, version = other.id, other.version
    with pytest.raises(ValidationFailed) as bad:
        await sales.convert_to_order(other_id, version, {"warehouse_id": str(shop.customer)})
    assert codes(bad.value) == [("warehouse_id", "unknown_warehouse")]
    again = await sales.get(other_id)
    assert again.status == "sent" and again.order_id is None
    await sales.session.close()


async def test_a_stale_version_is_a_conflict(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await quotes(app, tenant, "sales_a")
    quote = await sales.create(fridge_quote(shop))
    await sales.update(quote.id, quote.version, {"note": "含送货上门"})
    with pytest.raises(VersionConflict):
        await sales.update(quote.id, 1, {"note": "旧版本"})
    await sales.session.close()
