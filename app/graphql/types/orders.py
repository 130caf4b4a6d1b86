"""Orders, their lines, payment plans and payments as the API shows and accepts them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import Connection
from app.orders.fields import InvoiceType as InvoiceTypeEnum
from app.orders.fields import LineKind as LineKindEnum
from app.orders.fields import PaymentMethod as PaymentMethodEnum
from app.orders.fields import PlanKind as PlanKindEnum
from app.orders.fields import StockState as StockStateEnum
from app.orders.lines import delivery_text

OrderLineKind = graphql_enum(
    LineKindEnum, "A product sold, or a trade-in (以旧换新) with a negative amount.", "OrderLineKind"
)
InvoiceType = graphql_enum(InvoiceTypeEnum, "No invoice, an ordinary or a special VAT invoice.")
OrderStock = graphql_enum(StockStateEnum, "Where the order's goods stand in the stock ledger.", "OrderStock")
PaymentMethod = graphql_enum(PaymentMethodEnum, "Cash, bank transfer, WeChat Pay, Alipay or card.")
PaymentPlanKind = graphql_enum(PlanKindEnum, "A deposit, an instalment or the balance.", "PaymentPlanKind")


@strawberry.type(description="One line of an order: amount = quantity × unitPrice × (1 − discount/100).")
class OrderLine:
    id: strawberry.ID
    kind: OrderLineKind  # type: ignore[valid-type]
    product_id: strawberry.ID | None
    description: str | None = strawberry.field(description="A trade-in's old unit (brand, model, age).")
    quantity: int
    unit_price: Decimal
    discount: Decimal = strawberry.field(description="Percent off, 0 to 100.")
    amount: Decimal = strawberry.field(description="Negative for a trade-in.")
    serial_numbers: list[str] = strawberry.field(description="The units shipped on this line.")

    @classmethod
    def from_model(cls, r: Any) -> OrderLine:
        return from_record(cls, r)


DELIVERY_PARTS = ("province", "city", "district", "detail", "recipient", "phone")


@strawberry.type(
    description="Where an order's goods go: official province/city/district names, street, recipient."
)
class DeliveryAddress:
    province: str
    city: str | None
    district: str | None
    detail: str | None
    recipient: str | None
    phone: str | None
    text: str = strawberry.field(description="The whole address as one line.")

    @classmethod
    def from_model(cls, r: Any) -> DeliveryAddress | None:
        if not r.delivery_province:
            return None
        parts = {part: getattr(r, f"delivery_{part}") for part in DELIVERY_PARTS}
        return cls(**parts, text=delivery_text(r))


@strawberry.input(
    description="A delivery address: province, city and district as the official divisions name them "
    "(the district in the city, the city in the province), the street, who receives the goods."
)
class DeliveryAddressInput:
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    detail: str | None = strawberry.UNSET
    recipient: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET


def delivery_input(values: dict[str, Any]) -> dict[str, Any]:
    """An order input's ``deliveryAddress`` as the service's ``delivery_*`` fields (null: none)."""
    if "delivery_address" not in values:
        return values
    given = values.pop("delivery_address")
    if given is None:
        values.update({f"delivery_{part}": None for part in DELIVERY_PARTS})
    else:
        values.update({f"delivery_{k}": v for k, v in vars(given).items() if v is not strawberry.UNSET})
    return values


@strawberry.type(description="A sale to a customer, on the tenant's order workflow.")
class Order:
    id: strawberry.ID
    number: str
    status: str = strawberry.field(description="The workflow state key (draft, submitted, approved...).")
    customer_id: strawberry.ID
    warehouse_id: strawberry.ID = strawberry.field(
        description="Where the goods are reserved and shipped from."
    )
    owner_id: strawberry.ID | None
    total: Decimal = strawberry.field(description="The sum of the lines' amounts.")
    max_discount: Decimal = strawberry.field(description="The largest line discount, in percent.")
    paid: Decimal
    owed: Decimal = strawberry.field(description="total − paid, never below zero.")
    stock: OrderStock  # type: ignore[valid-type]
    invoice_type: InvoiceType  # type: ignore[valid-type]
    invoice_title: str | None = strawberry.field(description="发票抬头.")
    invoice_tax_no: str | None = strawberry.field(description="纳税人识别号.")
    note: str | None
    delivery_address: DeliveryAddress | None = strawberry.field(
        description="Where the goods go; delivery booking starts from it."
    )
    lines: list[OrderLine]
    custom_fields: JSON = strawberry.field(description="Values of the tenant's custom fields, by key.")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any, lines: list[Any]) -> Order:
        return from_record(
            cls,
            r,
            owed=max(r.total - r.paid, Decimal("0.00")),
            delivery_address=DeliveryAddress.from_model(r),
            lines=[OrderLine.from_model(line) for line in lines],
        )


@strawberry.type
class OrderConnection(Connection[Order]):
    pass


@strawberry.input
class OrderFilter:
    customer_id: strawberry.ID | None = None
    status: str | None = strawberry.field(default=None, description="A workflow state key.")
    search: str | None = strawberry.field(default=None, description="Order number, invoice title or note.")


@strawberry.input(
    description="A product line (productId, quantity, optional unitPrice and discount) or a trade-in."
)
class OrderLineInput:
    kind: OrderLineKind | None = strawberry.UNSET  # type: ignore[valid-type]
    product_id: strawberry.ID | None = strawberry.UNSET
    quantity: int | None = strawberry.UNSET
    unit_price: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Empty: the product's list price. A trade-in's value."
    )
    discount: Decimal | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class CreateOrderInput:
    customer_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[OrderLineInput]
    invoice_type: InvoiceType | None = strawberry.UNSET  # type: ignore[valid-type]
    invoice_title: str | None = strawberry.UNSET
    invoice_tax_no: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    delivery_address: DeliveryAddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where the goods go (null: no address)."
    )
    delivery_address_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="One of the customer's addresses, copied into the delivery address fields not given.",
    )
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input(description="Lines, customer and warehouse change only while the order is a draft.")
class UpdateOrderInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    customer_id: strawberry.ID | None = strawberry.UNSET
    warehouse_id: strawberry.ID | None = strawberry.UNSET
    lines: list[OrderLineInput] | None = strawberry.UNSET
    invoice_type: InvoiceType | None = strawberry.UNSET  # type: ignore[valid-type]
    invoice_title: str | None = strawberry.UNSET
    invoice_tax_no: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    delivery_address: DeliveryAddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where the goods go (null: no address)."
    )
    delivery_address_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="One of the customer's addresses, copied into the delivery address fields not given.",
    )
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.type
class OrderPayload:
    order: Order


OrderResult = Annotated[Order | NotFoundError | PermissionDeniedError, strawberry.union("OrderResult")]
OrderMutationResult = Annotated[
    OrderPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("OrderMutationResult"),
]


@strawberry.type(description="Money received against an order (回款).")
class Payment:
    id: strawberry.ID
    order_id: strawberry.ID
    customer_id: strawberry.ID
    amount: Decimal
    method: PaymentMethod  # type: ignore[valid-type]
    received_on: date
    reference: str | None = strawberry.field(description="The bank's or the wallet's transaction number.")
    overpayment: bool = strawberry.field(description="Taken beyond what the order owed, knowingly.")
    note: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Payment:
        return from_record(cls, r)


@strawberry.type(description="What the customer is to pay and when.")
class PaymentPlanLine:
    kind: PaymentPlanKind  # type: ignore[valid-type]
    due_on: date
    amount: Decimal

    @classmethod
    def from_model(cls, r: Any) -> PaymentPlanLine:
        return from_record(cls, r)


@strawberry.type(description="An order's payment plan and the payments received, oldest first.")
class OrderPayments:
    order: Order
    plan: list[PaymentPlanLine]
    payments: list[Payment]


OrderPaymentsResult = Annotated[
    OrderPayments | NotFoundError | PermissionDeniedError, strawberry.union("OrderPaymentsResult")
]


@strawberry.input
class RecordPaymentInput:
    order_id: strawberry.ID
    amount: Decimal
    method: PaymentMethod  # type: ignore[valid-type]
    received_on: date | None = strawberry.field(default=strawberry.UNSET, description="Default: today.")
    reference: str | None = strawberry.UNSET
    overpayment: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Accept more than the order owes."
    )
    note: str | None = strawberry.UNSET


@strawberry.type
class PaymentPayload:
    payment: Payment
    order: Order


PaymentMutationResult = Annotated[
    PaymentPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("PaymentMutationResult"),
]


@strawberry.input
class PaymentPlanLineInput:
    kind: PaymentPlanKind  # type: ignore[valid-type]
    due_on: date
    amount: Decimal


@strawberry.input(description="The whole plan; its amounts add up to the order total.")
class SetPaymentPlanInput:
    order_id: strawberry.ID
    version: int
    lines: list[PaymentPlanLineInput]


@strawberry.type(description="What one customer owes on approved orders, and how much of it is overdue.")
class Receivable:
    customer_id: strawberry.ID
    customer_name: str
    total: Decimal
    paid: Decimal
    balance: Decimal
    overdue: Decimal = strawberry.field(description="Due by the payment plans before today and not yet paid.")
    orders: int
