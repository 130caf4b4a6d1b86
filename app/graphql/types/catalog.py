"""Products, categories, brands and warehouses as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.catalog.fields import EnergyGrade as EnergyGradeEnum
from app.catalog.fields import ProductKind as ProductKindEnum
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import Connection
from app.inventory.fields import WarehouseKind as WarehouseKindEnum

ProductKind = graphql_enum(ProductKindEnum, "An appliance, a consumable, an accessory or a service item.")
EnergyGrade = graphql_enum(EnergyGradeEnum, "China energy label grade: GRADE_1 is the most efficient.")
WarehouseKind = graphql_enum(WarehouseKindEnum, "A shop, a central warehouse or a technician's van.")


@strawberry.type(description="A node of the category tree, with the national 三包 warranty baseline.")
class ProductCategory:
    id: strawberry.ID
    code: str
    name: str
    parent_id: strawberry.ID | None
    serial_tracked: bool = strawberry.field(
        description="Units of this category usually carry serial numbers."
    )
    installation: bool = strawberry.field(description="Units of this category usually need installing.")
    warranty_whole_months: int = strawberry.field(description="三包 baseline for the whole unit.")
    warranty_main_parts_months: int = strawberry.field(description="三包 baseline for the main parts.")
    main_parts: str | None
    safe_use_years: int | None = strawberry.field(description="Widely cited safe-use life, in years.")

    @classmethod
    def from_model(cls, r: Any) -> ProductCategory:
        return from_record(cls, r)


@strawberry.type
class Brand:
    id: strawberry.ID
    name: str
    name_en: str | None


@strawberry.type(description="Something the dealer sells, uses in service or stocks.")
class Product:
    id: strawberry.ID
    sku: str
    name: str
    model: str | None
    kind: ProductKind  # type: ignore[valid-type]
    brand_id: strawberry.ID | None
    category_id: strawberry.ID | None
    unit: str
    list_price: Decimal | None
    cost: Decimal | None
    warranty_months: int | None = strawberry.field(
        description="The product's own warranty; empty means its category's 三包 baseline."
    )
    serial_tracked: bool
    energy_grade: EnergyGrade | None  # type: ignore[valid-type]
    specs: str | None
    replacement_months: int | None = strawberry.field(
        description="Consumables: replace every this many months."
    )
    custom_fields: JSON = strawberry.field(description="Values of the tenant's custom fields, by key.")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Product:
        return from_record(cls, r)


@strawberry.type
class ProductConnection(Connection[Product]):
    pass


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(default=None, description="SKU, name, model or pinyin initials.")
    category_id: strawberry.ID | None = strawberry.field(default=None, description="Includes subcategories.")
    brand_id: strawberry.ID | None = None
    kind: ProductKind | None = None  # type: ignore[valid-type]


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    model: str | None = strawberry.UNSET
    kind: ProductKind | None = strawberry.UNSET  # type: ignore[valid-type]
    brand_id: strawberry.ID | None = strawberry.UNSET
    category_id: strawberry.ID | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    list_price: Decimal | None = strawberry.UNSET
    cost: Decimal | None = strawberry.UNSET
    warranty_months: int | None = strawberry.UNSET
    serial_tracked: bool | None = strawberry.UNSET
    energy_grade: EnergyGrade | None = strawberry.UNSET  # type: ignore[valid-type]
    specs: str | None = strawberry.UNSET
    replacement_months: int | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input
class UpdateProductInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    sku: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    model: str | None = strawberry.UNSET
    kind: ProductKind | None = strawberry.UNSET  # type: ignore[valid-type]
    brand_id: strawberry.ID | None = strawberry.UNSET
    category_id: strawberry.ID | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    list_price: Decimal | None = strawberry.UNSET
    cost: Decimal | None = strawberry.UNSET
    warranty_months: int | None = strawberry.UNSET
    serial_tracked: bool | None = strawberry.UNSET
    energy_grade: EnergyGrade | None = strawberry.UNSET  # type: ignore[valid-type]
    specs: str | None = strawberry.UNSET
    replacement_months: int | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.type
class ProductPayload:
    product: Product


ProductResult = Annotated[Product | NotFoundError | PermissionDeniedError, strawberry.union("ProductResult")]
ProductMutationResult = Annotated[
    ProductPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("ProductMutationResult"),
]


@strawberry.type(description="A place that holds stock.")
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    kind: WarehouseKind  # type: ignore[valid-type]
    address: str | None
    keeper_id: strawberry.ID | None = strawberry.field(
        description="The staff member who keeps it (a van's technician)."
    )
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Warehouse:
        return from_record(cls, r)


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    kind: WarehouseKind  # type: ignore[valid-type]
    address: str | None = strawberry.UNSET
    keeper_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input(description="Change some fields of a warehouse, given the version you read.")
class UpdateWarehouseInput:
    id: strawberry.ID
    version: int
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    kind: WarehouseKind | None = strawberry.UNSET  # type: ignore[valid-type]
    address: str | None = strawberry.UNSET
    keeper_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse


WarehouseMutationResult = Annotated[
    WarehousePayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("WarehouseMutationResult"),
]
