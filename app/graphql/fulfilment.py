"""Stocktake, visits, webhooks and ERP upserts: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.deliveries.service import BookingService, today
from app.domain import Actor, DomainError, FieldError, NotFound, ValidationFailed
from app.erp import upserts
from app.erp.webhooks import WEBHOOK_EVENTS, WebhookEndpointService
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error, error_type, field_path
from app.graphql.kit import mutate, read_only_refusal, record_id, values_of
from app.graphql.types.fulfilment import (
    BookDeliveryInput,
    Booking,
    BookingMutationResult,
    BookingPayload,
    BookingResult,
    CountStockInput,
    CreateWebhookEndpointInput,
    OpenStockCountInput,
    ProductUpsertInput,
    RescheduleBookingInput,
    ScanStockCountInput,
    SetBookingStatusInput,
    StockCount,
    StockCountMutationResult,
    StockCountPayload,
    StockCountResult,
    StockLevelUpsertInput,
    UpdateWebhookEndpointInput,
    UpsertPayload,
    UpsertResult,
    WebhookDelivery,
    WebhookDeliveryMutationResult,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointMutationResult,
    WebhookEndpointPayload,
    WebhookEvent,
)
from app.i18n import gettext as _
from app.kit.paging import Order
from app.stocktake.models import StockCount as Model
from app.stocktake.service import StockCountService

KitInfo = Info[GraphQLContext, None]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


async def _count(session: AsyncSession, actor: Actor, count: Any) -> StockCountPayload:
    service = StockCountService(session, actor)
    return StockCountPayload(stock_count=StockCount.from_model(count, await service.lines(count.id)))


def _booking(record: Any) -> BookingPayload:
    return BookingPayload(booking=Booking.from_model(record))


def _booking_service(session: AsyncSession, info: KitInfo, actor: Actor) -> BookingService:
    service = BookingService(session, actor)
    tenant = getattr(info.context, "tenant", None)
    service.dealer_name = str(getattr(tenant, "name", "") or "")
    return service


@strawberry.type
class FulfilmentQueries:
    @strawberry.field(description="Count sheets, newest first (at most 100).")
    async def stock_counts(
        self, info: KitInfo, warehouse_id: strawberry.ID | None = None
    ) -> list[StockCount]:
        context = info.context
        async with context.db() as session:
            try:
                service = StockCountService(session, context.actor)
                wanted = _optional_id(warehouse_id, "warehouseId")
                page = await service.page(
                    [Model.warehouse_id == wanted] if wanted else [], order=Order(), first=100
                )
                return [StockCount.from_model(c, await service.lines(c.id)) for c in page.items]
            except DomainError as exc:
                raise client_error(exc) from None

    @strawberry.field(description="One count sheet with its lines.")
    async def stock_count(self, info: KitInfo, id: strawberry.ID) -> StockCountResult:
        context = info.context
        async with context.db() as session:
            try:
                service = StockCountService(session, context.actor)
                found = await service.get(record_id(id, "stock_count"))
                return StockCount.from_model(found, await service.lines(found.id))
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]

    @strawberry.field(description="Visits from one day to another (at most 31 days), by date and slot.")
    async def bookings(
        self,
        info: KitInfo,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        team_id: strawberry.ID | None = None,
        mine: Annotated[bool, strawberry.argument(description="Only visits I am assigned to.")] = False,
    ) -> list[Booking]:
        context = info.context
        first = from_ or today()
        async with context.db() as session:
            try:
                found = await BookingService(session, context.actor).between(
                    first, to or first, mine=mine, team_id=_optional_id(team_id, "teamId")
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return [Booking.from_model(b) for b in found]

    @strawberry.field(description="One visit.")
    async def booking(self, info: KitInfo, id: strawberry.ID) -> BookingResult:
        context = info.context
        async with context.db() as session:
            try:
                found = await BookingService(session, context.actor).get(record_id(id, "booking"))
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]
        return Booking.from_model(found)

    @strawberry.field(description="The events a webhook endpoint can pick.")
    def webhook_events(self) -> list[WebhookEvent]:
        return [WebhookEvent(name=k, label=_(v)) for k, v in WEBHOOK_EVENTS.items()]

    @strawberry.field(description="The dealer's webhook endpoints (at most 100).")
    async def webhook_endpoints(self, info: KitInfo) -> list[WebhookEndpoint]:
        context = info.context
        async with context.db() as session:
            try:
                page = await WebhookEndpointService(session, context.actor).page(first=100)
            except DomainError as exc:
                raise client_error(exc) from None
        return [WebhookEndpoint.from_model(e) for e in page.items]

    @strawberry.field(description="The webhook delivery log, newest first; first is 1 to 100.")
    async def webhook_deliveries(
        self,
        info: KitInfo,
        endpoint_id: strawberry.ID | None = None,
        status: str | None = None,
        first: int = 50,
    ) -> list[WebhookDelivery]:
        context = info.context
        async with context.db() as session:
            try:
                found = await WebhookEndpointService(session, context.actor).deliveries(
                    endpoint_id=_optional_id(endpoint_id, "endpointId"), status=status, first=first
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return [WebhookDelivery.from_model(d) for d in found]


@strawberry.type
class FulfilmentMutations:
    @strawberry.mutation(
        description="Open a count sheet: the ledger's snapshot now, a line per product held."
    )
    async def open_stock_count(self, info: KitInfo, input: OpenStockCountInput) -> StockCountMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> StockCountPayload:
            count = await StockCountService(session, actor).open(
                warehouse_id=input.warehouse_id, category_id=input.category_id, note=input.note
            )
            return await _count(session, actor, count)

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Record how many units of a product were found.")
    async def count_stock(self, info: KitInfo, input: CountStockInput) -> StockCountMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> StockCountPayload:
            service = StockCountService(session, actor)
            ident = record_id(input.count_id, "stock_count")
            await service.count_quantity(ident, product_id=input.product_id, quantity=input.quantity)
            return await _count(session, actor, await service.get(ident))

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Count serial-numbered units by their numbers.")
    async def scan_stock_count(self, info: KitInfo, input: ScanStockCountInput) -> StockCountMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> StockCountPayload:
            service = StockCountService(session, actor)
            ident = record_id(input.count_id, "stock_count")
            await service.scan(ident, input.serial_numbers)
            return await _count(session, actor, await service.get(ident))

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Approve a count: its differences are posted as adjustments, all or none."
    )
    async def approve_stock_count(
        self, info: KitInfo, id: strawberry.ID, version: int
    ) -> StockCountMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> StockCountPayload:
            count = await StockCountService(session, actor).approve(record_id(id, "stock_count"), version)
            return await _count(session, actor, count)

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Book a delivery and/or installation visit for an approved order.")
    async def book_delivery(self, info: KitInfo, input: BookDeliveryInput) -> BookingMutationResult:
        values = values_of(input)
        values["technician_ids"] = [str(t) for t in input.technician_ids]
        return await mutate(info, lambda s, a: _booking_service(s, info, a).book(values), _booking)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Move a visit to another day or slot (and team or technicians).")
    async def reschedule_booking(self, info: KitInfo, input: RescheduleBookingInput) -> BookingMutationResult:
        values = values_of(input)
        if input.technician_ids is not None:
            values["technician_ids"] = [str(t) for t in input.technician_ids]
        return await mutate(  # type: ignore[no-any-return]
            info,
            lambda s, a: _booking_service(s, info, a).reschedule(
                record_id(input.id, "booking"), input.version, values
            ),
            _booking,
        )

    @strawberry.mutation(description="On the way, done, failed (with a reason) or cancelled.")
    async def set_booking_status(self, info: KitInfo, input: SetBookingStatusInput) -> BookingMutationResult:
        return await mutate(  # type: ignore[no-any-return]
            info,
            lambda s, a: _booking_service(s, info, a).set_status(
                record_id(input.id, "booking"), input.version, input.status, input.reason
            ),
            _booking,
        )

    @strawberry.mutation(
        description="Register a URL for the events it picks; the answer holds its secret once."
    )
    async def create_webhook_endpoint(
        self, info: KitInfo, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> WebhookEndpointPayload:
            service = WebhookEndpointService(session, actor)
            created = await service.create(values_of(input))
            return WebhookEndpointPayload(
                endpoint=WebhookEndpoint.from_model(created), secret=service.new_secret
            )

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change a webhook endpoint (URL, events, on/off), given the version read."
    )
    async def update_webhook_endpoint(
        self, info: KitInfo, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointMutationResult:
        values = values_of(input)
        values.pop("id", None)
        values.pop("version", None)
        return await mutate(  # type: ignore[no-any-return]
            info,
            lambda s, a: WebhookEndpointService(s, a).update(
                record_id(input.id, "webhook_endpoint"), input.version, values
            ),
            lambda r: WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(r), secret=None),
        )

    @strawberry.mutation(description="Send a delivered or failed webhook delivery again.")
    async def replay_webhook_delivery(
        self, info: KitInfo, id: strawberry.ID
    ) -> WebhookDeliveryMutationResult:
        def ident() -> int:
            try:
                return int(str(id))
            except ValueError as exc:
                raise NotFound("webhook_delivery", id) from exc

        return await mutate(  # type: ignore[no-any-return]
            info,
            lambda s, a: WebhookEndpointService(s, a).replay(ident()),
            lambda d: WebhookDeliveryPayload(delivery=WebhookDelivery.from_model(d)),
        )

    @strawberry.mutation(
        description="Create or update products by the ERP's id (at most 500); each row reports its outcome, "
        "a bad row does not stop the others, and the same row again changes nothing."
    )
    async def upsert_products(self, info: KitInfo, input: list[ProductUpsertInput]) -> UpsertResult:
        rows = [values_of(row) for row in input]
        return await _upsert(info, lambda s, a: upserts.upsert_products(s, a, rows))

    @strawberry.mutation(
        description="Set stock on hand by product ERP id and warehouse code (at most 500 rows); the "
        "difference is posted to the ledger as an adjustment, an equal level is left alone."
    )
    async def upsert_stock_levels(self, info: KitInfo, input: list[StockLevelUpsertInput]) -> UpsertResult:
        rows = [values_of(row) for row in input]
        return await _upsert(info, lambda s, a: upserts.upsert_stock_levels(s, a, rows))


async def _upsert(info: KitInfo, verb: Any) -> Any:
    context = info.context
    if refusal := read_only_refusal(context.actor):
        return refusal
    async with context.db() as session:
        try:
            outcomes = await verb(session, context.actor)
        except DomainError as exc:
            await session.rollback()
            if isinstance(exc, ValidationFailed):
                exc = ValidationFailed(
                    [
                        FieldError("input" if e.field == "rows" else e.field, e.code, e.message)
                        for e in exc.errors
                    ]
                )
                return error_type(exc, input_prefix=())
            return error_type(exc)
    return UpsertPayload.from_outcomes(outcomes, field_path)
