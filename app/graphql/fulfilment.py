"""Stocktake, visits, webhooks and ERP upserts: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.deliveries.service import BookingService, today
from app.domain import Actor, DomainError, FieldError, NotFound, ValidationFailed
from app.erp import upserts
from app.erp.webhooks import WEBHOOK_EVENTS, WebhookEndpointService
from app.graphql.errors import error_type, field_path
from app.graphql.kit import EntityFace, KitInfo, mutate, optional_id, query, shown, values_of
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


async def _counts(session: AsyncSession, actor: Actor, counts: list[Any]) -> list[StockCount]:
    service = StockCountService(session, actor)
    return [StockCount.from_model(c, await service.lines(c.id)) for c in counts]


async def _recount(service: StockCountService, count_id: uuid.UUID, step: Awaitable[Any]) -> Any:
    """A step that changes a sheet's lines, then the sheet."""
    await step
    return await service.get(count_id)


STOCK_COUNTS = EntityFace(
    "stock_count", StockCountService, _counts, lambda count: StockCountPayload(stock_count=count)
)
WEBHOOK_ENDPOINTS = EntityFace(
    "webhook_endpoint",
    WebhookEndpointService,
    shown(WebhookEndpoint.from_model),
    lambda endpoint: WebhookEndpointPayload(endpoint=endpoint, secret=None),
)


def _bookings(info: KitInfo) -> EntityFace:
    """Visits text the customer in the dealer's name, so their service needs the request's tenant."""

    def service(session: AsyncSession, actor: Actor) -> BookingService:
        booking = BookingService(session, actor)
        booking.dealer_name = str(getattr(getattr(info.context, "tenant", None), "name", "") or "")
        return booking

    return EntityFace("booking", service, shown(Booking.from_model), lambda b: BookingPayload(booking=b))


@strawberry.type
class FulfilmentQueries:
    @strawberry.field(description="Count sheets, newest first (at most 100).")
    async def stock_counts(
        self, info: KitInfo, warehouse_id: strawberry.ID | None = None
    ) -> list[StockCount]:
        async def load(session: AsyncSession, actor: Actor) -> list[StockCount]:
            wanted = optional_id(warehouse_id, "warehouseId")
            conditions = [Model.warehouse_id == wanted] if wanted else []
            page = await StockCountService(session, actor).page(conditions, order=Order(), first=100)
            return await _counts(session, actor, page.items)

        return await query(info, load)

    @strawberry.field(description="One count sheet with its lines.")
    async def stock_count(self, info: KitInfo, id: strawberry.ID) -> StockCountResult:
        return await STOCK_COUNTS.one(info, id)

    @strawberry.field(description="Visits from one day to another (at most 31 days), by date and slot.")
    async def bookings(
        self,
        info: KitInfo,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        team_id: strawberry.ID | None = None,
        mine: Annotated[bool, strawberry.argument(description="Only visits I am assigned to.")] = False,
    ) -> list[Booking]:
        first = from_ or today()
        found = await query(
            info,
            lambda s, a: BookingService(s, a).between(
                first, to or first, mine=mine, team_id=optional_id(team_id, "teamId")
            ),
        )
        return [Booking.from_model(b) for b in found]

    @strawberry.field(description="One visit.")
    async def booking(self, info: KitInfo, id: strawberry.ID) -> BookingResult:
        return await _bookings(info).one(info, id)

    @strawberry.field(description="The events a webhook endpoint can pick.")
    def webhook_events(self) -> list[WebhookEvent]:
        return [WebhookEvent(name=k, label=_(v)) for k, v in WEBHOOK_EVENTS.items()]

    @strawberry.field(description="The dealer's webhook endpoints (at most 100).")
    async def webhook_endpoints(self, info: KitInfo) -> list[WebhookEndpoint]:
        page = await query(info, lambda s, a: WebhookEndpointService(s, a).page(first=100))
        return [WebhookEndpoint.from_model(e) for e in page.items]

    @strawberry.field(description="The webhook delivery log, newest first; first is 1 to 100.")
    async def webhook_deliveries(
        self,
        info: KitInfo,
        endpoint_id: strawberry.ID | None = None,
        status: str | None = None,
        first: int = 50,
    ) -> list[WebhookDelivery]:
        found = await query(
            info,
            lambda s, a: WebhookEndpointService(s, a).deliveries(
                endpoint_id=optional_id(endpoint_id, "endpointId"), status=status, first=first
            ),
        )
        return [WebhookDelivery.from_model(d) for d in found]


