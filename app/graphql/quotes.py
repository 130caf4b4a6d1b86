"""Price list and quote queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error, error_type
from app.graphql.kit import mutate, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
from app.graphql.types.orders import Order
from app.graphql.types.quotes import (
    ConvertQuoteInput,
    ConvertQuotePayload,
    ConvertQuoteResult,
    CreatePriceListInput,
    CreateQuoteInput,
    PriceList,
    PriceListConnection,
    PriceListMutationResult,
    PriceListPayload,
    PriceListResult,
    Quote,
    QuoteConnection,
    QuoteFilter,
    QuoteMutationResult,
    QuotePayload,
    QuoteResult,
    UpdatePriceListInput,
    UpdateQuoteInput,
)
from app.graphql.workflows import transition_mutation
from app.orders.service import OrderService
from app.pricing.service import PriceListService
from app.quotes.entity import QUOTE
from app.quotes.service import QuoteService, quote_conditions

KitInfo = Info[GraphQLContext, None]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def _values(data: Any, *children: str) -> dict[str, Any]:
    """An input as service data: ids and versions out, custom fields renamed, child inputs as dicts."""
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "custom_fields" in values:
        values["custom"] = values.pop("custom_fields")
    for name in children:
        if isinstance(values.get(name), list):
            values[name] = [values_of(item) for item in values[name]]
    return values


async def _quote(session: AsyncSession, actor: Actor, record: Any) -> Quote:
    lines = await QuoteService(session, actor).lines([record.id])
    return Quote.from_model(record, lines[record.id])


async def _price_list(session: AsyncSession, actor: Actor, record: Any) -> PriceList:
    return PriceList.from_model(record, await PriceListService(session, actor).items(record.id))


async def _transition(
    session: AsyncSession, actor: Actor, quote_id: uuid.UUID, to: str, version: int, note: str | None
) -> Quote:
    record = await QuoteService(session, actor).transition(quote_id, to, version, note)
    return await _quote(session, actor, record)


@strawberry.type
class QuoteQueries:
    @strawberry.field(description="Quotes you can see, newest first; first is 1 to 100.")
    async def quotes(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: QuoteFilter | None = None
    ) -> QuoteConnection:
        context = info.context
        given = filter or QuoteFilter()
        async with context.db() as session:
            try:
                conditions = quote_conditions(
                    customer_id=_optional_id(given.customer_id, "filter.customerId"),
                    status=given.status,
                    search=given.search,
                )
                service = QuoteService(session, context.actor)
                page = await service.page(conditions, first=first, after=after)
                lines = await service.lines([q.id for q in page.items])
            except DomainError as exc:
                raise client_error(exc) from None
        edges = [
            Edge(cursor=page.end_cursor or "", node=Quote.from_model(q, lines[q.id])) for q in page.items
        ]
        return QuoteConnection(
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

    @strawberry.field(description="One quote by id, with its lines and the URL of its PDF.")
    async def quote(self, info: KitInfo, id: strawberry.ID) -> QuoteResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await QuoteService(session, context.actor).get(record_id(id, "quote"))
                return await _quote(session, context.actor, record)
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]

    @strawberry.field(description="Price lists, newest first; first is 1 to 100.")
    async def price_lists(
        self, info: KitInfo, first: int = 20, after: str | None = None
    ) -> PriceListConnection:
        context = info.context
        async with context.db() as session:
            try:
                service = PriceListService(session, context.actor)
                page = await service.page(first=first, after=after)
                nodes = [await _price_list(session, context.actor, r) for r in page.items]
            except DomainError as exc:
                raise client_error(exc) from None
        return PriceListConnection(
            edges=[Edge(cursor=page.end_cursor or "", node=n) for n in nodes],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=None,
                end_cursor=page.end_cursor,
            ),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )

    @strawberry.field(description="One price list by id, with its prices.")
    async def price_list(self, info: KitInfo, id: strawberry.ID) -> PriceListResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await PriceListService(session, context.actor).get(record_id(id, "price_list"))
                return await _price_list(session, context.actor, record)
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]


@strawberry.type
class QuoteMutations:
    @strawberry.mutation(description="Write a quote (a draft) for a customer you can see.")
    async def create_quote(self, info: KitInfo, input: CreateQuoteInput) -> QuoteMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Quote:
            record = await QuoteService(session, actor).create(_values(input, "lines"))
            return await _quote(session, actor, record)

        return await mutate(info, run, lambda quote: QuotePayload(quote=quote))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change a quote, given the version you read (lines only in a draft).")
    async def update_quote(self, info: KitInfo, input: UpdateQuoteInput) -> QuoteMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Quote:
            service = QuoteService(session, actor)
            record = await service.update(
                record_id(input.id, "quote"), input.version, _values(input, "lines")
            )
            return await _quote(session, actor, record)

        return await mutate(info, run, lambda quote: QuotePayload(quote=quote))  # type: ignore[no-any-return]

    transition_quote = transition_mutation(
        QUOTE, _transition, QuotePayload, lambda quote: QuotePayload(quote=quote)
    )

    @strawberry.mutation(
        description="Turn a sent or accepted quote into a draft order in one step: its lines carried over "
        "at the quote's prices, the quote accepted and linked to the order."
    )
    async def convert_quote_to_order(self, info: KitInfo, input: ConvertQuoteInput) -> ConvertQuoteResult:
        async def run(session: AsyncSession, actor: Actor) -> ConvertQuotePayload:
            service = QuoteService(session, actor)
            quote, order = await service.convert_to_order(
                record_id(input.id, "quote"), input.version, _values(input)
            )
            lines = await OrderService(session, actor).lines([order.id])
            return ConvertQuotePayload(
                quote=await _quote(session, actor, quote), order=Order.from_model(order, lines[order.id])
            )

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Start a price list (catalog:create).")
    async def create_price_list(self, info: KitInfo, input: CreatePriceListInput) -> PriceListMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> PriceList:
            record = await PriceListService(session, actor).create(_values(input, "items"))
            return await _price_list(session, actor, record)

        return await mutate(info, run, lambda found: PriceListPayload(price_list=found))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change a price list, given the version you read; items replace its prices."
    )
    async def update_price_list(self, info: KitInfo, input: UpdatePriceListInput) -> PriceListMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> PriceList:
            service = PriceListService(session, actor)
            record = await service.update(
                record_id(input.id, "price_list"), input.version, _values(input, "items")
            )
            return await _price_list(session, actor, record)

        return await mutate(info, run, lambda found: PriceListPayload(price_list=found))  # type: ignore[no-any-return]
