"""Opportunities, the pipeline's stages, contracts, sales targets and the forecast as the API shows
and accepts them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, id_or_none
from app.graphql.pagination import Connection


@strawberry.type(description="A stage of the tenant's sales pipeline, with its win probability.")
class PipelineStage:
    key: str
    label: str = strawberry.field(description="The label in the reader's language.")
    category: str = strawberry.field(description="open, won or lost.")
    probability: int = strawberry.field(description="Percent; a deal's own probability overrides it.")


@strawberry.type(
    description="One of the tenant's sales pipelines (零售, 工程/团购, 以旧换新...): its own stages, "
    "probabilities and guards. The first one not archived is the default for new deals."
)
class Pipeline:
    key: str = strawberry.field(description="Its key (createOpportunity(input: {pipeline}), filters).")
    name: str
    position: int = strawberry.field(description="Its place in the switcher, from 0.")
    archived: bool = strawberry.field(description="Archived: offered for no new deal, its history kept.")
    is_default: bool = strawberry.field(description="New deals go here when no pipeline is chosen.")
    stages: list[PipelineStage] = strawberry.field(description="Its stages, in board order.")


@strawberry.input
class CreatePipelineInput:
    name: str = strawberry.field(description="Unique among the tenant's pipelines (case ignored).")
    copy_from: str | None = strawberry.field(
        default=None,
        description="Copy the stages, moves and guards of this pipeline (a key); empty: the built-in stages.",
    )


@strawberry.input
class UpdatePipelineInput:
    key: str
    name: str | None = strawberry.field(default=None, description="A new name; empty: unchanged.")
    position: int | None = strawberry.field(
        default=None, description="Move it to this place (0: first, the default); empty: unchanged."
    )


@strawberry.type
class PipelinePayload:
    pipeline: Pipeline


PipelineResult = Annotated[
    PipelinePayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("PipelineResult"),
]


@strawberry.type(description="A catalog product the customer is interested in.")
class OpportunityProduct:
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal

    @classmethod
    def from_model(cls, r: Any) -> OpportunityProduct:
        return from_record(cls, r)


@strawberry.type(description="A deal in the sales pipeline (商机), on the tenant's pipeline workflow.")
class Opportunity:
    id: strawberry.ID
    name: str
    customer_id: strawberry.ID
    owner_id: strawberry.ID | None
    pipeline: Pipeline = strawberry.field(description="The pipeline the deal is in.")
    stage: str = strawberry.field(description="The stage key in its pipeline (qualify, needs, proposal...).")
    amount: Decimal
    expected_close: date | None
    probability: int | None = strawberry.field(description="The deal's own win probability, if set.")
    win_probability: int = strawberry.field(
        description="The probability that counts: its own, else its stage's."
    )
    weighted_amount: Decimal = strawberry.field(description="amount × winProbability / 100.")
    competitor: str | None
    lost_reason: str | None
    note: str | None
    lead_id: strawberry.ID | None
    order_id: strawberry.ID | None = strawberry.field(description="The order it became, once won.")
    products: list[OpportunityProduct]
    stage_entered_at: datetime
    custom_fields: JSON
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(
        cls, r: Any, products: list[Any], stage_probability: int, pipeline: Pipeline
    ) -> Opportunity:
        won = r.probability if r.probability is not None else stage_probability
        return from_record(
            cls,
            r,
            pipeline=pipeline,
            win_probability=won,
            weighted_amount=(r.amount * won / 100).quantize(Decimal("0.01")),
            products=[OpportunityProduct.from_model(p) for p in products],
        )


@strawberry.type
class OpportunityConnection(Connection[Opportunity]):
    pass


@strawberry.type(description="A stay of a deal in one stage: when it entered, when it left, who moved it on.")
class StageStay:
    stage: str
    entered_at: datetime
    left_at: datetime | None
    days: float
    moved_by: str | None


@strawberry.input
class OpportunityFilter:
    customer_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    pipeline: str | None = strawberry.field(default=None, description="One pipeline's deals (its key).")
    stage: str | None = strawberry.field(default=None, description="A pipeline stage key.")
    close_from: date | None = None
    close_to: date | None = None
    search: str | None = strawberry.field(default=None, description="Name, competitor or note.")


@strawberry.input(description="A product of interest; empty unitPrice: the list price.")
class OpportunityProductInput:
    product_id: strawberry.ID
    quantity: int = 1
    unit_price: Decimal | None = strawberry.UNSET


@strawberry.input
class CreateOpportunityInput:
    name: str
    customer_id: strawberry.ID
    amount: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Empty: the products of interest at their prices."
    )
    expected_close: date | None = strawberry.UNSET
    probability: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 100; empty: the stage's."
    )
    competitor: str | None = strawberry.UNSET
    products: list[OpportunityProductInput] | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A colleague in your scope; empty: you."
    )
    lead_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The lead it came from."
    )
    custom_fields: JSON | None = strawberry.UNSET
    pipeline: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The pipeline (a key, not archived); empty: the default. It starts in its first stage.",
    )


@strawberry.input(description="The stage moves only through moveOpportunity / transitionOpportunity.")
class UpdateOpportunityInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    name: str | None = strawberry.UNSET
    customer_id: strawberry.ID | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    expected_close: date | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    competitor: str | None = strawberry.UNSET
    lost_reason: str | None = strawberry.UNSET
    products: list[OpportunityProductInput] | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.type
class OpportunityPayload:
    opportunity: Opportunity


OpportunityResult = Annotated[
    Opportunity | NotFoundError | PermissionDeniedError, strawberry.union("OpportunityResult")
]
OpportunityMutationResult = Annotated[
    OpportunityPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("OpportunityMutationResult"),
]


@strawberry.type(description="A sales contract (合同) with a customer, on the tenant's contract workflow.")
class Contract:
    id: strawberry.ID
    number: str
    title: str
    customer_id: strawberry.ID
    opportunity_id: strawberry.ID | None
    order_id: strawberry.ID | None
    owner_id: strawberry.ID | None
    status: str = strawberry.field(description="The workflow state key (draft, signed, active...).")
    amount: Decimal
    signed_on: date | None
    starts_on: date
    ends_on: date | None
    note: str | None
    custom_fields: JSON
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Contract:
        return from_record(cls, r)


@strawberry.type
class ContractConnection(Connection[Contract]):
    pass


@strawberry.input
class ContractFilter:
    customer_id: strawberry.ID | None = None
    opportunity_id: strawberry.ID | None = None
    status: str | None = None
    ends_before: date | None = strawberry.field(default=None, description="Contracts ending on or before.")
    search: str | None = strawberry.field(default=None, description="Number, title or note.")


@strawberry.input
class CreateContractInput:
    title: str
    customer_id: strawberry.ID
    amount: Decimal
    starts_on: date
    number: str | None = strawberry.field(default=strawberry.UNSET, description="Empty: HT-<date>-<hex>.")
    opportunity_id: strawberry.ID | None = strawberry.UNSET
    order_id: strawberry.ID | None = strawberry.UNSET
    signed_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.input
class UpdateContractInput:
    id: strawberry.ID
    version: int
    title: str | None = strawberry.UNSET
    number: str | None = strawberry.UNSET
    customer_id: strawberry.ID | None = strawberry.UNSET
    opportunity_id: strawberry.ID | None = strawberry.UNSET
    order_id: strawberry.ID | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    signed_on: date | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET


@strawberry.type
class ContractPayload:
    contract: Contract


ContractResult = Annotated[
    Contract | NotFoundError | PermissionDeniedError, strawberry.union("ContractResult")
]
ContractMutationResult = Annotated[
    ContractPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("ContractMutationResult"),
]


@strawberry.type(description="A month's revenue target of one salesperson or one team.")
class SalesTarget:
    id: strawberry.ID
    month: date = strawberry.field(description="The first day of the month.")
    user_id: strawberry.ID | None
    team_id: strawberry.ID | None
    amount: Decimal
    version: int

    @classmethod
    def from_model(cls, r: Any) -> SalesTarget:
        return from_record(cls, r)


@strawberry.input(description="Give userId or teamId; a second target for the same month replaces the first.")
class SetSalesTargetInput:
    month: str = strawberry.field(description="YYYY-MM.")
    amount: Decimal
    user_id: strawberry.ID | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class SalesTargetPayload:
    target: SalesTarget


SetSalesTargetResult = Annotated[
    SalesTargetPayload | ValidationError | PermissionDeniedError, strawberry.union("SetSalesTargetResult")
]


@strawberry.type(description="One month of a person's, a team's or the total forecast.")
class ForecastMonth:
    month: date
    target: Decimal | None
    weighted: Decimal = strawberry.field(description="Σ amount × win probability (won deals in full).")
    won: Decimal
    open: Decimal = strawberry.field(description="The open deals' amounts, unweighted.")
    deals: int
    gap: Decimal | None = strawberry.field(description="target − weighted.")


@strawberry.type
class ForecastRow:
    id: strawberry.ID | None = strawberry.field(
        description="The person or team (none: the total or no team)."
    )
    name: str
    team_id: strawberry.ID | None
    months: list[ForecastMonth]

    @classmethod
    def from_row(cls, row: Any, months: list[date]) -> ForecastRow:
        cells = [from_record(ForecastMonth, row.months[month], month=month) for month in months]
        return from_record(cls, row, id=id_or_none(row.key), months=cells)


@strawberry.type(
    description="The weighted pipeline by expected close month against the targets, in your scope."
)
class Forecast:
    months: list[date]
    people: list[ForecastRow]
    teams: list[ForecastRow]
    total: ForecastRow
