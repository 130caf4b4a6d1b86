"""Payments (回款) as the cashier records them: a plan that adds up to the order, receipts by
method, never more than is owed unless marked as an overpayment, what each customer still owes."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from order_world import codes, fridge_order, open_shop, orders

from app.domain import NotFound, ValidationFailed
from app.orders.payments import PaymentService


async def _approved_fridge(app: Litestar, tenant: TenantKit):  # type: ignore[no-untyped-def]
    shop = await open_shop(app, tenant, fridges=["HR001"])
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop))
    order_id = order.id
    for stage in ("submitted", "approved"):
        order = await sales.transition(order_id, stage, order.version)
    return shop, sales, order_id


async def test_a_deposit_and_the_balance_pay_the_order_and_no_more(app: Litestar, tenant: TenantKit) -> None:
    shop, sales, order_id = await _approved_fridge(app, tenant)
    cashier = PaymentService(sales.session, sales.actor)
    order = await sales.get(order_id)
    today = date.today()
    plan = await cashier.set_plan(
        order_id,
        order.version,
        [
            {"kind": "deposit", "due_on": today.isoformat(), "amount": "1000"},
            {"kind": "balance", "due_on": (today + timedelta(days=30)).isoformat(), "amount": "4999"},
        ],
    )
    assert [(p.kind, p.amount) for p in plan] == [
        ("deposit", Decimal("1000.00")),
        ("balance", Decimal("4999.00")),
    ]
    await cashier.record_payment(order_id, {"amount": "1000", "method": "wechat", "reference": "4200001"})
    # ¥4,999 is owed: ¥5,000 is refused unless marked as an overpayment.
    with pytest.raises(ValidationFailed) as caught:
        await cashier.record_payment(order_id, {"amount": "5000", "method": "alipay"})
    assert codes(caught.value) == [("amount", "overpayment")]
    assert (await sales.get(order_id)).paid == Decimal("1000.00")
    payment = await cashier.record_payment(
        order_id, {"amount": "5000", "method": "bank", "overpayment": True}
    )
    assert payment.overpayment is True
    order = await sales.get(order_id)
    assert order.paid == Decimal("6000.00")
    assert [(p.method, p.amount) for p in await cashier.payments(order_id)] == [
        ("wechat", Decimal("1000.00")),
        ("bank", Decimal("5000.00")),
    ]
    await sales.session.close()


async def test_bad_payments_and_plans_are_refused(app: Litestar, tenant: TenantKit) -> None:
    shop, sales, order_id = await _approved_fridge(app, tenant)
    cashier = PaymentService(sales.session, sales.actor)
    cases = [
        ({"amount": "0", "method": "cash"}, [("amount", "out_of_range")]),
        ({"amount": "-5", "method": "cash"}, [("amount", "out_of_range")]),
        ({"amount": "十元", "method": "cash"}, [("amount", "invalid_amount")]),
        ({"amount": "10", "method": "bitcoin"}, [("method", "invalid_choice")]),
        ({"amount": "10", "method": "cash", "received_on": "2999-01-01"}, [("received_on", "out_of_range")]),
    ]
    for given, expected in cases:
        with pytest.raises(ValidationFailed) as caught:
            await cashier.record_payment(order_id, given)
        assert codes(caught.value) == expected, given
    order = await sales.get(order_id)
    with pytest.raises(ValidationFailed) as caught:
        await cashier.set_plan(
            order_id, order.version, [{"kind": "deposit", "due_on": "2026-12-01", "amount": "100"}]
        )
    assert codes(caught.value) == [("plan", "plan_total")]
    order = await sales.get(order_id)
    assert order.paid == Decimal("0.00")
    # A cancelled order takes no money.
    order = await sales.transition(order_id, "cancelled", order.version)
    with pytest.raises(ValidationFailed) as caught:
        await cashier.record_payment(order_id, {"amount": "10", "method": "cash"})
    assert codes(caught.value) == [("order_id", "nothing_owed")]
    # Another salesperson's order reads as absent.
    other = PaymentService(sales.session, await actor(app, tenant, "sales_a2"))
    with pytest.raises(NotFound):
        await other.record_payment(order_id, {"amount": "10", "method": "cash"})
    await sales.session.close()


async def test_two_cashiers_taking_the_last_payment_at_once_take_it_once(
    app: Litestar, tenant: TenantKit
) -> None:
    shop, sales, order_id = await _approved_fridge(app, tenant)
    await sales.session.close()
    cashiers = [PaymentService(app.state.db.tenant_session(tenant.schema), sales.actor) for _ in range(2)]
    results = await asyncio.gather(
        *[c.record_payment(order_id, {"amount": "5999", "method": "cash"}) for c in cashiers],
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Payment", "ValidationFailed"]
    check = await orders(app, tenant, "sales_a")
    assert (await check.get(order_id)).paid == Decimal("5999.00")
    for c in cashiers:
        await c.session.close()
    await check.session.close()


async def test_receivables_per_customer_with_what_is_overdue(app: Litestar, tenant: TenantKit) -> None:
    shop, sales, order_id = await _approved_fridge(app, tenant)
    cashier = PaymentService(sales.session, sales.actor)
    order = await sales.get(order_id)
    last_week = date.today() - timedelta(days=7)
    await cashier.set_plan(
        order_id,
        order.version,
        [
            {"kind": "deposit", "due_on": last_week.isoformat(), "amount": "2000"},
            {"kind": "balance", "due_on": (date.today() + timedelta(days=30)).isoformat(), "amount": "3999"},
        ],
    )
    await cashier.record_payment(order_id, {"amount": "500", "method": "cash"})
    # A draft order owes nothing yet.
    await sales.create(fridge_order(shop))
    [owed] = await cashier.receivables()
    assert (owed.customer_name, owed.total, owed.paid, owed.balance, owed.overdue, owed.orders) == (
        "赵敏",
        Decimal("5999.00"),
        Decimal("500.00"),
        Decimal("5499.00"),
        Decimal("1500.00"),
        1,
    )
    # 王芳 sees none of 张伟's receivables; his manager 刘洋 does.
    assert await PaymentService(sales.session, await actor(app, tenant, "sales_a2")).receivables() == []
    assert len(await PaymentService(sales.session, await actor(app, tenant, "manager_a")).receivables()) == 1
    await sales.session.close()
