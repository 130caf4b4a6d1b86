"""Opportunity, pipeline, contract, target and forecast queries and mutations: parse the input,
call the services, render the result."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import (
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VersionConflictError,
    client_error,
    error_type,
)
from app.graphql.kit import mutate, read_only_refusal, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
from app.graphql.types.opportunities import (
    Contract,
    ContractConnection,
    ContractFilter,
    ContractMutationResult,
    ContractPayload,
    ContractResult,
    CreateContractInput,
    CreateOpportunityInput,
    Forecast,
    ForecastRow,
    Opportunity,
    OpportunityConnection,
    OpportunityFilter,
    OpportunityMutationResult,
    OpportunityPayload,
    OpportunityResult,
    PipelineStage,
    SalesTarget,
    SalesTargetPayload,
    SetSalesTargetInput,
    SetSalesTargetResult,
    StageStay,
    UpdateContractInput,
    UpdateOpportunityInput,
)
from app.graphql.types.orders import Order, OrderMutationResult, OrderPayload
from app.graphql.types.workflows import GuardFailedError, NotAllowedTransitionError, refusal
from app.graphql.workflows import transition_mutation
from app.i18n import locale_var
from app.kit.fields import Errors
from app.opportunities.contracts import ContractService, contract_conditions
from app.opportunities.entity import CONTRACT, OPPORTUNITY
from app.opportunities.forecast import SalesTargets, parse_month
from app.opportunities.service import OpportunityService, opportunity_conditions
from app.orders.service import OrderService
from app.workflows.errors import GuardFailed, NotAllowedTransition

KitInfo = Info[GraphQLContext, None]

MoveOpportunityResult = Annotated[
    OpportunityPayload
    | NotAllowedTransitionError
    | GuardFailedError
    | ValidationError
    | NotFoundError
    | PermissionDeniedError
    | VersionConflictError,
    strawberry.union("MoveOpportunityResult"),
]


def _optional_id(raw: Any, field: str) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_id", "is not a valid id")]) from exc


def _values(data: Any) -> dict[str, Any]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    if "custom_fields" in values:
        values["custom"] = values.pop("custom_fields")
    if isinstance(values.get("products"), list):
        values["products"] = [values_of(p) for p in values["products"]]
    return values


async def _opportunities(service: OpportunityService, records: list[Any]) -> list[Opportunity]:
    stages = {s.key: s.probability for s in await service.stages()}
    products = await service.products([r.id for r in records])
    return [Opportunity.from_model(r, products[r.id], stages.get(r.stage, 0)) for r in records]


async def _one(session: AsyncSession, actor: Actor, record: Any) -> Opportunity:
    return (await _opportunities(OpportunityService(session, actor), [record]))[0]


async def _transition_contract(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, to: str, version: int, note: str | None
) -> Contract:
    return Contract.from_model(
        await ContractService(session, actor).transition(contract_id, to, version, note)
    )


async def _transition_opportunity(
    session: AsyncSession, actor: Actor, deal_id: uuid.UUID, to: str, version: int, note: str | None
) -> Opportunity:
    record = await OpportunityService(session, actor).move(deal_id, to, version, note=note)
    return await _one(session, actor, record)


def _page_info(page: Any, after: str | None) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=after is not None,
        start_cursor=None,
        end_cursor=page.end_cursor,
    )


def _month(raw: str) -> date:
    errors = Errors()
    month = parse_month(errors, "month", raw)
    errors.raise_if_any()
    assert month is not None
    return month


@strawberry.type
class OpportunityQueries:
    @strawberry.field(description="Deals you can see, newest first; first is 1 to 100.")
    async def opportunities(
        self,
        info: KitInfo,
        first: int = 20,
        after: str | None = None,
        filter: OpportunityFilter | None = None,
    ) -> OpportunityConnection:
        context = info.context
        given = filter or OpportunityFilter()
        async with context.db() as session:
            try:
                conditions = opportunity_conditions(
                    customer_id=_optional_id(given.customer_id, "filter.customerId"),
                    owner_id=_optional_id(given.owner_id, "filter.ownerId"),
                    stage=given.stage,
                    close_from=given.close_from,
                    close_to=given.close_to,
                    search=given.search,
                )
                service = OpportunityService(session, context.actor)
                page = await service.page(conditions, first=first, after=after)
                nodes = await _opportunities(service, list(page.items))
            except DomainError as exc:
                raise client_error(exc) from None
        return OpportunityConnection(
            edges=[Edge(cursor=page.end_cursor or "", node=n) for n in nodes],
            page_info=_page_info(page, after),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )

    @strawberry.field(description="One deal by id, with its products of interest.")
    async def opportunity(self, info: KitInfo, id: strawberry.ID) -> OpportunityResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await OpportunityService(session, context.actor).get(record_id(id, "opportunity"))
                return await _one(session, context.actor, record)
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]

    @strawberry.field(description="A deal's stays in each stage, oldest first (the last is the current one).")
    async def opportunity_stage_history(self, info: KitInfo, id: strawberry.ID) -> list[StageStay]:
        context = info.context
        async with context.db() as session:
            try:
                service = OpportunityService(session, context.actor)
                stays = await service.history(await service.get(record_id(id, "opportunity")))
            except DomainError as exc:
                raise client_error(exc) from None
        return [
            StageStay(stage=s.stage, entered_at=s.entered, left_at=s.left, days=s.days(), moved_by=s.moved_by)
            for s in stays
        ]

    @strawberry.field(description="The stages of the tenant's sales pipeline, in board order.")
    async def pipeline_stages(self, info: KitInfo) -> list[PipelineStage]:
        context = info.context
        async with context.db() as session:
            try:
                service = OpportunityService(session, context.actor)
                service.require("read")
                stages = await service.stages()
            except DomainError as exc:
                raise client_error(exc) from None
        locale = locale_var.get()
        return [
            PipelineStage(key=s.key, label=s.label_in(locale), category=s.category, probability=s.probability)
            for s in stages
        ]

    @strawberry.field(description="Contracts you can see, newest first; first is 1 to 100.")
    async def contracts(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: ContractFilter | None = None
    ) -> ContractConnection:
        context = info.context
        given = filter or ContractFilter()
        async with context.db() as session:
            try:
                conditions = contract_conditions(
                    customer_id=_optional_id(given.customer_id, "filter.customerId"),
                    opportunity_id=_optional_id(given.opportunity_id, "filter.opportunityId"),
                    status=given.status,
                    ends_before=given.ends_before,
                    search=given.search,
                )
                page = await ContractService(session, context.actor).page(
                    conditions, first=first, after=after
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return ContractConnection(
            edges=[Edge(cursor=page.end_cursor or "", node=Contract.from_model(c)) for c in page.items],
            page_info=_page_info(page, after),
            total_count=page.total,
            total_count_is_capped=page.total_capped,
        )

    @strawberry.field(description="One contract by id.")
    async def contract(self, info: KitInfo, id: strawberry.ID) -> ContractResult:
        context = info.context
        async with context.db() as session:
            try:
                record = await ContractService(session, context.actor).get(record_id(id, "contract"))
            except DomainError as exc:
                return error_type(exc, input_prefix=())  # type: ignore[return-value]
        return Contract.from_model(record)

    @strawberry.field(
        description="Monthly targets you can see, from `month` (YYYY-MM) for `months` months (1-12)."
    )
    async def targets(self, info: KitInfo, month: str, months: int = 1) -> list[SalesTarget]:
        context = info.context
        async with context.db() as session:
            try:
                found = await SalesTargets(session, context.actor).targets(_month(month), months)
            except DomainError as exc:
                raise client_error(exc) from None
        return [SalesTarget.from_model(t) for t in found]

    @strawberry.field(
        description="The weighted pipeline by expected close month against the targets, per person, team "
        "and in total, in your scope: from `month` (YYYY-MM) for `months` months (1-12)."
    )
    async def forecast(self, info: KitInfo, month: str, months: int = 3) -> Forecast:
        context = info.context
        async with context.db() as session:
            try:
                found = await SalesTargets(session, context.actor).forecast(_month(month), months)
            except DomainError as exc:
                raise client_error(exc) from None
        return Forecast(
            months=found.months,
            people=[ForecastRow.from_row(r, found.months) for r in found.people],
            teams=[ForecastRow.from_row(r, found.months) for r in found.teams],
            total=ForecastRow.from_row(found.total, found.months),
        )


@strawberry.type
class OpportunityMutations:
    @strawberry.mutation(description="Open a deal for a customer you can see, in the pipeline's first stage.")
    async def create_opportunity(
        self, info: KitInfo, input: CreateOpportunityInput
    ) -> OpportunityMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Opportunity:
            return await _one(session, actor, await OpportunityService(session, actor).create(_values(input)))

        return await mutate(info, run, lambda o: OpportunityPayload(opportunity=o))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change a deal, given the version you read (not its stage).")
    async def update_opportunity(
        self, info: KitInfo, input: UpdateOpportunityInput
    ) -> OpportunityMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Opportunity:
            service = OpportunityService(session, actor)
            record = await service.update(record_id(input.id, "opportunity"), input.version, _values(input))
            return await _one(session, actor, record)

        return await mutate(info, run, lambda o: OpportunityPayload(opportunity=o))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Move a deal to another pipeline stage (`to` is a stage key), given the version you "
        "read; moving to a lost stage takes the lostReason. Refused with GuardFailedError naming what "
        "is missing or NotAllowedTransitionError; nothing changes then."
    )
    async def move_opportunity(
        self,
        info: KitInfo,
        id: strawberry.ID,
        to: str,
        version: int,
        lost_reason: str | None = None,
        note: str | None = None,
    ) -> MoveOpportunityResult:
        context = info.context
        if (denied := read_only_refusal(context.actor)) is not None:
            return denied  # type: ignore[return-value]
        async with context.db() as session:
            try:
                service = OpportunityService(session, context.actor)
                record = await service.move(
                    record_id(id, "opportunity"), to, version, lost_reason=lost_reason, note=note
                )
                return OpportunityPayload(opportunity=await _one(session, context.actor, record))  # type: ignore[return-value]
            except (NotAllowedTransition, GuardFailed) as exc:
                await session.rollback()
                return refusal(exc)  # type: ignore[return-value]
            except DomainError as exc:
                await session.rollback()
                return error_type(exc, input_prefix=())  # type: ignore[return-value]

    transition_opportunity = transition_mutation(
        OPPORTUNITY, _transition_opportunity, OpportunityPayload, lambda o: OpportunityPayload(opportunity=o)
    )

    @strawberry.mutation(
        description="Create the order of a won deal (its products at the quoted prices); once per deal."
    )
    async def create_order_from_opportunity(
        self, info: KitInfo, id: strawberry.ID, warehouse_id: strawberry.ID
    ) -> OrderMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Order:
            order = await OpportunityService(session, actor).convert_to_order(
                record_id(id, "opportunity"), str(warehouse_id)
            )
            lines = await OrderService(session, actor).lines([order.id])
            return Order.from_model(order, lines[order.id])

        return await mutate(info, run, lambda o: OrderPayload(order=o), input_prefix=())  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Record a contract with a customer you can see (its opportunity or order linked)."
    )
    async def create_contract(self, info: KitInfo, input: CreateContractInput) -> ContractMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Contract:
            return Contract.from_model(await ContractService(session, actor).create(_values(input)))

        return await mutate(info, run, lambda c: ContractPayload(contract=c))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change a contract, given the version you read (not its status).")
    async def update_contract(self, info: KitInfo, input: UpdateContractInput) -> ContractMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Contract:
            record = await ContractService(session, actor).update(
                record_id(input.id, "contract"), input.version, _values(input)
            )
            return Contract.from_model(record)

        return await mutate(info, run, lambda c: ContractPayload(contract=c))  # type: ignore[no-any-return]

    transition_contract = transition_mutation(
        CONTRACT, _transition_contract, ContractPayload, lambda c: ContractPayload(contract=c)
    )

    @strawberry.mutation(description="Set a month's target of a salesperson or a team you manage.")
    async def set_sales_target(self, info: KitInfo, input: SetSalesTargetInput) -> SetSalesTargetResult:
        async def run(session: AsyncSession, actor: Actor) -> SalesTarget:
            return SalesTarget.from_model(await SalesTargets(session, actor).set_target(values_of(input)))

        return await mutate(info, run, lambda t: SalesTargetPayload(target=t))  # type: ignore[no-any-return]
