"""Lead and pool queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error
from app.graphql.kit import mutate, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
from app.graphql.types.customers import Customer
from app.graphql.types.leads import (
    ConvertLeadPayload,
    ConvertLeadResult,
    CreateLeadInput,
    CustomerMovePayload,
    CustomerMoveResult,
    Lead,
    LeadConnection,
    LeadFilter,
    LeadMutationResult,
    LeadPayload,
    Pool,
    PoolCustomer,
    PoolCustomerConnection,
    UpdateLeadInput,
)
from app.kit.paging import Page
from app.leads.fields import LeadSource
from app.leads.pools import PoolService
from app.leads.service import LeadService, lead_conditions

KitInfo = Info[GraphQLContext, None]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    if raw is None or raw is strawberry.UNSET:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def _page_info(page: Page[Any], after: str | None) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=after is not None,
        start_cursor=None,
        end_cursor=page.end_cursor,
    )


@strawberry.type
class LeadQueries:
    @strawberry.field(description="Leads you can see, newest first; first is 1 to 100.")
    async def leads(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: LeadFilter | None = None
    ) -> LeadConnection:
        context = info.context
        given = filter or LeadFilter()
        async with context.db() as session:
            try:
                conditions = lead_conditions(
                    search=given.search,
                    status=given.status.value if given.status else None,
                    overdue=given.overdue,
                )
                page = await LeadService(session, context.actor).page(conditions, first=first, after=after)
            except DomainError as exc:
                raise client_error(exc) from None
            edges = [Edge(cursor=page.end_cursor or "", node=Lead.from_model(r)) for r in page.items]
        return LeadConnection(
            edges=edges,
            page_info=_page_info(page, after),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )

    @strawberry.field(description="The shared customer pools (公海) and how many customers sit in each.")
    async def pools(self, info: KitInfo) -> list[Pool]:
        context = info.context
        async with context.db() as session:
            try:
                views = await PoolService(session, context.actor).pools()
            except DomainError as exc:
                raise client_error(exc) from None
            return [
                Pool(
                    id=strawberry.ID(str(v.pool.id)),
                    name=v.pool.name,
                    team_id=strawberry.ID(str(v.pool.team_id)) if v.pool.team_id else None,
                    province=v.pool.province,
                    size=v.size,
                )
                for v in views
            ]

    @strawberry.field(
        description="Customers in a pool, latest arrivals first, basic data only; first is 1 to 100."
    )
    async def pool_customers(
        self, info: KitInfo, pool_id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> PoolCustomerConnection:
        context = info.context
        async with context.db() as session:
            try:
                page = await PoolService(session, context.actor).customers(
                    record_id(pool_id, "pool"), first=first, after=after
                )
            except DomainError as exc:
                raise client_error(exc) from None
        edges = [
            Edge(
                cursor=page.end_cursor or "",
                node=PoolCustomer(
                    id=strawberry.ID(str(c.id)),
                    name=c.name,
                    province=c.province,
                    city=c.city,
                    last_contact=c.last_contact,
                    entered_at=c.entered_at,
                ),
            )
            for c in page.items
        ]
        return PoolCustomerConnection(
            edges=edges,
            page_info=_page_info(page, after),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )


def _lead_values(data: Any) -> dict[str, Any]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "status" in values and values["status"] is not None:
        values["status"] = values["status"].value
    return values


@strawberry.type
class LeadMutations:
    @strawberry.mutation(
        description="Record a lead; without ownerId the tenant's assignment rules pick the owner."
    )
    async def create_lead(self, info: KitInfo, input: CreateLeadInput) -> LeadMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Lead:
            values = {
                **_lead_values(input),
                "source": LeadSource.API.value if actor.via == "token" else LeadSource.ADMIN.value,
            }
            return Lead.from_model(await LeadService(session, actor).create(values))

        return await mutate(info, run, lambda lead: LeadPayload(lead=lead))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change a lead, given the version you read.")
    async def update_lead(self, info: KitInfo, input: UpdateLeadInput) -> LeadMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Lead:
            record = await LeadService(session, actor).update(
                record_id(input.id, "lead"), input.version, _lead_values(input)
            )
            return Lead.from_model(record)

        return await mutate(info, run, lambda lead: LeadPayload(lead=lead))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Give a lead to ownerId, or by the assignment rules when ownerId is null."
    )
    async def assign_lead(
        self, info: KitInfo, id: strawberry.ID, version: int, owner_id: strawberry.ID | None = None
    ) -> LeadMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Lead:
            owner = _optional_id(owner_id, "owner_id")
            return Lead.from_model(
                await LeadService(session, actor).assign(record_id(id, "lead"), version, owner)
            )

        return await mutate(info, run, lambda lead: LeadPayload(lead=lead), input_prefix=())  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Make the lead a customer in one step. A match with an existing customer (撞单) is "
        "returned as DuplicateCustomerError and nothing is written; confirmDuplicates saves past a warning."
    )
    async def convert_lead(
        self, info: KitInfo, id: strawberry.ID, version: int, confirm_duplicates: bool = False
    ) -> ConvertLeadResult:
        async def run(session: AsyncSession, actor: Actor) -> ConvertLeadPayload:
            done = await LeadService(session, actor).convert(
                record_id(id, "lead"), version, confirm_duplicates=confirm_duplicates
            )
            return ConvertLeadPayload(
                lead=Lead.from_model(done.lead), customer=Customer.from_model(done.customer)
            )

        return await mutate(info, run, lambda payload: payload, input_prefix=())  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Claim a customer from a pool, within your cap; someone faster is named."
    )
    async def claim_customer(self, info: KitInfo, customer_id: strawberry.ID) -> CustomerMoveResult:
        async def run(session: AsyncSession, actor: Actor) -> CustomerMovePayload:
            customer = await PoolService(session, actor).claim(record_id(customer_id, "customer"))
            return CustomerMovePayload(customer=Customer.from_model(customer))

        return await mutate(info, run, lambda payload: payload, input_prefix=())  # type: ignore[no-any-return]

    @strawberry.mutation(description="Release a customer to a pool (poolId, else its home pool).")
    async def release_customer(
        self, info: KitInfo, customer_id: strawberry.ID, pool_id: strawberry.ID | None = None
    ) -> CustomerMoveResult:
        async def run(session: AsyncSession, actor: Actor) -> CustomerMovePayload:
            customer = await PoolService(session, actor).release(
                record_id(customer_id, "customer"), _optional_id(pool_id, "pool_id")
            )
            return CustomerMovePayload(customer=Customer.from_model(customer))

        return await mutate(info, run, lambda payload: payload, input_prefix=())  # type: ignore[no-any-return]
