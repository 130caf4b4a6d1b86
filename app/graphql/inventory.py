"""Catalog and stock queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.service import ProductService
from app.domain import Actor
from app.graphql.kit import (
    EntityFace,
    KitInfo,
    mutate,
    optional_id,
    page_info,
    query,
    shown,
)
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

# Input fields whose stock verb argument has another name.
_STOCK_ARGUMENTS = {
    "serial_numbers": "serials",
    "from_reservation": "reserved",
    "used_in_service": "consumed",
}


def _stock_args(input: Any) -> dict[str, Any]:
    """A stock movement's input as the ledger verb's keyword arguments."""
    args = {_STOCK_ARGUMENTS.get(name, name): value for name, value in vars(input).items()}
    if "source" in args:
        source: SourceDocumentInput | None = args["source"]
        args["source"] = Source(source.type, source.id) if source else None
    return args


PRODUCTS = EntityFace(
    "product", ProductService, shown(Product.from_model), lambda product: ProductPayload(product=product)
)
WAREHOUSES = EntityFace(
    "warehouse",
    WarehouseService,
    shown(Warehouse.from_model),
    lambda warehouse: WarehousePayload(warehouse=warehouse),
)


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

    return await mutate(info, run, lambda payload: payload)


@strawberry.type
class InventoryQueries:
    @strawberry.field(description="Products of the catalog, newest first; first is 1 to 100.")
    async def products(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: ProductFilter | None = None
    ) -> ProductConnection:
        given = filter or ProductFilter()
        return await PRODUCTS.page(
            info,
            ProductConnection,
            first,
            after,
            lambda session: catalog.product_conditions(
                session,
                search=given.search,
                category_id=optional_id(given.category_id, "filter.categoryId"),
                brand_id=optional_id(given.brand_id, "filter.brandId"),
                kind=given.kind,
            ),
        )

    @strawberry.field(description="One product by id.")
    async def product(self, info: KitInfo, id: strawberry.ID) -> ProductResult:
        return await PRODUCTS.one(info, id)

    @strawberry.field(description="The category tree, parents before their children.")
    async def product_categories(self, info: KitInfo) -> list[ProductCategory]:
        found = await query(info, catalog.categories)
        return [ProductCategory.from_model(c) for c in found]

    @strawberry.field(description="The brands of the catalog, by name.")
    async def brands(self, info: KitInfo) -> list[Brand]:
        found = await query(info, catalog.brands)
        return [Brand(id=strawberry.ID(str(b.id)), name=b.name, name_en=b.name_en) for b in found]

    @strawberry.field(description="Every live warehouse (at most 100), by code.")
    async def warehouses(self, info: KitInfo) -> list[Warehouse]:
        page = await query(
            info, lambda s, a: WarehouseService(s, a).page(order=Order("code", descending=False), first=100)
        )
        return [Warehouse.from_model(w) for w in page.items]

    @strawberry.field(description="Stock levels by product SKU and warehouse; first is 1 to 100.")
    async def stock_levels(
        self, info: KitInfo, first: int = 50, after: str | None = None, filter: StockLevelFilter | None = None
    ) -> StockLevelConnection:
        given = filter or StockLevelFilter()
        page = await query(
            info,
            lambda s, a: reports.levels(
                s,
                a,
                warehouse_id=optional_id(given.warehouse_id, "filter.warehouseId"),
                product_id=optional_id(given.product_id, "filter.productId"),
                low_only=given.low_only,
                in_stock_only=given.in_stock_only,
                first=first,
                after=after,
            ),
        )
        return StockLevelConnection(
            nodes=[StockLevel.from_row(r) for r in page.rows], page_info=page_info(page, after)
        )

    @strawberry.field(description="Ledger lines, newest first; first is 1 to 100.")
    async def stock_movements(
        self,
        info: KitInfo,
        first: int = 50,
        after: str | None = None,
        filter: StockMovementFilter | None = None,
    ) -> StockMovementConnection:
        given = filter or StockMovementFilter()
        source = None
        if given.source_type is not None and given.source_id is not None:
            source = (given.source_type, given.source_id)
        page = await query(
            info,
            lambda s, a: reports.movements(
                s,
                a,
                product_id=optional_id(given.product_id, "filter.productId"),
                warehouse_id=optional_id(given.warehouse_id, "filter.warehouseId"),
                batch_id=optional_id(given.batch_id, "filter.batchId"),
                kind=given.kind,
                source=source,
                first=first,
                after=after,
            ),
        )
        return StockMovementConnection(
            nodes=[StockMovement.from_row(r) for r in page.rows], page_info=page_info(page, after)
        )

    @strawberry.field(description="The units with this serial number (one per product), with their history.")
    async def serial_units(self, info: KitInfo, serial_number: str) -> list[SerialUnit]:
        found = await query(info, lambda s, a: reports.serial_units(s, a, serial_number))
        return [SerialUnit.from_history(h) for h in found]

    @strawberry.field(description="What to reorder per product and warehouse, with the numbers behind it.")
    async def replenishment_suggestions(
        self, info: KitInfo, warehouse_id: strawberry.ID | None = None
    ) -> list[ReplenishmentSuggestion]:
        found = await query(
            info,
            lambda s, a: reports.replenishment(s, a, warehouse_id=optional_id(warehouse_id, "warehouseId")),
        )
        return [ReplenishmentSuggestion.from_domain(s) for s in found]


@strawberry.type
class InventoryMutations:
    @strawberry.mutation(description="Add a product to the catalog.")
    async def create_product(self, info: KitInfo, input: CreateProductInput) -> ProductMutationResult:
        return await PRODUCTS.create(info, input)

    @strawberry.mutation(description="Change some fields of a product, given the version you read.")
    async def update_product(self, info: KitInfo, input: UpdateProductInput) -> ProductMutationResult:
        return await PRODUCTS.update(info, input)

    @strawberry.mutation(description="Add a warehouse (a shop, the central warehouse, a technician's van).")
    async def create_warehouse(self, info: KitInfo, input: CreateWarehouseInput) -> WarehouseMutationResult:
        return await WAREHOUSES.create(info, input)

    @strawberry.mutation(description="Change some fields of a warehouse, given the version you read.")
    async def update_warehouse(self, info: KitInfo, input: UpdateWarehouseInput) -> WarehouseMutationResult:
        return await WAREHOUSES.update(info, input)

    @strawberry.mutation(
        description="Goods arrive in a warehouse; serial-tracked products list one number per unit."
    )
    async def receive_stock(self, info: KitInfo, input: ReceiveStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.receive(**_stock_args(input)))

    @strawberry.mutation(description="Goods leave a warehouse: shipped to a customer or used in service.")
    async def issue_stock(self, info: KitInfo, input: IssueStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.issue(**_stock_args(input)))

    @strawberry.mutation(description="Goods move from one warehouse to another.")
    async def transfer_stock(self, info: KitInfo, input: TransferStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.transfer(**_stock_args(input)))

    @strawberry.mutation(description="Shipped goods come back into a warehouse (a customer's return).")
    async def return_stock(self, info: KitInfo, input: ReturnStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.return_(**_stock_args(input)))

    @strawberry.mutation(description="Correct stock to what is really there; a reason is required.")
    async def adjust_stock(self, info: KitInfo, input: AdjustStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.adjust(**_stock_args(input)))

    @strawberry.mutation(description="Promise units to a document; they stay on hand but are not available.")
    async def reserve_stock(self, info: KitInfo, input: ReserveStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.reserve(**_stock_args(input)))

    @strawberry.mutation(description="Take back a promise made with reserveStock.")
    async def release_stock(self, info: KitInfo, input: ReserveStockInput) -> StockMovedResult:
        return await _move(info, lambda stock: stock.release(**_stock_args(input)))

    @strawberry.mutation(
        description="Set a product's low-stock threshold and reorder lead time in a warehouse."
    )
    async def set_stock_thresholds(self, info: KitInfo, input: SetStockThresholdsInput) -> StockLevelResult:
        async def run(session: AsyncSession, actor: Actor) -> StockLevelPayload:
            level = await StockService(session, actor).set_thresholds(**_stock_args(input))
            page = await reports.levels(
                session, actor, product_id=level.product_id, warehouse_id=level.warehouse_id
            )
            return StockLevelPayload(level=StockLevel.from_row(page.rows[0]))

        return await mutate(info, run, lambda payload: payload)
