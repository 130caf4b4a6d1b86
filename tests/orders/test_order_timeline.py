"""An order's life on its customer's timeline: created, moved, paid — each an entry of kind "order"
naming the order."""

from __future__ import annotations

from crm_testkit import TenantKit
from litestar import Litestar
from order_world import fridge_order, open_shop, orders

from app.orders.payments import PaymentService
from app.timeline import service as timeline


async def test_an_order_shows_on_its_customers_timeline(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop))
    number = order.number
    order = await sales.transition(order.id, "submitted", order.version)
    await PaymentService(sales.session, sales.actor).record_payment(
        order.id, {"amount": "500", "method": "cash"}
    )
    page = await timeline.customer_timeline(sales.session, sales.actor, shop.customer, kinds_wanted=["order"])
    assert [(e.kind, e.data["action"], e.data["title"]) for e in page.items] == [
        ("order", "payment", number),
        ("order", "transition", number),
        ("order", "create", number),
    ]
    await sales.session.close()
