"""Order and payment queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error, error_type, filter_error
from app.graphql.kit import mutate, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
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
)
from app.graphql.workflows import transition_mutation
from app.orders.entity import ORDER
from app.orders.payments import PaymentService
from app.orders.service import OrderService, order_conditions

KitInfo = Info[GraphQLContext, None]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def _order_values(data: Any) -> dict[str, Any]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "custom_fields" in values:
        values["custom"] = values.pop("custom_fields")
    if isinstance(values.get("lines"), list):
        values["lines"] = [values_of(line) for line in values["lines"]]
    return values


async def _order(session: AsyncSession, actor: Actor, record: Any) -> Order:
    lines = await OrderService(session, actor).lines([record.id])
    return Order.from_model(record, lines[record.id])


async def _transition(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID, to: str, version: int, note: str | None
) -> Order:
    record = await OrderService(session, actor).transition(order_id, to, version, note)
    return await _order(session, actor, record)


@strawberry.type
class OrderQueries:
    @strawberry.field(description="Orders you can see, newest first; first is 1 to 100.")
    async def orders(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: OrderFilter | None = None
    ) -> OrderConnection:
        context = info.context
        given = filter or OrderFilter()
        async with context.db() as session:
            try:
                try:
                    conditions = order_conditions(
                        customer_id=_optional_id(given.customer_id, "filter.customerId"),
                        status=given.status,
                        search=given.search,
                    )
                except ValidationFailed as exc:
                    raise filter_error(exc) from None
                service = OrderService(session, context.actor)
                page = await service.page(conditions, first=first, after=after)
                lines = await service.lines([o.id for o in page.items])
            except DomainError as exc:
                raise client_error(exc) from None
        edges = [
            Edge(cursor=page.end_cursor or "", node=Order.from_model(o, lines[o.id])) for o in page.items
        ]
        return OrderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=None,
                end_cursor=page.end_cursor,
            ),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )

    @strawberry.field(description="One order by id, with its lines.")
    async def order(self, info: KitInfo, id: strawberry.ID) -> OrderResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await OrderService(session, context.actor).get(record_id(id, "order"))
                return await _order(session, context.actor, record)
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]

    @strawberry.field(description="An order's payment plan and the payments received (回款).")
    async def order_payments(self, info: KitInfo, order_id: strawberry.ID) -> OrderPaymentsResult:
        context = info.context
        async with context.db() as session:
            try:
                order_uuid = record_id(order_id, "order")
                payments = PaymentService(session, context.actor)
                plan = await payments.plan(order_uuid)
                received = await payments.payments(order_uuid)
                order = await _order(session, context.actor, await payments.orders.get(order_uuid))
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]
        return OrderPayments(
            order=order,
            plan=[PaymentPlanLine.from_model(p) for p in plan],
            payments=[Payment.from_model(p) for p in received],
        )

    @strawberry.field(description="What each customer owes on approved orders (your scope), largest first.")
    async def receivables(self, info: KitInfo) -> list[Receivable]:
        context = info.context
        async with context.db() as session:
            try:
                rows = await PaymentService(session, context.actor).receivables()
            except DomainError as exc:
                raise client_error(exc) from None
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
        async def run(session: AsyncSession, actor: Actor) -> Order:
            return await _order(
                session, actor, await OrderService(session, actor).create(_order_values(input))
            )

        return await mutate(info, run, lambda order: OrderPayload(order=order))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change an order, given the version you read (lines only in a draft).")
    async def update_order(self, info: KitInfo, input: UpdateOrderInput) -> OrderMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Order:
            service = OrderService(session, actor)
            record = await service.update(record_id(input.id, "order"), input.version, _order_values(input))
            return await _order(session, actor, record)

        return await mutate(info, run, lambda order: OrderPayload(order=order))  # type: ignore[no-any-return]

    transition_order = transition_mutation(
        ORDER, _transition, OrderPayload, lambda order: OrderPayload(order=order)
    )

    @strawberry.mutation(description="Record money received against an order (回款).")
    async def record_payment(self, info: KitInfo, input: RecordPaymentInput) -> PaymentMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> PaymentPayload:
            payments = PaymentService(session, actor)
            values = values_of(input)
            order_id = record_id(values.pop("order_id"), "order")
            payment = await payments.record_payment(order_id, values)
            order = await _order(session, actor, await payments.orders.get(order_id))
            return PaymentPayload(payment=Payment.from_model(payment), order=order)

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Replace an order's payment plan (deposit, instalments, balance).")
    async def set_payment_plan(self, info: KitInfo, input: SetPaymentPlanInput) -> OrderMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Order:
            payments = PaymentService(session, actor)
            order_id = record_id(input.order_id, "order")
            lines = [values_of(line) for line in input.lines]
            await payments.set_plan(order_id, input.version, lines)
            return await _order(session, actor, await payments.orders.get(order_id))

        return await mutate(info, run, lambda order: OrderPayload(order=order))  # type: ignore[no-any-return]
