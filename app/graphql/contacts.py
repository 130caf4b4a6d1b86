"""Mutations of customers' contacts and addresses (read through ``Customer.contacts`` / ``addresses``)."""

from __future__ import annotations

import strawberry

from app.addresses.service import AddressService
from app.contacts.service import ContactService
from app.graphql.kit import EntityFace, KitInfo, shown
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

CONTACTS = EntityFace(
    "contact", ContactService, shown(Contact.from_model), lambda contact: ContactPayload(contact=contact)
)
ADDRESSES = EntityFace(
    "address",
    AddressService,
    shown(CustomerAddress.from_model),
    lambda address: CustomerAddressPayload(address=address),
)


@strawberry.type
class ContactMutations:
    @strawberry.mutation(description="Add a contact to a company customer; the first one is the primary one.")
    async def create_contact(self, info: KitInfo, input: CreateContactInput) -> ContactMutationResult:
        return await CONTACTS.create(info, input)

    @strawberry.mutation(description="Change some fields of a contact, given the version you read.")
    async def update_contact(self, info: KitInfo, input: UpdateContactInput) -> ContactMutationResult:
        return await CONTACTS.update(info, input)

    @strawberry.mutation(description="Delete a contact (restoreContact brings it back).")
    async def delete_contact(self, info: KitInfo, id: strawberry.ID) -> ContactMutationResult:
        return await CONTACTS.delete(info, id)

    @strawberry.mutation(description="Bring a deleted contact back.")
    async def restore_contact(self, info: KitInfo, id: strawberry.ID) -> ContactMutationResult:
        return await CONTACTS.restore(info, id)

    @strawberry.mutation(description="Add an address to a customer; the first one is the default one.")
    async def create_customer_address(
        self, info: KitInfo, input: CreateCustomerAddressInput
    ) -> CustomerAddressMutationResult:
        return await ADDRESSES.create(info, input)

    @strawberry.mutation(description="Change some fields of an address, given the version you read.")
    async def update_customer_address(
        self, info: KitInfo, input: UpdateCustomerAddressInput
    ) -> CustomerAddressMutationResult:
        return await ADDRESSES.update(info, input)

    @strawberry.mutation(description="Delete an address (restoreCustomerAddress brings it back).")
    async def delete_customer_address(
        self, info: KitInfo, id: strawberry.ID
    ) -> CustomerAddressMutationResult:
        return await ADDRESSES.delete(info, id)

    @strawberry.mutation(description="Bring a deleted address back.")
    async def restore_customer_address(
        self, info: KitInfo, id: strawberry.ID
    ) -> CustomerAddressMutationResult:
        return await ADDRESSES.restore(info, id)
