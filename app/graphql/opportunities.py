"""Opportunity, pipeline, contract, target and forecast queries and mutations: parse the input,
call the services, render the result."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import (
    EntityFace,
    KitInfo,
    mutate,
    optional_id,
    query,
    shown,
    values_of,
)
from app.graphql.orders import ORDERS
from app.graphql.types.opportunities import (
    Contract,
    ContractConnection,
    ContractFilter,
    ContractMutationResult,
    ContractPayload,
    ContractResult,
    CreateContractInput,
    CreateOpportunityInput,
    CreatePipelineInput,
    Forecast,
    ForecastRow,
    Opportunity,
    OpportunityConnection,
    OpportunityFilter,
    OpportunityMutationResult,
    OpportunityPayload,
    OpportunityResult,
    Pipeline,
    PipelinePayload,
    PipelineResult,
    PipelineStage,
    SalesTarget,
    SalesTargetPayload,
    SetSalesTargetInput,
    SetSalesTargetResult,
    StageStay,
    UpdateContractInput,
    UpdateOpportunityInput,
    UpdatePipelineInput,
)
from app.graphql.types.orders import Order, OrderMutationResult
from app.graphql.types.workflows import GuardFailedError, NotAllowedTransitionError, move_refusal
from app.graphql.workflows import transition_mutation
from app.i18n import locale_var
from app.kit.fields import Errors
from app.opportunities.contracts import ContractService, contract_conditions
from app.opportunities.entity import CONTRACT, OPPORTUNITY
from app.opportunities.forecast import SalesTargets, parse_month
from app.opportunities.service import OpportunityService, PipelineView, opportunity_conditions
from app.workflows import pipelines

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


def _pipeline(view: PipelineView) -> Pipeline:
    locale = locale_var.get()
    return Pipeline(
        key=view.key,
        name=view.name,
        position=view.position,
        archived=view.archived,
        is_default=view.is_default,
        stages=[
            PipelineStage(key=s.key, label=s.label_in(locale), category=s.category, probability=s.probability)
            for s in view.stages
        ],
    )


async def _pipelines(session: AsyncSession, actor: Actor, *, archived: bool = True) -> list[Pipeline]:
    return [_pipeline(v) for v in await OpportunityService(session, actor).pipelines(archived=archived)]


async def _pipeline_by_key(session: AsyncSession, actor: Actor, key: str) -> Pipeline:
    return next(p for p in await _pipelines(session, actor) if p.key == key)


async def _opportunities(session: AsyncSession, actor: Actor, records: list[Any]) -> list[Opportunity]:
    service = OpportunityService(session, actor)
    shown = {p.key: p for p in await _pipelines(session, actor)}
    stages = {(k, s.key): s.probability for k, p in shown.items() for s in p.stages}
    products = await service.products([r.id for r in records])
    return [
        Opportunity.from_model(r, products[r.id], stages.get((r.pipeline, r.stage), 0), shown[r.pipeline])
        for r in records
    ]


async def _transition_opportunity(
    session: AsyncSession, actor: Actor, deal_id: uuid.UUID, to: str, version: int, note: str | None
) -> Opportunity:
    return await OPPORTUNITIES.apply(
        session, actor, lambda deals: deals.move(deal_id, to, version, note=note)
    )


OPPORTUNITIES = EntityFace(
    "opportunity",
    OpportunityService,
    _opportunities,
    lambda o: OpportunityPayload(opportunity=o),
    ("products",),
)
CONTRACTS = EntityFace(
    "contract", ContractService, shown(Contract.from_model), lambda c: ContractPayload(contract=c)
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
        given = filter or OpportunityFilter()
        return await OPPORTUNITIES.page(
            info,
            OpportunityConnection,
            first,
            after,
            lambda session: opportunity_conditions(
                customer_id=optional_id(given.customer_id, "filter.customerId"),
                owner_id=optional_id(given.owner_id, "filter.ownerId"),
                pipeline=given.pipeline,
                stage=given.stage,
                close_from=given.close_from,
                close_to=given.close_to,
                search=given.search,
            ),
        )

    @strawberry.field(description="One deal by id, with its products of interest.")
    async def opportunity(self, info: KitInfo, id: strawberry.ID) -> OpportunityResult:
        return await OPPORTUNITIES.one(info, id)

    @strawberry.field(description="A deal's stays in each stage, oldest first (the last is the current one).")
    async def opportunity_stage_history(self, info: KitInfo, id: strawberry.ID) -> list[StageStay]:
        async def load(session: AsyncSession, actor: Actor) -> Any:
            service = OpportunityService(session, actor)
            return await service.history(await service.get(OPPORTUNITIES.id_of(id)))

        stays = await query(info, load)
        return [
            StageStay(stage=s.stage, entered_at=s.entered, left_at=s.left, days=s.days(), moved_by=s.moved_by)
            for s in stays
        ]

    @strawberry.field(
        description="The tenant's sales pipelines in switcher order, each with its stages; "
        "archived: false leaves out the archived ones."
    )
    async def pipelines(self, info: KitInfo, archived: bool = True) -> list[Pipeline]:
        async def load(session: AsyncSession, actor: Actor) -> list[Pipeline]:
            OpportunityService(session, actor).require("read")
            return await _pipelines(session, actor, archived=archived)

        return await query(info, load)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The stages of a sales pipeline (a key; empty: the default one), in board order."
    )
    async def pipeline_stages(self, info: KitInfo, pipeline: str | None = None) -> list[PipelineStage]:
        async def load(session: AsyncSession, actor: Actor) -> Any:
            service = OpportunityService(session, actor)
            service.require("read")
            return await service.stages(pipeline)

        stages = await query(info, load)
        locale = locale_var.get()
        return [
            PipelineStage(key=s.key, label=s.label_in(locale), category=s.category, probability=s.probability)
            for s in stages
        ]

    @strawberry.field(description="Contracts you can see, newest first; first is 1 to 100.")
    async def contracts(
        self, info: KitInfo, first: int = 20, after: str | None = None, filter: ContractFilter | None = None
    ) -> ContractConnection:
        given = filter or ContractFilter()
        return await CONTRACTS.page(
            info,
            ContractConnection,
            first,
            after,
            lambda session: contract_conditions(
                customer_id=optional_id(given.customer_id, "filter.customerId"),
                opportunity_id=optional_id(given.opportunity_id, "filter.opportunityId"),
                status=given.status,
                ends_before=given.ends_before,
                search=given.search,
            ),
        )

    @strawberry.field(description="One contract by id.")
    async def contract(self, info: KitInfo, id: strawberry.ID) -> ContractResult:
        return await CONTRACTS.one(info, id)

    @strawberry.field(
        description="Monthly targets you can see, from `month` (YYYY-MM) for `months` months (1-12)."
    )
    async def targets(self, info: KitInfo, month: str, months: int = 1) -> list[SalesTarget]:
        found = await query(info, lambda s, a: SalesTargets(s, a).targets(_month(month), months))
        return [SalesTarget.from_model(t) for t in found]

    @strawberry.field(
        description="The weighted pipeline by expected close month against the targets, per person, team "
        "and in total, in your scope: from `month` (YYYY-MM) for `months` months (1-12)."
    )
    async def forecast(
        self, info: KitInfo, month: str, months: int = 3, pipeline: str | None = None
    ) -> Forecast:
        found = await query(
            info, lambda s, a: SalesTargets(s, a).forecast(_month(month), months, pipeline or None)
        )
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
        return await OPPORTUNITIES.create(info, input)

    @strawberry.mutation(description="Change a deal, given the version you read (not its stage).")
    async def update_opportunity(
        self, info: KitInfo, input: UpdateOpportunityInput
    ) -> OpportunityMutationResult:
        return await OPPORTUNITIES.update(info, input)

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
        return await OPPORTUNITIES.run(  # type: ignore[no-any-return]
            info,
            lambda service: service.move(
                OPPORTUNITIES.id_of(id), to, version, lost_reason=lost_reason, note=note
            ),
            input_prefix=(),
            typed=move_refusal,
        )

    @strawberry.mutation(
        description="Put a deal in another pipeline (a key, not archived), given the version you read: "
        "its stage becomes the stage of the same name there, else the first open one; recorded on its "
        "stage history and audited."
    )
    async def move_opportunity_to_pipeline(
        self, info: KitInfo, id: strawberry.ID, pipeline: str, version: int
    ) -> OpportunityMutationResult:
        return await OPPORTUNITIES.run(  # type: ignore[no-any-return]
            info,
            lambda service: service.change_pipeline(OPPORTUNITIES.id_of(id), pipeline, version),
            input_prefix=(),
        )

    @strawberry.mutation(
        description="Add a sales pipeline after the others: blank (the built-in stages) or a copy of "
        "another's stages, moves and guards. Needs workflows:manage."
    )
    async def create_pipeline(self, info: KitInfo, input: CreatePipelineInput) -> PipelineResult:
        async def run(session: AsyncSession, actor: Actor) -> Pipeline:
            row = await pipelines.create_pipeline(
                session, actor, OPPORTUNITY.key, input.name, copy_from=input.copy_from or None
            )
            return await _pipeline_by_key(session, actor, row.key)

        return await mutate(info, run, lambda p: PipelinePayload(pipeline=p))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Rename a sales pipeline and/or move it in the order (0: first, the default)."
    )
    async def update_pipeline(self, info: KitInfo, input: UpdatePipelineInput) -> PipelineResult:
        async def run(session: AsyncSession, actor: Actor) -> Pipeline:
            row = await pipelines.update_pipeline(
                session, actor, OPPORTUNITY.key, input.key, name=input.name, position=input.position
            )
            return await _pipeline_by_key(session, actor, row.key)

        return await mutate(info, run, lambda p: PipelinePayload(pipeline=p))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Archive a sales pipeline. Refused while deals are open in it (the message says how "
        "many) and for the last pipeline not archived."
    )
    async def archive_pipeline(self, info: KitInfo, key: str) -> PipelineResult:
        async def run(session: AsyncSession, actor: Actor) -> Pipeline:
            row = await pipelines.archive_pipeline(session, actor, OPPORTUNITY.key, key)
            return await _pipeline_by_key(session, actor, row.key)

        return await mutate(  # type: ignore[no-any-return]
            info, run, lambda p: PipelinePayload(pipeline=p), input_prefix=()
        )

    transition_opportunity = transition_mutation(
        OPPORTUNITY, _transition_opportunity, OpportunityPayload, OPPORTUNITIES.payload
    )

    @strawberry.mutation(
        description="Create the order of a won deal (its products at the quoted prices); once per deal."
    )
    async def create_order_from_opportunity(
        self, info: KitInfo, id: strawberry.ID, warehouse_id: strawberry.ID
    ) -> OrderMutationResult:
        async def run(session: AsyncSession, actor: Actor) -> Order:
            order = await OpportunityService(session, actor).convert_to_order(
                OPPORTUNITIES.id_of(id), str(warehouse_id)
            )
            return await ORDERS.show(session, actor, order)  # type: ignore[no-any-return]

        return await mutate(info, run, ORDERS.payload, input_prefix=())

    @strawberry.mutation(
        description="Record a contract with a customer you can see (its opportunity or order linked)."
    )
    async def create_contract(self, info: KitInfo, input: CreateContractInput) -> ContractMutationResult:
        return await CONTRACTS.create(info, input)

    @strawberry.mutation(description="Change a contract, given the version you read (not its status).")
    async def update_contract(self, info: KitInfo, input: UpdateContractInput) -> ContractMutationResult:
        return await CONTRACTS.update(info, input)

    transition_contract = transition_mutation(
        CONTRACT, CONTRACTS.transition, ContractPayload, CONTRACTS.payload
    )

    @strawberry.mutation(description="Set a month's target of a salesperson or a team you manage.")
    async def set_sales_target(self, info: KitInfo, input: SetSalesTargetInput) -> SetSalesTargetResult:
        async def run(session: AsyncSession, actor: Actor) -> SalesTarget:
            return SalesTarget.from_model(await SalesTargets(session, actor).set_target(values_of(input)))

        return await mutate(info, run, lambda t: SalesTargetPayload(target=t))
