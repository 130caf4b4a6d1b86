"""The order pages as 张伟 and his manager use them: the list, an order with its lines, moving it
through its stages from the page (a refusal says why), recording a payment (回款)."""

from __future__ import annotations

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from order_world import fridge_order, level, open_shop, orders


async def test_an_order_is_found_moved_and_paid_from_its_page(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001"])
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(
        fridge_order(
            shop,
            lines=[
                {"product_id": shop.fridge, "quantity": 1, "discount": "12"},
                {"kind": "trade_in", "description": "旧海尔冰箱 BCD-215", "unit_price": "300"},
            ],
        )
    )
    order_id, number = order.id, order.number
    order = await sales.transition(order_id, "submitted", order.version)
    await sales.session.close()
    zhang = await logged_in(app, tenant, "sales_a")

    listed = await zhang.get("/orders", params={"q": number})
    assert listed.status_code == 200 and number in listed.text and "赵敏" in listed.text
    page = await zhang.get(f"/orders/{order_id}")
    assert page.status_code == 200
    assert "旧海尔冰箱 BCD-215" in page.text and "¥4,979.12" in page.text  # 5999 × 0.88 − 300
    # A contract for the order starts from its page; a viewer, who reads orders, writes no contracts.
    assert f'href="/contracts/new?order_id={order_id}"' in page.text
    viewer = await logged_in(app, tenant, "viewer")
    seen = await viewer.get(f"/orders/{order_id}")
    assert seen.status_code == 200 and "/contracts/new" not in seen.text

    # 12 % off needs a manager: the page says so and nothing moves.
    refused = await zhang.post_form(
        f"/orders/{order_id}/move", {"to": "approved", "version": str(order.version)}
    )
    assert refused.status_code == 422 and "orders:approve" in refused.text
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 0)
    liu = await logged_in(app, tenant, "manager_a")
    moved = await liu.post_form(f"/orders/{order_id}/move", {"to": "approved", "version": str(order.version)})
    assert moved.status_code == 303
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 1)

    too_much = await zhang.post_form(f"/orders/{order_id}/payments", {"amount": "9999", "method": "wechat"})
    assert too_much.status_code == 422 and form_errors(too_much.text)
    paid = await zhang.post_form(f"/orders/{order_id}/payments", {"amount": "1000", "method": "wechat"})
    assert paid.status_code == 303
    page = await zhang.get(f"/orders/{order_id}")
    assert "¥1,000.00" in page.text

    # 王芳 does not see 张伟's order: absent, whatever she tries.
    wang = await logged_in(app, tenant, "sales_a2")
    assert (await wang.get(f"/orders/{order_id}")).status_code == 404
    assert (
        await wang.post_form(f"/orders/{order_id}/payments", {"amount": "1", "method": "cash"})
    ).status_code == 404
    assert number not in (await wang.get("/orders")).text
