"""Price list and quote queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.graphql.kit import EntityFace, KitInfo, mutate, optional_id
from app.graphql.orders import ORDERS
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
from app.pricing.service import PriceListService
from app.quotes.entity import QUOTE
from app.quotes.service import QuoteService, quote_conditions


async def _quotes(session: AsyncSession, actor: Actor, records: list[Any]) -> list[Quote]:
    lines = await QuoteService(session, actor).lines([r.id for r in records])
    return [Quote.from_model(r, lines[r.id]) for r in records]


async def _price_lists(session: AsyncSession, actor: Actor, records: list[Any]) -> list[PriceList]:
    service = PriceListService(session, actor)
    return [PriceList.from_model(r, await service.items(r.id)) for r in records]


QUOTES = EntityFace("quote", QuoteService, _quotes, lambda quote: QuotePayload(quote=quote), ("lines",))
PRICE_LISTS = EntityFace(
    "price_list", PriceListService, _price_lists, lambda found: PriceListPayload(price_list=found), ("items",)
)


@strawberry.type
class QuoteQueries:
    @strawberry.field(description="Quotes you can see, newest first; first is 1 to 100.")
    async def quotes(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: QuoteFilter | None = None
    ) -> QuoteConnection:
        given = filter or QuoteFilter()
        return await QUOTES.page(
            info,
            QuoteConnection,
            first,
            after,
            lambda session: quote_conditions(
                customer_id=optional_id(given.customer_id, "filter.customerId"),
                status=given.status,
                search=given.search,
            ),
        )

    @strawberry.field(description="One quote by id, with its lines and the URL of its PDF.")
    async def quote(self, info: KitInfo, id: strawberry.ID) -> QuoteResult:
        return await QUOTES.one(info, id)

    @strawberry.field(description="Price lists, newest first; first is 1 to 100.")
    async def price_lists(
        self, info: KitInfo, first: int = 20, after: str | None = None
    ) -> PriceListConnection:
        return await PRICE_LISTS.page(info, PriceListConnection, first, after)

    @strawberry.field(description="One price list by id, with its prices.")
    async def price_list(self, info: KitInfo, id: strawberry.ID) -> PriceListResult:
        return await PRICE_LISTS.one(info, id)


@strawberry.type
class QuoteMutations:
    @strawberry.mutation(description="Write a quote (a draft) for a customer you can see.")
    async def create_quote(self, info: KitInfo, input: CreateQuoteInput) -> QuoteMutationResult:
        return await QUOTES.create(info, input)

    @strawberry.mutation(description="Change a quote, given the version you read (lines only in a draft).")
    async def update_quote(self, info: KitInfo, input: UpdateQuoteInput) -> QuoteMutationResult:
        return await QUOTES.update(info, input)

    transition_quote = transition_mutation(QUOTE, QUOTES.transition, QuotePayload, QUOTES.payload)

    @strawberry.mutation(
        description="Turn a sent or accepted quote into a draft order in one step: its lines carried over "
        "at the quote's prices, the quote accepted and linked to the order."
    )
    async def convert_quote_to_order(self, info: KitInfo, input: ConvertQuoteInput) -> ConvertQuoteResult:
        async def run(session: AsyncSession, actor: Actor) -> ConvertQuotePayload:
            quote, order = await QuoteService(session, actor).convert_to_order(
                QUOTES.id_of(input.id), input.version, QUOTES.values(input)
            )
            return ConvertQuotePayload(
                quote=await QUOTES.show(session, actor, quote), order=await ORDERS.show(session, actor, order)
            )

        return await mutate(info, run, lambda payload: payload)

    @strawberry.mutation(description="Start a price list (catalog:create).")
    async def create_price_list(self, info: KitInfo, input: CreatePriceListInput) -> PriceListMutationResult:
        return await PRICE_LISTS.create(info, input)

    @strawberry.mutation(
        description="Change a price list, given the version you read; items replace its prices."
    )
    async def update_price_list(self, info: KitInfo, input: UpdatePriceListInput) -> PriceListMutationResult:
        return await PRICE_LISTS.update(info, input)
