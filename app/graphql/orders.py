"""Order and payment queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.graphql.kit import (
    EntityFace,
    KitInfo,
    mutate,
    optional_id,
    query,
    query_one,
    record_id,
    values_of,
)
from app.graphql.types.orders import (
    CreateOrderInput,
    Order,
    OrderConnection,
    OrderFilter,
    OrderMutationResult,
    OrderPayload,
    OrderPayments,
    OrderPaymentsResult,
    OrderResult,
    Payment,
    PaymentMutationResult,
    PaymentPayload,
    PaymentPlanLine,
    Receivable,
    RecordPaymentInput,
    SetPaymentPlanInput,
    UpdateOrderInput,
    delivery_input,
)
from app.graphql.workflows import transition_mutation
from app.orders.entity import ORDER
from app.orders.payments import PaymentService
from app.orders.service import OrderService, order_conditions


async def _orders(session: AsyncSession, actor: Actor, records: list[Any]) -> list[Order]:
    lines = await OrderService(session, actor).lines([r.id for r in records])
    return [Order.from_model(r, lines[r.id]) for r in records]


ORDERS = EntityFace(
    "order", OrderService, _orders, lambda order: OrderPayload(order=order), ("lines",), delivery_input
)


@strawberry.type
class OrderQueries:
    @strawberry.field(description="Orders you can see, newest first; first is 1 to 100.")
    async def orders(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: OrderFilter | None = None
    ) -> OrderConnection:
        given = filter or OrderFilter()
        return await ORDERS.page(
            info,
            OrderConnection,
            first,
            after,
            lambda session: order_conditions(
                customer_id=optional_id(given.customer_id, "filter.customerId"),
                status=given.status,
                search=given.search,
            ),
        )

    @strawberry.field(description="One order by id, with its lines.")
    async def order(self, info: KitInfo, id: strawberry.ID) -> OrderResult:
        return await ORDERS.one(info, id)

    @strawberry.field(description="An order's payment plan and the payments received (回款).")
    async def order_payments(self, info: KitInfo, order_id: strawberry.ID) -> OrderPaymentsResult:
        async def load(session: AsyncSession, actor: Actor) -> OrderPayments:
            order_uuid = record_id(order_id, "order")
            payments = PaymentService(session, actor)
            plan = await payments.plan(order_uuid)
            received = await payments.payments(order_uuid)
            return OrderPayments(
                order=await ORDERS.show(session, actor, await payments.orders.get(order_uuid)),
                plan=[PaymentPlanLine.from_model(p) for p in plan],
                payments=[Payment.from_model(p) for p in received],
            )

        return await query_one(info, load)

    @strawberry.field(description="What each customer owes on approved orders (your scope), largest first.")
    async def receivables(self, info: KitInfo) -> list[Receivable]:
        rows = await query(info, lambda s, a: PaymentService(s, a).receivables())
        return [
            Receivable(
                customer_id=strawberry.ID(str(r.customer_id)),
                customer_name=r.customer_name,
                total=r.total,
                paid=r.paid,
                balance=r.balance,
                overdue=r.overdue,
                orders=r.orders,
            )
            for r in rows
        ]


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="Start an order (a draft) for a customer you can see.")
    async def create_order(self, info: KitInfo, input: CreateOrderInput) -> OrderMutationResult:
        return await ORDERS.create(info, input)

    @strawberry.mutation(description="Change an order, given the version you read (lines only in a draft).")
    async def update_order(self, info: KitInfo, input: UpdateOrderInput) -> OrderMutationResult:
        return await ORDERS.update(info, input)

    transition_order = transition_mutation(ORDER, ORDERS.transition, OrderPayload, ORDERS.payload)

    @strawberry.mutation(description="Record money received against an order (回款).")
    async def record_payment(self, info: KitInfo, input: RecordPaymentInput) -> PaymentMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> PaymentPayload:
            payments = PaymentService(session, actor)
            values = values_of(input)
            order_id = record_id(values.pop("order_id"), "order")
            payment = await payments.record_payment(order_id, values)
            order = await ORDERS.show(session, actor, await payments.orders.get(order_id))
            return PaymentPayload(payment=Payment.from_model(payment), order=order)

        return await mutate(info, run, lambda payload: payload)

    @strawberry.mutation(description="Replace an order's payment plan (deposit, instalments, balance).")
    async def set_payment_plan(self, info: KitInfo, input: SetPaymentPlanInput) -> OrderMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Order:
            payments = PaymentService(session, actor)
            order_id = record_id(input.order_id, "order")
            lines = [values_of(line) for line in input.lines]
            await payments.set_plan(order_id, input.version, lines)
            return await ORDERS.show(session, actor, await payments.orders.get(order_id))

        return await mutate(info, run, ORDERS.payload)
