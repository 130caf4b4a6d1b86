"""Stocktake, visits and webhooks as the API shows them: records, inputs and results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from app.deliveries.fields import BookingKind as BookingKindEnum
from app.deliveries.fields import BookingStatus as BookingStatusEnum
from app.deliveries.fields import TimeSlot as TimeSlotEnum
from app.graphql.errors import (
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VersionConflictError,
)
from app.graphql.kit import from_record, graphql_enum
from app.stocktake.fields import CountStatus as CountStatusEnum

CountStatus = graphql_enum(CountStatusEnum, "Where a count sheet stands.")
BookingKind = graphql_enum(BookingKindEnum, "What a visit does: deliver, install, or both.")
TimeSlot = graphql_enum(TimeSlotEnum, "The window of the day a visit is booked in.")
BookingStatus = graphql_enum(BookingStatusEnum, "Where a visit stands.")


# -- stocktake ----------------------------------------------------------------------------------------


@strawberry.type(description="One product on a count sheet: the ledger at the snapshot and what was counted.")
class StockCountLine:
    product_id: strawberry.ID
    expected: int = strawberry.field(description="Units on hand at the sheet's snapshot.")
    counted: int | None = strawberry.field(description="Units found; null while not counted.")
    variance: int | None = strawberry.field(description="counted - expected; null while not counted.")
    expected_serial_numbers: list[str]
    counted_serial_numbers: list[str]

    @classmethod
    def from_model(cls, line: Any) -> StockCountLine:
        return from_record(
            cls,
            line,
            variance=None if line.counted is None else line.counted - line.expected,
            expected_serial_numbers=list(line.expected_serials or []),
            counted_serial_numbers=list(line.counted_serials or []),
        )


@strawberry.type(description="A count sheet of one warehouse (optionally one category).")
class StockCount:
    id: strawberry.ID
    number: str
    warehouse_id: strawberry.ID
    category_id: strawberry.ID | None
    status: CountStatus  # type: ignore[valid-type]
    snapshot_at: datetime
    note: str | None
    approved_at: datetime | None
    adjustment_batch_ids: list[strawberry.ID] = strawberry.field(
        description="The ledger batches the approval posted (stockMovements filter batchId)."
    )
    version: int
    lines: list[StockCountLine]

    @classmethod
    def from_model(cls, count: Any, lines: list[Any]) -> StockCount:
        return from_record(
            cls,
            count,
            adjustment_batch_ids=[strawberry.ID(str(b)) for b in count.adjustment_batches or []],
            lines=[StockCountLine.from_model(line) for line in lines],
        )


@strawberry.input
class OpenStockCountInput:
    warehouse_id: strawberry.ID
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="Count only this category (and its subcategories)."
    )
    note: str | None = None


@strawberry.input
class CountStockInput:
    count_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int = strawberry.field(description="Units found (0 for a serial-numbered product: none).")


@strawberry.input
class ScanStockCountInput:
    count_id: strawberry.ID
    serial_numbers: list[str] = strawberry.field(description="Scanned or typed; a repeat counts once.")


@strawberry.type
class StockCountPayload:
    stock_count: StockCount


StockCountResult = Annotated[
    StockCount | NotFoundError | PermissionDeniedError, strawberry.union("StockCountResult")
]
StockCountMutationResult = Annotated[
    StockCountPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("StockCountMutationResult"),
]


# -- visits -------------------------------------------------------------------------------------------


@strawberry.type(description="A delivery and/or installation visit for an order.")
class Booking:
    id: strawberry.ID
    number: str
    order_id: strawberry.ID
    customer_id: strawberry.ID
    kind: BookingKind  # type: ignore[valid-type]
    scheduled_on: date
    slot: TimeSlot  # type: ignore[valid-type]
    team_id: strawberry.ID
    technician_ids: list[strawberry.ID]
    address: str
    status: BookingStatus  # type: ignore[valid-type]
    failure_reason: str | None
    notes: str | None
    photo_count: int
    started_at: datetime | None
    finished_at: datetime | None
    version: int

    @classmethod
    def from_model(cls, b: Any) -> Booking:
        return from_record(cls, b, photo_count=len(b.photos or []))


@strawberry.input
class BookDeliveryInput:
    order_id: strawberry.ID
    scheduled_on: date
    slot: TimeSlot  # type: ignore[valid-type]
    team_id: strawberry.ID
    technician_ids: list[strawberry.ID]
    kind: BookingKind = BookingKindEnum.BOTH  # type: ignore[valid-type]
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the customer's addresses; default: the installation address."
    )
    notes: str | None = None


@strawberry.input
class RescheduleBookingInput:
    id: strawberry.ID
    version: int
    scheduled_on: date
    slot: TimeSlot  # type: ignore[valid-type]
    team_id: strawberry.ID | None = None
    technician_ids: list[strawberry.ID] | None = None


@strawberry.input
class SetBookingStatusInput:
    id: strawberry.ID
    version: int
    status: BookingStatus  # type: ignore[valid-type]
    reason: str | None = strawberry.field(default=None, description="Required when the visit failed.")


@strawberry.type
class BookingPayload:
    booking: Booking


BookingResult = Annotated[Booking | NotFoundError | PermissionDeniedError, strawberry.union("BookingResult")]
BookingMutationResult = Annotated[
    BookingPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("BookingMutationResult"),
]


# -- webhooks and ERP ---------------------------------------------------------------------------------


@strawberry.type(description="A URL that receives the events it picked, signed with its secret.")
class WebhookEndpoint:
    id: strawberry.ID
    name: str
    url: str
    events: list[str]
    active: bool
    version: int

    @classmethod
    def from_model(cls, e: Any) -> WebhookEndpoint:
        return from_record(cls, e)


@strawberry.type(description="One event on its way to one endpoint: the delivery log.")
class WebhookDelivery:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    event: str
    status: str = strawberry.field(description="pending, sent or failed.")
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, d: Any) -> WebhookDelivery:
        return from_record(cls, d)


@strawberry.type(description="An event an endpoint can pick.")
class WebhookEvent:
    name: str
    label: str


@strawberry.input
class CreateWebhookEndpointInput:
    name: str
    url: str
    events: list[str]


@strawberry.input
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    version: int
    name: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET
    events: list[str] | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint
    secret: str | None = strawberry.field(
        description="The signing secret: given once, when the endpoint is created; keep it safe."
    )


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery


WebhookEndpointMutationResult = Annotated[
    WebhookEndpointPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("WebhookEndpointMutationResult"),
]
WebhookDeliveryMutationResult = Annotated[
    WebhookDeliveryPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("WebhookDeliveryMutationResult"),
]


@strawberry.input(description="A product as the ERP knows it; externalId is the ERP's own id.")
class ProductUpsertInput:
    external_id: str
    sku: str | None = None
    name: str | None = None
    model: str | None = None
    unit: str | None = None
    list_price: str | None = None
    cost: str | None = None
    warranty_months: int | None = None
    serial_tracked: bool | None = None
    specs: str | None = None


@strawberry.input(description="What a warehouse holds of a product, as the ERP counts it.")
class StockLevelUpsertInput:
    product_external_id: str
    warehouse_code: str
    on_hand: int


@strawberry.type(description="What became of one input row.")
class UpsertRow:
    index: int
    external_id: str | None
    status: str = strawberry.field(description="created, updated, unchanged or error.")
    id: strawberry.ID | None = strawberry.field(description="The product's id in the CRM.")
    errors: list[FieldError]


@strawberry.type
class UpsertPayload:
    rows: list[UpsertRow]
    created: int
    updated: int
    unchanged: int
    failed: int

    @classmethod
    def from_outcomes(cls, outcomes: list[Any], field_path: Any) -> UpsertPayload:
        rows = [
            UpsertRow(
                index=o.index,
                external_id=o.external_id,
                status=o.status,
                id=strawberry.ID(str(o.record_id)) if isinstance(o.record_id, uuid.UUID) else None,
                errors=[
                    FieldError(
                        path=field_path(e.field, ("input", str(o.index))), code=e.code, message=e.message
                    )
                    for e in o.errors
                ],
            )
            for o in outcomes
        ]
        count = {
            s: sum(1 for o in outcomes if o.status == s) for s in ("created", "updated", "unchanged", "error")
        }
        return cls(
            rows=rows,
            created=count["created"],
            updated=count["updated"],
            unchanged=count["unchanged"],
            failed=count["error"],
        )


UpsertResult = Annotated[
    UpsertPayload | ValidationError | PermissionDeniedError, strawberry.union("UpsertResult")
]
