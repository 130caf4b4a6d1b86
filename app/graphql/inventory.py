"""Catalog and stock queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.catalog import service as catalog
from app.catalog.service import ProductService
from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error, error_type, filter_error
from app.graphql.kit import mutate, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
from app.graphql.types.catalog import (
    Brand,
    CreateProductInput,
    CreateWarehouseInput,
    Product,
    ProductCategory,
    ProductConnection,
    ProductFilter,
    ProductMutationResult,
    ProductPayload,
    ProductResult,
    UpdateProductInput,
    UpdateWarehouseInput,
    Warehouse,
    WarehouseMutationResult,
    WarehousePayload,
)
from app.graphql.types.inventory import (
    AdjustStockInput,
    IssueStockInput,
    ReceiveStockInput,
    ReplenishmentSuggestion,
    ReserveStockInput,
    ReturnStockInput,
    SerialUnit,
    SetStockThresholdsInput,
    SourceDocumentInput,
    StockLevel,
    StockLevelConnection,
    StockLevelFilter,
    StockLevelPayload,
    StockLevelResult,
    StockMovedPayload,
    StockMovedResult,
    StockMovement,
    StockMovementConnection,
    StockMovementFilter,
    TransferStockInput,
)
from app.inventory import reports
from app.inventory.service import WarehouseService
from app.inventory.stock import Moved, Source, StockService
from app.kit.paging import Order

KitInfo = Info[GraphQLContext, None]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    """A filter's id argument: malformed is a bad argument, not an empty result."""
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def _source(source: SourceDocumentInput | None) -> Source | None:
    return Source(source.type, source.id) if source else None


def _product_values(data: Any) -> dict[str, Any]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "custom_fields" in values:
        values["custom"] = values.pop("custom_fields")
    return values


def _product(record: Any) -> ProductPayload:
    return ProductPayload(product=Product.from_model(record))


def _warehouse(record: Any) -> WarehousePayload:
    return WarehousePayload(warehouse=Warehouse.from_model(record))


async def _moved(session: AsyncSession, actor: Actor, moved: Moved) -> StockMovedPayload:
    lines = await reports.movements(session, actor, batch_id=moved.batch_id, first=100)
    levels = []
    for level in moved.levels:
        page = await reports.levels(
            session, actor, product_id=level.product_id, warehouse_id=level.warehouse_id
        )
        levels += [StockLevel.from_row(r) for r in page.rows]
    return StockMovedPayload(
        batch_id=strawberry.ID(str(moved.batch_id)),
        kind=moved.kind,
        movements=[StockMovement.from_row(r) for r in reversed(lines.rows)],
        levels=levels,
    )


async def _move(info: KitInfo, verb: Any) -> StockMovedResult:
    async def run(session: AsyncSession, actor: Actor) -> StockMovedPayload:
        moved = await verb(StockService(session, actor))
        return await _moved(session, actor, moved)

    return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]


