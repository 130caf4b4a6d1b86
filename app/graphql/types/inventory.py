"""Stock as the API shows it: levels, ledger lines, serial-numbered units, movement inputs and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import PageInfo
from app.graphql.types.catalog import Product, Warehouse
from app.inventory.fields import MovementKind as MovementKindEnum
from app.inventory.fields import SerialStatus as SerialStatusEnum

MovementKind = graphql_enum(MovementKindEnum, "What a ledger line records.")
SerialStatus = graphql_enum(
    SerialStatusEnum, "Where a serial-numbered unit is: in stock, shipped, used, written off."
)


@strawberry.type(description="What one warehouse holds of one product: the sums of its ledger lines.")
class StockLevel:
    product: Product
    warehouse: Warehouse
    on_hand: int
    reserved: int = strawberry.field(description="Promised to documents (approved orders), still on hand.")
    available: int = strawberry.field(description="onHand - reserved: what can be sold or moved now.")
    low_stock_threshold: int | None
    lead_time_days: int | None
    is_low: bool = strawberry.field(description="available is below lowStockThreshold.")

    @classmethod
    def from_row(cls, row: Any) -> StockLevel:
        return from_record(
            cls,
            row.level,
            product=Product.from_model(row.product),
            warehouse=Warehouse.from_model(row.warehouse),
            available=row.available,
            is_low=row.low,
        )


@strawberry.type
class StockLevelConnection:
    nodes: list[StockLevel]
    page_info: PageInfo


@strawberry.input
class StockLevelFilter:
    warehouse_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    low_only: bool = strawberry.field(default=False, description="Only levels below their threshold.")
    in_stock_only: bool = False


@strawberry.type(description="One append-only ledger line.")
class StockMovement:
    id: strawberry.ID
    batch_id: strawberry.ID = strawberry.field(
        description="The operation it belongs to (a receipt, a transfer)."
    )
    at: datetime
    kind: MovementKind  # type: ignore[valid-type]
    product: Product
    warehouse: Warehouse
    on_hand_change: int
    reserved_change: int
    serial_number: str | None
    reason: str | None
    source_type: str | None
    source_id: str | None
    actor_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: Any) -> StockMovement:
        line = row.line
        return from_record(
            cls,
            line,
            product=Product.from_model(row.product),
            warehouse=Warehouse.from_model(row.warehouse),
            on_hand_change=line.on_hand_delta,
            reserved_change=line.reserved_delta,
            serial_number=row.serial_number,
        )


@strawberry.type
class StockMovementConnection:
    nodes: list[StockMovement]
    page_info: PageInfo


@strawberry.input
class StockMovementFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    batch_id: strawberry.ID | None = None
    kind: MovementKind | None = None  # type: ignore[valid-type]
    source_type: str | None = None
    source_id: str | None = None


@strawberry.type(description="One serial-numbered unit: where it is now, and every movement it made.")
class SerialUnit:
    id: strawberry.ID
    serial_number: str
    status: SerialStatus  # type: ignore[valid-type]
    product: Product
    warehouse: Warehouse | None
    history: list[StockMovement]

    @classmethod
    def from_history(cls, h: Any) -> SerialUnit:
        return from_record(
            cls,
            h.unit,
            product=Product.from_model(h.product),
            warehouse=Warehouse.from_model(h.warehouse) if h.warehouse else None,
            history=[StockMovement.from_row(r) for r in h.history],
        )


@strawberry.type(description="A reorder suggestion and the numbers behind it.")
class ReplenishmentSuggestion:
    product: Product
    warehouse: Warehouse
    on_hand: int
    reserved: int
    available: int
    outbound: int = strawberry.field(description="Units shipped, used or transferred out over windowDays.")
    window_days: int
    daily_velocity: float
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    target_stock: int
    quantity: int = strawberry.field(
        description="What to order now: targetStock - available when at or below reorderPoint."
    )

    @classmethod
    def from_domain(cls, s: Any) -> ReplenishmentSuggestion:
        return from_record(
            cls, s, product=Product.from_model(s.product), warehouse=Warehouse.from_model(s.warehouse)
        )


@strawberry.input
class SourceDocumentInput:
    type: str = strawberry.field(description='What kind of document: "order", "ticket", "purchase"...')
    id: str


@strawberry.input
class ReceiveStockInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int
    serial_numbers: list[str] | None = strawberry.field(
        default=None, description="One per unit, serial-tracked products."
    )
    reason: str | None = None
    source: SourceDocumentInput | None = None


@strawberry.input
class IssueStockInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int
    serial_numbers: list[str] | None = None
    from_reservation: bool = strawberry.field(
        default=False, description="Use up units reserved for this document."
    )
    used_in_service: bool = strawberry.field(
        default=False, description="Consumed by a service job, not sold."
    )
    reason: str | None = None
    source: SourceDocumentInput | None = None


@strawberry.input
class TransferStockInput:
    product_id: strawberry.ID
    from_warehouse_id: strawberry.ID
    to_warehouse_id: strawberry.ID
    quantity: int
    serial_numbers: list[str] | None = None
    reason: str | None = None


@strawberry.input
class ReturnStockInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int
    serial_numbers: list[str] | None = None
    reason: str | None = None
    source: SourceDocumentInput | None = None


@strawberry.input
class AdjustStockInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    change: int = strawberry.field(description="Units added (> 0) or written off (< 0).")
    serial_numbers: list[str] | None = None
    reason: str = strawberry.field(description="Required: why the count differs.")


@strawberry.input
class ReserveStockInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int
    source: SourceDocumentInput | None = None


@strawberry.input
class SetStockThresholdsInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    low_stock_threshold: int | None = None
    lead_time_days: int | None = None


@strawberry.type(description="What a stock movement did: its batch, its ledger lines, the levels now.")
class StockMovedPayload:
    batch_id: strawberry.ID
    kind: str
    movements: list[StockMovement]
    levels: list[StockLevel]


@strawberry.type
class StockLevelPayload:
    level: StockLevel


StockMovedResult = Annotated[
    StockMovedPayload | ValidationError | PermissionDeniedError,
    strawberry.union("StockMovedResult"),
]
StockLevelResult = Annotated[
    StockLevelPayload | ValidationError | PermissionDeniedError,
    strawberry.union("StockLevelResult"),
]
SerialUnitResult = Annotated[
    SerialUnit | NotFoundError | PermissionDeniedError, strawberry.union("SerialUnitResult")
]
