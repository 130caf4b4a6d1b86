"""Contacts of company customers and customer addresses as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.addresses.fields import AddressKind as AddressKindEnum
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum

AddressKind = graphql_enum(AddressKindEnum, "What an address is for: delivery, installation or billing.")


@strawberry.type(description="A person at a company customer.")
class Contact:
    id: strawberry.ID
    customer_id: strawberry.ID
    name: str
    title: str | None
    mobile: str | None
    email: str | None
    is_primary: bool = strawberry.field(description="One contact per customer is the primary one.")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, record: Any) -> Contact:
        return from_record(cls, record)


@strawberry.input
class CreateContactInput:
    customer_id: strawberry.ID = strawberry.field(description="A company customer.")
    name: str
    title: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input
class UpdateContactInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.type
class ContactPayload:
    contact: Contact


ContactMutationResult = Annotated[
    ContactPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("ContactMutationResult"),
]


@strawberry.type(description="A delivery, installation or billing address of a customer.")
class CustomerAddress:
    id: strawberry.ID
    customer_id: strawberry.ID
    kind: AddressKind  # type: ignore[valid-type]
    recipient: str | None
    phone: str | None
    province: str
    city: str | None
    district: str | None
    detail: str
    is_default: bool = strawberry.field(description="One address per customer is the default one.")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, record: Any) -> CustomerAddress:
        return from_record(cls, record)


@strawberry.input
class CreateCustomerAddressInput:
    customer_id: strawberry.ID
    kind: AddressKind = AddressKindEnum.DELIVERY  # type: ignore[valid-type]
    province: str
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    detail: str
    recipient: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET


@strawberry.input
class UpdateCustomerAddressInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    kind: AddressKind | None = strawberry.UNSET  # type: ignore[valid-type]
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    detail: str | None = strawberry.UNSET
    recipient: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET


@strawberry.type
class CustomerAddressPayload:
    address: CustomerAddress


CustomerAddressMutationResult = Annotated[
    CustomerAddressPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("CustomerAddressMutationResult"),
]