@strawberry.type
class InventoryQueries:
    @strawberry.field(description="Products of the catalog, newest first; first is 1 to 100.")
    async def products(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: ProductFilter | None = None
    ) -> ProductConnection:
        context = info.context
        given = filter or ProductFilter()
        async with context.db() as session:
            try:
                try:
                    conditions = await catalog.product_conditions(
                        session,
                        search=given.search,
                        category_id=_optional_id(given.category_id, "filter.categoryId"),
                        brand_id=_optional_id(given.brand_id, "filter.brandId"),
                        kind=given.kind,
                    )
                except ValidationFailed as exc:
                    raise filter_error(exc) from None
                page = await ProductService(session, context.actor).page(conditions, first=first, after=after)
            except DomainError as exc:
                raise client_error(exc) from None
        edges = [Edge(cursor=page.end_cursor or "", node=Product.from_model(p)) for p in page.items]
        return ProductConnection(
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

    @strawberry.field(description="One product by id.")
    async def product(self, info: KitInfo, id: strawberry.ID) -> ProductResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await ProductService(session, context.actor).get(record_id(id, "product"))
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]
        return Product.from_model(record)

    @strawberry.field(description="The category tree, parents before their children.")
    async def product_categories(self, info: KitInfo) -> list[ProductCategory]:
        context = info.context
        async with context.db() as session:
            try:
                found = await catalog.categories(session, context.actor)
            except DomainError as exc:
                raise client_error(exc) from None
        return [ProductCategory.from_model(c) for c in found]

    @strawberry.field(description="The brands of the catalog, by name.")
    async def brands(self, info: KitInfo) -> list[Brand]:
        context = info.context
        async with context.db() as session:
            try:
                found = await catalog.brands(session, context.actor)
            except DomainError as exc:
                raise client_error(exc) from None
        return [Brand(id=strawberry.ID(str(b.id)), name=b.name, name_en=b.name_en) for b in found]

    @strawberry.field(description="Every live warehouse (at most 100), by code.")
    async def warehouses(self, info: KitInfo) -> list[Warehouse]:
        context = info.context
        async with context.db() as session:
            try:
                page = await WarehouseService(session, context.actor).page(
                    order=Order("code", descending=False), first=100
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return [Warehouse.from_model(w) for w in page.items]

    @strawberry.field(description="Stock levels by product SKU and warehouse; first is 1 to 100.")
    async def stock_levels(
        self, info: KitInfo, first: int = 50, after: str | None = None, filter: StockLevelFilter | None = None
    ) -> StockLevelConnection:
        context = info.context
        given = filter or StockLevelFilter()
        async with context.db() as session:
            try:
                page = await reports.levels(
                    session,
                    context.actor,
                    warehouse_id=_optional_id(given.warehouse_id, "filter.warehouseId"),
                    product_id=_optional_id(given.product_id, "filter.productId"),
                    low_only=given.low_only,
                    in_stock_only=given.in_stock_only,
                    first=first,
                    after=after,
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return StockLevelConnection(
            nodes=[StockLevel.from_row(r) for r in page.rows],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=None,
                end_cursor=page.end_cursor,
            ),
        )

    @strawberry.field(description="Ledger lines, newest first; first is 1 to 100.")
    async def stock_movements(
        self,
        info: KitInfo,
        first: int = 50,
        after: str | None = None,
        filter: StockMovementFilter | None = None,
    ) -> StockMovementConnection:
        context = info.context
        given = filter or StockMovementFilter()
        source = None
        if given.source_type is not None and given.source_id is not None:
            source = (given.source_type, given.source_id)
        async with context.db() as session:
            try:
                page = await reports.movements(
                    session,
                    context.actor,
                    product_id=_optional_id(given.product_id, "filter.productId"),
                    warehouse_id=_optional_id(given.warehouse_id, "filter.warehouseId"),
                    batch_id=_optional_id(given.batch_id, "filter.batchId"),
                    kind=given.kind,
                    source=source,
                    first=first,
                    after=after,
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return StockMovementConnection(
            nodes=[StockMovement.from_row(r) for r in page.rows],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=None,
                end_cursor=page.end_cursor,
            ),
        )

    @strawberry.field(description="The units with this serial number (one per product), with their history.")
    async def serial_units(self, info: KitInfo, serial_number: str) -> list[SerialUnit]:
        context = info.context
        async with context.db() as session:
            try:
                found = await reports.serial_units(session, context.actor, serial_number)
            except DomainError as exc:
                raise client_error(exc) from None
        return [SerialUnit.from_history(h) for h in found]

    @strawberry.field(description="What to reorder per product and warehouse, with the numbers behind it.")
    async def replenishment_suggestions(
        self, info: KitInfo, warehouse_id: strawberry.ID | None = None
    ) -> list[ReplenishmentSuggestion]:
        context = info.context
        async with context.db() as session:
            try:
                found = await reports.replenishment(
                    session, context.actor, warehouse_id=_optional_id(warehouse_id, "warehouseId")
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return [ReplenishmentSuggestion.from_domain(s) for s in found]


@strawberry.type
class InventoryMutations:
    @strawberry.mutation(description="Add a product to the catalog.")
    async def create_product(self, info: KitInfo, input: CreateProductInput) -> ProductMutationResult:
        return await mutate(info, lambda s, a: ProductService(s, a).create(_product_values(input)), _product)

    @strawberry.mutation(description="Change some fields of a product, given the version you read.")
    async def update_product(self, info: KitInfo, input: UpdateProductInput) -> ProductMutationResult:
        return await mutate(
            info,
            lambda s, a: ProductService(s, a).update(
                record_id(input.id, "product"), input.version, _product_values(input)
            ),
            _product,
        )

    @strawberry.mutation(description="Add a warehouse (a shop, the central warehouse, a technician's van).")
    async def create_warehouse(self, info: KitInfo, input: CreateWarehouseInput) -> WarehouseMutationResult:
        return await mutate(info, lambda s, a: WarehouseService(s, a).create(values_of(input)), _warehouse)

    @strawberry.mutation(description="Change some fields of a warehouse, given the version you read.")
    async def update_warehouse(self, info: KitInfo, input: UpdateWarehouseInput) -> WarehouseMutationResult:
        return await mutate(
            info,
            lambda s, a: WarehouseService(s, a).update(
                record_id(input.id, "warehouse"),
                input.version,
                {k: v for k, v in values_of(input).items() if k not in ("id", "version")},
            ),
            _warehouse,
        )

    @strawberry.mutation(
        description="Goods arrive in a warehouse; serial-tracked products list one number per unit."
    )
    async def receive_stock(self, info: KitInfo, input: ReceiveStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.receive(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                quantity=input.quantity,
                serials=input.serial_numbers,
                reason=input.reason,
                source=_source(input.source),
            ),
        )

    @strawberry.mutation(description="Goods leave a warehouse: shipped to a customer or used in service.")
    async def issue_stock(self, info: KitInfo, input: IssueStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.issue(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                quantity=input.quantity,
                serials=input.serial_numbers,
                reserved=input.from_reservation,
                consumed=input.used_in_service,
                reason=input.reason,
                source=_source(input.source),
            ),
        )

    @strawberry.mutation(description="Goods move from one warehouse to another.")
    async def transfer_stock(self, info: KitInfo, input: TransferStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.transfer(
                product_id=input.product_id,
                from_warehouse_id=input.from_warehouse_id,
                to_warehouse_id=input.to_warehouse_id,
                quantity=input.quantity,
                serials=input.serial_numbers,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Shipped goods come back into a warehouse (a customer's return).")
    async def return_stock(self, info: KitInfo, input: ReturnStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.return_(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                quantity=input.quantity,
                serials=input.serial_numbers,
                reason=input.reason,
                source=_source(input.source),
            ),
        )

    @strawberry.mutation(description="Correct stock to what is really there; a reason is required.")
    async def adjust_stock(self, info: KitInfo, input: AdjustStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.adjust(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                change=input.change,
                serials=input.serial_numbers,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Promise units to a document; they stay on hand but are not available.")
    async def reserve_stock(self, info: KitInfo, input: ReserveStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.reserve(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                quantity=input.quantity,
                source=_source(input.source),
            ),
        )

    @strawberry.mutation(description="Take back a promise made with reserveStock.")
    async def release_stock(self, info: KitInfo, input: ReserveStockInput) -> StockMovedResult:
        return await _move(
            info,
            lambda stock: stock.release(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                quantity=input.quantity,
                source=_source(input.source),
            ),
        )

    @strawberry.mutation(
        description="Set a product's low-stock threshold and reorder lead time in a warehouse."
    )
    async def set_stock_thresholds(self, info: KitInfo, input: SetStockThresholdsInput) -> StockLevelResult:
        async def run(session: AsyncSession, actor: Actor) -> StockLevelPayload:
            level = await StockService(session, actor).set_thresholds(
                product_id=input.product_id,
                warehouse_id=input.warehouse_id,
                low_stock_threshold=input.low_stock_threshold,
                lead_time_days=input.lead_time_days,
            )
            page = await reports.levels(
                session, actor, product_id=level.product_id, warehouse_id=level.warehouse_id
            )
            return StockLevelPayload(level=StockLevel.from_row(page.rows[0]))

        return await mutate(info, run, lambda payload: payload)  # type: ignore[no-any-return]