@strawberry.type
class FulfilmentMutations:
    @strawberry.mutation(
        description="Open a count sheet: the ledger's snapshot now, a line per product held."
    )
    async def open_stock_count(self, info: KitInfo, input: OpenStockCountInput) -> StockCountMutationResult:
        return await STOCK_COUNTS.run(
            info,
            lambda counts: counts.open(
                warehouse_id=input.warehouse_id, category_id=input.category_id, note=input.note
            ),
        )

    @strawberry.mutation(description="Record how many units of a product were found.")
    async def count_stock(self, info: KitInfo, input: CountStockInput) -> StockCountMutationResult:
        def verb(counts: StockCountService) -> Awaitable[Any]:
            ident = STOCK_COUNTS.id_of(input.count_id)
            step = counts.count_quantity(ident, product_id=input.product_id, quantity=input.quantity)
            return _recount(counts, ident, step)

        return await STOCK_COUNTS.run(info, verb)

    @strawberry.mutation(description="Count serial-numbered units by their numbers.")
    async def scan_stock_count(self, info: KitInfo, input: ScanStockCountInput) -> StockCountMutationResult:
        def verb(counts: StockCountService) -> Awaitable[Any]:
            ident = STOCK_COUNTS.id_of(input.count_id)
            return _recount(counts, ident, counts.scan(ident, input.serial_numbers))

        return await STOCK_COUNTS.run(info, verb)

    @strawberry.mutation(
        description="Approve a count: its differences are posted as adjustments, all or none."
    )
    async def approve_stock_count(
        self, info: KitInfo, id: strawberry.ID, version: int
    ) -> StockCountMutationResult:
        return await STOCK_COUNTS.run(info, lambda counts: counts.approve(STOCK_COUNTS.id_of(id), version))

    @strawberry.mutation(description="Book a delivery and/or installation visit for an approved order.")
    async def book_delivery(self, info: KitInfo, input: BookDeliveryInput) -> BookingMutationResult:
        values = values_of(input)
        values["technician_ids"] = [str(t) for t in input.technician_ids]
        return await _bookings(info).run(info, lambda bookings: bookings.book(values))

    @strawberry.mutation(description="Move a visit to another day or slot (and team or technicians).")
    async def reschedule_booking(self, info: KitInfo, input: RescheduleBookingInput) -> BookingMutationResult:
        values = values_of(input)
        if input.technician_ids is not None:
            values["technician_ids"] = [str(t) for t in input.technician_ids]
        face = _bookings(info)
        return await face.run(
            info, lambda bookings: bookings.reschedule(face.id_of(input.id), input.version, values)
        )

    @strawberry.mutation(description="On the way, done, failed (with a reason) or cancelled.")
    async def set_booking_status(self, info: KitInfo, input: SetBookingStatusInput) -> BookingMutationResult:
        face = _bookings(info)
        return await face.run(
            info,
            lambda bookings: bookings.set_status(
                face.id_of(input.id), input.version, input.status, input.reason
            ),
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

        return await mutate(info, run, lambda payload: payload)

    @strawberry.mutation(
        description="Change a webhook endpoint (URL, events, on/off), given the version read."
    )
    async def update_webhook_endpoint(
        self, info: KitInfo, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointMutationResult:
        return await WEBHOOK_ENDPOINTS.update(info, input)

    @strawberry.mutation(description="Send a delivered or failed webhook delivery again.")
    async def replay_webhook_delivery(
        self, info: KitInfo, id: strawberry.ID
    ) -> WebhookDeliveryMutationResult:
        def ident() -> int:
            try:
                return int(str(id))
            except ValueError as exc:
                raise NotFound("webhook_delivery", id) from exc

        return await mutate(
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


def _rows_refused(exc: DomainError) -> Any:
    """A refusal of the rows as a whole (too many) names the input list itself."""
    if not isinstance(exc, ValidationFailed):
        return None
    fields = [FieldError("input" if e.field == "rows" else e.field, e.code, e.message) for e in exc.errors]
    return error_type(ValidationFailed(fields), input_prefix=())


async def _upsert(info: KitInfo, verb: Any) -> Any:
    return await mutate(
        info, verb, lambda outcomes: UpsertPayload.from_outcomes(outcomes, field_path), typed=_rows_refused
    )
