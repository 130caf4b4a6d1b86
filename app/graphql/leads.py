"""Lead and pool queries and mutations: parse the input, call the services, render the result."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.graphql.kit import (
    EntityFace,
    KitInfo,
    connection,
    from_record,
    input_values,
    mutate,
    optional_id,
    query,
    record_id,
    shown,
)
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
from app.leads.fields import LeadSource
from app.leads.pools import PoolService
from app.leads.service import LeadService, lead_conditions


def _lead_values(data: Any) -> dict[str, Any]:
    values = input_values(data)
    if "status" in values and values["status"] is not None:
        values["status"] = values["status"].value
    return values


LEADS = EntityFace("lead", LeadService, shown(Lead.from_model), lambda lead: LeadPayload(lead=lead))


@strawberry.type
class LeadQueries:
    @strawberry.field(description="Leads you can see, newest first; first is 1 to 100.")
    async def leads(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: LeadFilter | None = None
    ) -> LeadConnection:
        given = filter or LeadFilter()
        return await LEADS.page(
            info,
            LeadConnection,
            first,
            after,
            lambda session: lead_conditions(
                search=given.search,
                status=given.status.value if given.status else None,
                overdue=given.overdue,
            ),
        )

    @strawberry.field(description="The shared customer pools (公海) and how many customers sit in each.")
    async def pools(self, info: KitInfo) -> list[Pool]:
        views = await query(info, lambda s, a: PoolService(s, a).pools())
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
        page = await query(
            info,
            lambda s, a: PoolService(s, a).customers(record_id(pool_id, "pool"), first=first, after=after),
        )
        return connection(
            PoolCustomerConnection, page, after, (from_record(PoolCustomer, c) for c in page.items)
        )


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
            return await LEADS.show(session, actor, await LeadService(session, actor).create(values))

        return await mutate(info, run, LEADS.payload)

    @strawberry.mutation(description="Change a lead, given the version you read.")
    async def update_lead(self, info: KitInfo, input: UpdateLeadInput) -> LeadMutationResult:
        return await LEADS.run(
            info, lambda leads: leads.update(LEADS.id_of(input.id), input.version, _lead_values(input))
        )

    @strawberry.mutation(
        description="Give a lead to ownerId, or by the assignment rules when ownerId is null."
    )
    async def assign_lead(
        self, info: KitInfo, id: strawberry.ID, version: int, owner_id: strawberry.ID | None = None
    ) -> LeadMutationResult:
        return await LEADS.run(
            info,
            lambda leads: leads.assign(LEADS.id_of(id), version, optional_id(owner_id, "owner_id")),
            input_prefix=(),
        )

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

        return await mutate(info, run, lambda payload: payload, input_prefix=())

    @strawberry.mutation(
        description="Claim a customer from a pool, within your cap; someone faster is named."
    )
    async def claim_customer(self, info: KitInfo, customer_id: strawberry.ID) -> CustomerMoveResult:
        async def run(session: AsyncSession, actor: Actor) -> CustomerMovePayload:
            customer = await PoolService(session, actor).claim(record_id(customer_id, "customer"))
            return CustomerMovePayload(customer=Customer.from_model(customer))

        return await mutate(info, run, lambda payload: payload, input_prefix=())

    @strawberry.mutation(description="Release a customer to a pool (poolId, else its home pool).")
    async def release_customer(
        self, info: KitInfo, customer_id: strawberry.ID, pool_id: strawberry.ID | None = None
    ) -> CustomerMoveResult:
        async def run(session: AsyncSession, actor: Actor) -> CustomerMovePayload:
            customer = await PoolService(session, actor).release(
                record_id(customer_id, "customer"), optional_id(pool_id, "pool_id")
            )
            return CustomerMovePayload(customer=Customer.from_model(customer))

        return await mutate(info, run, lambda payload: payload, input_prefix=())
