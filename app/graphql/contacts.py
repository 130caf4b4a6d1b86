"""Mutations of customers' contacts and addresses (read through ``Customer.contacts`` / ``addresses``)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.addresses.service import AddressService
from app.contacts.service import ContactService
from app.graphql.context import GraphQLContext
from app.graphql.kit import mutate, record_id, values_of
from app.graphql.types.contacts import (
    Contact,
    ContactMutationResult,
    ContactPayload,
    CreateContactInput,
    CreateCustomerAddressInput,
    CustomerAddress,
    CustomerAddressMutationResult,
    CustomerAddressPayload,
    UpdateContactInput,
    UpdateCustomerAddressInput,
)

KitInfo = Info[GraphQLContext, None]


def _contact(record: object) -> ContactPayload:
    return ContactPayload(contact=Contact.from_model(record))


def _address(record: object) -> CustomerAddressPayload:
    return CustomerAddressPayload(address=CustomerAddress.from_model(record))


def _changes(data: object) -> dict[str, object]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    return values


@strawberry.type
class ContactMutations:
    @strawberry.mutation(description="Add a contact to a company customer; the first one is the primary one.")
    async def create_contact(self, info: KitInfo, input: CreateContactInput) -> ContactMutationResult:
        return await mutate(info, lambda s, a: ContactService(s, a).create(values_of(input)), _contact)

    @strawberry.mutation(description="Change some fields of a contact, given the version you read.")
    async def update_contact(self, info: KitInfo, input: UpdateContactInput) -> ContactMutationResult:
        return await mutate(
            info,
            lambda s, a: ContactService(s, a).update(
                record_id(input.id, "contact"), input.version, _changes(input)
            ),
            _contact,
        )

    @strawberry.mutation(description="Delete a contact (restoreContact brings it back).")
    async def delete_contact(self, info: KitInfo, id: strawberry.ID) -> ContactMutationResult:
        return await mutate(
            info, lambda s, a: ContactService(s, a).delete(record_id(id, "contact")), _contact
        )

    @strawberry.mutation(description="Bring a deleted contact back.")
    async def restore_contact(self, info: KitInfo, id: strawberry.ID) -> ContactMutationResult:
        return await mutate(
            info, lambda s, a: ContactService(s, a).restore(record_id(id, "contact")), _contact
        )

    @strawberry.mutation(description="Add an address to a customer; the first one is the default one.")
    async def create_customer_address(
        self, info: KitInfo, input: CreateCustomerAddressInput
    ) -> CustomerAddressMutationResult:
        return await mutate(info, lambda s, a: AddressService(s, a).create(values_of(input)), _address)

    @strawberry.mutation(description="Change some fields of an address, given the version you read.")
    async def update_customer_address(
        self, info: KitInfo, input: UpdateCustomerAddressInput
    ) -> CustomerAddressMutationResult:
        return await mutate(
            info,
            lambda s, a: AddressService(s, a).update(
                record_id(input.id, "address"), input.version, _changes(input)
            ),
            _address,
        )

    @strawberry.mutation(description="Delete an address (restoreCustomerAddress brings it back).")
    async def delete_customer_address(
        self, info: KitInfo, id: strawberry.ID
    ) -> CustomerAddressMutationResult:
        return await mutate(
            info, lambda s, a: AddressService(s, a).delete(record_id(id, "address")), _address
        )

    @strawberry.mutation(description="Bring a deleted address back.")
    async def restore_customer_address(
        self, info: KitInfo, id: strawberry.ID
    ) -> CustomerAddressMutationResult:
        return await mutate(
            info, lambda s, a: AddressService(s, a).restore(record_id(id, "address")), _address
        )
