"""Customer queries and mutations: parse the input, call the customer service, render the result."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.customers import models
from app.customers import service as customers
from app.customers.repository import encode_cursor
from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.kit import keyset_connection, mutate, query, query_one, record_id
from app.graphql.pagination import selected_node_fields
from app.graphql.types.customers import (
    CreateCustomerInput,
    Customer,
    CustomerConnection,
    CustomerFilterInput,
    CustomerMutationResult,
    CustomerOrderInput,
    CustomerPayload,
    CustomerResult,
    UpdateCustomerInput,
)

CustomerInfo = Info[GraphQLContext, None]
Operation = Callable[[AsyncSession, Actor], Awaitable[models.Customer]]


def _uuid(raw: str) -> uuid.UUID:
    return record_id(raw, customers.ENTITY)


async def _save(info: CustomerInfo, operation: Operation) -> CustomerMutationResult:
    """Run one customer service call as a mutation."""

    def shown(record: models.Customer) -> CustomerPayload:
        # Tags loaded earlier in this request (another mutation in the same document) are stale now.
        info.context.loaders.forget_customer(record.id)
        return CustomerPayload(customer=Customer.from_model(record))

    return await mutate(info, operation, shown)  # type: ignore[no-any-return]


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="One customer by id, if the caller may see it.")
    async def customer(self, info: CustomerInfo, id: strawberry.ID) -> CustomerResult:
        async def load(session: AsyncSession, actor: Actor) -> Customer:
            return Customer.from_model(await customers.get_customer(session, actor, _uuid(id)))

        return await query_one(info, load)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Customers the caller may see, newest first unless orderBy says otherwise. "
        "first is 1 to 100; out of range, or a cursor from another ordering, is a BAD_USER_INPUT error."
    )
    async def customers(
        self,
        info: CustomerInfo,
        first: int = 20,
        after: str | None = None,
        filter: CustomerFilterInput | None = None,
        order_by: CustomerOrderInput | None = None,
    ) -> CustomerConnection:
        order = (order_by or CustomerOrderInput()).to_domain()
        page = await query(
            info,
            lambda s, a: customers.list_customers(
                s, a, (filter or CustomerFilterInput()).to_domain(), order=order, first=first, after=after
            ),
        )
        wanted = selected_node_fields(info)
        related = await info.context.loaders.preload(
            page.items, owners="owner" in wanted, tags="tags" in wanted
        )
        return keyset_connection(
            CustomerConnection,
            page,
            after,
            lambda c: encode_cursor(c, order),
            lambda c: Customer.from_model(c, related),
        )

    @strawberry.field(description="Every tag name in use, alphabetical (for pickers and the tag filter).")
    async def tags(self, info: CustomerInfo) -> list[str]:
        return await query(info, customers.all_tag_names)  # type: ignore[no-any-return]


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(
        description="Create a customer; the caller owns it unless ownerId says otherwise. A customer "
        "matching an existing one (撞单) is a DuplicateCustomerError; confirmDuplicates saves it anyway "
        "where the tenant warns rather than refuses."
    )
    async def create_customer(
        self, info: CustomerInfo, input: CreateCustomerInput, confirm_duplicates: bool = False
    ) -> CustomerMutationResult:
        return await _save(
            info,
            lambda session, actor: customers.create_customer(
                session, actor, input.to_domain(), confirm_duplicates=confirm_duplicates
            ),
        )

    @strawberry.mutation(description="Change some fields of a customer, given the version you read.")
    async def update_customer(
        self, info: CustomerInfo, input: UpdateCustomerInput, confirm_duplicates: bool = False
    ) -> CustomerMutationResult:
        return await _save(
            info,
            lambda session, actor: customers.update_customer(
                session,
                actor,
                _uuid(input.id),
                input.version,
                input.to_domain(),
                confirm_duplicates=confirm_duplicates,
            ),
        )

    @strawberry.mutation(description="Move a customer to the recycle bin (restoreCustomer brings it back).")
    async def delete_customer(self, info: CustomerInfo, id: strawberry.ID) -> CustomerMutationResult:
        return await _save(info, lambda session, actor: customers.delete_customer(session, actor, _uuid(id)))

    @strawberry.mutation(description="Bring a customer back from the recycle bin.")
    async def restore_customer(self, info: CustomerInfo, id: strawberry.ID) -> CustomerMutationResult:
        return await _save(info, lambda session, actor: customers.restore_customer(session, actor, _uuid(id)))
