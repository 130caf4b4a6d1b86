"""Price lists and quotes as the API shows and accepts them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import Connection

# The customer tiers as the customers API declares them (one GraphQL enum per domain enum).
from app.graphql.types.customers import CustomerTier
from app.graphql.types.orders import InvoiceType, Order, OrderLineInput, OrderLineKind
from app.pricing.fields import PriceListKind as PriceListKindEnum

PriceListKind = graphql_enum(PriceListKindEnum, "Retail, member, wholesale or tenant-defined prices.")


@strawberry.type(description="One product's price on a price list.")
class PriceListItem:
    product_id: strawberry.ID
    price: Decimal


@strawberry.type(
    description="Prices valid from validFrom to validTo (open-ended when empty) for the customers of a "
    "tier (every customer without a list of their own when tier is empty)."
)
class PriceList:
    id: strawberry.ID
    name: str
    kind: PriceListKind  # type: ignore[valid-type]
    tier: CustomerTier | None  # type: ignore[valid-type]
    valid_from: date
    valid_to: date | None
    note: str | None
    items: list[PriceListItem]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any, items: list[Any]) -> PriceList:
        return from_record(
            cls,
            r,
            items=[PriceListItem(product_id=strawberry.ID(str(i.product_id)), price=i.price) for i in items],
        )


@strawberry.type
class PriceListConnection(Connection[PriceList]):
    pass


@strawberry.input
class PriceListItemInput:
    product_id: strawberry.ID
    price: Decimal


@strawberry.input
class CreatePriceListInput:
    name: str
    valid_from: date
    kind: PriceListKind | None = strawberry.UNSET  # type: ignore[valid-type]
    tier: CustomerTier | None = strawberry.UNSET  # type: ignore[valid-type]
    valid_to: date | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    items: list[PriceListItemInput] | None = strawberry.UNSET


@strawberry.input(description="items, when given, replace the list's prices.")
class UpdatePriceListInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    name: str | None = strawberry.UNSET
    kind: PriceListKind | None = strawberry.UNSET  # type: ignore[valid-type]
    tier: CustomerTier | None = strawberry.UNSET  # type: ignore[valid-type]
    valid_from: date | None = strawberry.UNSET
    valid_to: date | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    items: list[PriceListItemInput] | None = strawberry.UNSET


@strawberry.type
class PriceListPayload:
    price_list: PriceList


PriceListResult = Annotated[
    PriceList | NotFoundError | PermissionDeniedError, strawberry.union("PriceListResult")
]
PriceListMutationResult = Annotated[
    PriceListPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("PriceListMutationResult"),
]


@strawberry.type(description="One line of a quote: amount = quantity × unitPrice × (1 − discount/100).")
class QuoteLine:
    id: strawberry.ID
    kind: OrderLineKind  # type: ignore[valid-type]
    product_id: strawberry.ID | None
    description: str | None
    quantity: int
    unit_price: Decimal = strawberry.field(description="From the quote's price list, else the list price.")
    discount: Decimal = strawberry.field(description="Percent off, 0 to 100.")
    amount: Decimal = strawberry.field(description="Negative for a trade-in.")

    @classmethod
    def from_model(cls, r: Any) -> QuoteLine:
        return from_record(cls, r)


@strawberry.type(description="An offer to a customer (报价单), on the tenant's quote workflow.")
class Quote:
    id: strawberry.ID
    number: str
    status: str = strawberry.field(description="The workflow state key (draft, sent, accepted...).")
    customer_id: strawberry.ID
    price_list_id: strawberry.ID | None
    owner_id: strawberry.ID | None
    valid_until: date
    total: Decimal = strawberry.field(description="The sum of the lines' amounts, VAT included.")
    tax_rate: Decimal = strawberry.field(description="VAT rate in percent.")
    tax: Decimal = strawberry.field(description="The VAT included in the total.")
    max_discount: Decimal
    note: str | None
    order_id: strawberry.ID | None = strawberry.field(description="The order the quote became.")
    lines: list[QuoteLine]
    pdf_url: str = strawberry.field(description="The printable PDF (signed-in staff, same host).")
    custom_fields: JSON
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any, lines: list[Any]) -> Quote:
        return from_record(
            cls, r, lines=[QuoteLine.from_model(line) for line in lines], pdf_url=f"/quotes/{r.id}/pdf"
        )


@strawberry.type
class QuoteConnection(Connection[Quote]):
    pass


@strawberry.input
class QuoteFilter:
    customer_id: strawberry.ID | None = None
    status: str | None = strawberry.field(default=None, description="A workflow state key.")
    search: str | None = strawberry.field(default=None, description="Quote number or note.")


@strawberry.input
class CreateQuoteInput:
    customer_id: strawberry.ID
    lines: list[OrderLineInput]
    price_list_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Empty: the customer's list today, if any."
    )
    valid_until: date | None = strawberry.field(default=strawberry.UNSET, description="Default: in 30 days.")
    tax_rate: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Default: 13.")
    note: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input(description="Lines, customer and price list change only while the quote is a draft.")
class UpdateQuoteInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    customer_id: strawberry.ID | None = strawberry.UNSET
    price_list_id: strawberry.ID | None = strawberry.UNSET
    lines: list[OrderLineInput] | None = strawberry.UNSET
    valid_until: date | None = strawberry.UNSET
    tax_rate: Decimal | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input(description="The order's own fields; the customer and lines come from the quote.")
class ConvertQuoteInput:
    id: strawberry.ID
    version: int
    warehouse_id: strawberry.ID = strawberry.field(description="Where the goods will ship from.")
    invoice_type: InvoiceType | None = strawberry.UNSET  # type: ignore[valid-type]
    invoice_title: str | None = strawberry.UNSET
    invoice_tax_no: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


@strawberry.type
class QuotePayload:
    quote: Quote


@strawberry.type
class ConvertQuotePayload:
    quote: Quote
    order: Order


QuoteResult = Annotated[Quote | NotFoundError | PermissionDeniedError, strawberry.union("QuoteResult")]
QuoteMutationResult = Annotated[
    QuotePayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("QuoteMutationResult"),
]
ConvertQuoteResult = Annotated[
    ConvertQuotePayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("ConvertQuoteResult"),
]
