"""Opportunities on the entity kit and the tenant's pipeline (the opportunity workflow).

Rules that are the opportunity's own: the customer must be one the actor can see; products of
interest come from the live catalog (priced at list unless a price is quoted); the stage changes
only through ``move``, which takes the lost reason with it (the pipeline's guard asks for one) and
restarts the time in stage; a deal's own win probability overrides its stage's; a won deal becomes
one order, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.domain import Actor, FieldError, NotFound, ValidationFailed, VersionConflict
from app.kit.conditions import search_conditions, state_condition
from app.kit.fields import Day, Errors, Fields, Ref, Text
from app.kit.numbers import Money, Whole
from app.kit.scope import OwnerScope
from app.kit.service import EntityService, batch, json_ready, unit_of_work
from app.opportunities import repository as repo
from app.opportunities.entity import OPPORTUNITY
from app.opportunities.models import Opportunity, OpportunityProduct
from app.opportunities.products import Interest, ProductsOfInterest
from app.search.grams import build_document
from app.workflows import pipelines
from app.workflows import service as workflows
from app.workflows.definition import State, StateCategory
from app.workflows.errors import GuardFailed, NotAllowedTransition

# Quotes (helper D's module) plug in here: ``(session, actor, opportunity) -> quote``.
QUOTE_FROM_OPPORTUNITY: Callable[[AsyncSession, Actor, Opportunity], Any] | None = None


@dataclass(frozen=True)
class Stage:
    """A pipeline stage as the board shows it."""

    key: str
    label: dict[str, str]
    category: str
    probability: int

    def label_in(self, locale: str) -> str:
        return self.label.get(locale) or self.label.get("zh_CN") or self.key

    @property
    def is_open(self) -> bool:
        return self.category == StateCategory.OPEN


def stage_of(state: State) -> Stage:
    default = 100 if state.category == StateCategory.WON else 0
    probability = state.probability if state.probability is not None else default
    return Stage(state.key, dict(state.label), state.category, probability)


class OpportunityService(EntityService[Opportunity]):
    spec = OPPORTUNITY
    model = Opportunity
    fields = Fields(
        {
            "name": Text(required=True, max_length=120),
            "customer_id": Ref(required=True),
            "amount": Money(),
            "expected_close": Day(),
            "probability": Whole(minimum=0, maximum=100),
            "competitor": Text(max_length=100),
            "lost_reason": Text(max_length=200),
            "products": ProductsOfInterest(),
            "note": Text(max_length=2000, multiline=True),
            "owner_id": Ref(),
            "lead_id": Ref(),
        },
        defaults={"amount": "0"},
    )
    scope = OwnerScope()
    create_only = ("lead_id",)
    sort_fields = ("created_at", "updated_at", "amount", "expected_close")

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        super().__init__(session, actor)
        self._products: list[OpportunityProduct] | None = None
        self.last_pipeline_move: pipelines.PipelineMove | None = None

    # -- checks -----------------------------------------------------------------------------------

    async def _check(self, values: dict[str, Any]) -> None:
        errors = Errors()
        customer_id = values.get("customer_id")
        if customer_id is not None:
            visible = await self.session.scalar(
                select(Customer.id).where(
                    Customer.id == customer_id,
                    Customer.deleted_at.is_(None),
                    OwnerScope().condition(Customer, await self.owners()),
                )
            )
            if visible is None:
                # Another salesperson's customer reads exactly like an absent one.
                errors.add("customer_id", "unknown_customer", "is not a customer you can see")
        owner_id = values.get("owner_id")
        if "owner_id" in values:
            owners = await self.owners()
            if owner_id is None:
                values.pop("owner_id")
            elif owners is not None and owner_id not in owners:
                errors.add("owner_id", "unknown_owner", "is not a colleague whose deals you manage")
        interests: list[Interest] | None = values.get("products")
        self._products = None
        if interests is not None:
            catalog = await repo.live_products(self.session, [i.product_id for i in interests])
            rows = []
            for n, interest in enumerate(interests):
                product = catalog.get(interest.product_id)
                if product is None:
                    errors.add(
                        f"products.{n}.product_id", "unknown_product", "is not a product of the catalog"
                    )
                    continue
                price = interest.unit_price if interest.unit_price is not None else product.list_price
                rows.append(
                    OpportunityProduct(
                        position=n,
                        product_id=product.id,
                        quantity=interest.quantity,
                        unit_price=price if price is not None else Decimal("0.00"),
                    )
                )
            self._products = rows
        errors.raise_if_any()

    # -- hooks ------------------------------------------------------------------------------------

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check(values)
        values.setdefault("owner_id", self.actor.user_id)
        if values.get("owner_id") is None:
            values["owner_id"] = self.actor.user_id
        if values.get("amount") in (None, Decimal("0.00")) and self._products:
            # No amount given: the products of interest at their prices.
            values["amount"] = sum((p.unit_price * p.quantity for p in self._products), Decimal("0.00"))
        values["stage_entered_at"] = datetime.now(UTC)

    async def before_update(self, record: Opportunity, values: dict[str, Any]) -> None:
        await self._check(values)

    async def after_write(self, record: Opportunity, values: dict[str, Any], *, creating: bool) -> None:
        if self._products is None:
            return
        for row in self._products:
            row.opportunity_id = record.id
        await repo.replace_products(self.session, record.id, self._products)

    def index(self, record: Opportunity, extra_text: Sequence[str] = ()) -> None:
        doc = build_document([record.name, record.competitor, record.note, *extra_text])
        record.search_text, record.search_grams = doc.text, doc.grams

    async def snapshot(self, record: Opportunity) -> dict[str, Any]:
        data = {
            name: json_ready(getattr(record, name))
            for name in (
                "name", "customer_id", "pipeline", "stage", "amount", "expected_close", "probability",
                "competitor", "lost_reason", "note", "owner_id", "lead_id", "order_id",
            )
        }  # fmt: skip
        if self._products is not None:
            data["products"] = [[str(p.product_id), p.quantity, str(p.unit_price)] for p in self._products]
        for key, value in sorted((record.custom or {}).items()):
            data[f"custom.{key}"] = value
        data["version"] = record.version
        return data

    # -- verbs ------------------------------------------------------------------------------------

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> Opportunity:
        """Edit a deal; its stage moves only through ``move``."""
        return await super().update(record_id, version, {k: v for k, v in raw.items() if k != "stage"})

    async def move(
        self,
        record_id: uuid.UUID,
        to: str,
        version: int,
        *,
        lost_reason: str | None = None,
        note: str | None = None,
    ) -> Opportunity:
        """Move a deal to another stage of the pipeline, given the version the caller read (the
        board's drag and drop). ``lost_reason`` is stored with a move to a lost stage, where the
        pipeline requires one; a refusal (``GuardFailed`` naming what is missing,
        ``NotAllowedTransition``) leaves the deal as it was."""
        self.require("edit")
        reason = Text(max_length=200).clean(errors := Errors(), "lost_reason", lost_reason)
        errors.raise_if_any()
        async with unit_of_work(self.session):
            record = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            before = record.lost_reason
            if reason is not None:
                record.lost_reason = reason
            try:
                await workflows.transition(
                    self.session, self.actor, self.spec, record, to, version, note=note
                )
            except (GuardFailed, NotAllowedTransition):
                record.lost_reason = before
                raise
            record.stage_entered_at = datetime.now(UTC)
        return record

    async def products(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[OpportunityProduct]]:
        """Products of interest of deals the caller has already been allowed to see."""
        return await repo.products_of(self.session, ids)

    async def names(
        self, deals: Sequence[Opportunity], lines: Sequence[OpportunityProduct] = ()
    ) -> dict[uuid.UUID, str]:
        """Names of the customers and products of deals the caller has seen."""
        return await repo.names(self.session, [d.customer_id for d in deals], [p.product_id for p in lines])

    async def pipeline_key(self, pipeline: str | None) -> str:
        """The pipeline a page or query reads: the one named (a field error if the tenant has no
        such pipeline; archived ones too) or the default."""
        if pipeline in (None, ""):
            return await pipelines.default_key(self.session, self.spec.key)
        return await pipelines.resolve_known(self.session, self.spec, str(pipeline))

    async def stages(self, pipeline: str | None = None) -> list[Stage]:
        """A pipeline's stages (default: the default pipeline's) in board order, each with its
        win probability."""
        key = await self.pipeline_key(pipeline)
        workflow = await workflows.current(self.session, self.spec.key, key=key)
        return [stage_of(s) for s in workflow.definition.states]

    async def pipelines(self, *, archived: bool = True) -> list[PipelineView]:
        """The tenant's pipelines in switcher order, each with its stages (``archived=False``: only
        those a new deal may go to)."""
        rows = await pipelines.list_pipelines(self.session, self.actor, self.spec.key, archived=archived)
        default = await pipelines.default_key(self.session, self.spec.key)
        definitions = await pipelines.stage_maps(self.session, self.spec.key, [r.key for r in rows])
        return [
            PipelineView(
                r.key,
                r.name,
                r.position,
                r.archived_at is not None,
                r.key == default,
                [stage_of(s) for s in definitions[r.key].states],
            )
            for r in rows
        ]

    async def probabilities(self, deals: Sequence[Opportunity]) -> dict[tuple[str, str], int]:
        """(pipeline, stage) → the stage's win probability, for the pipelines of ``deals``."""
        definitions = await pipelines.stage_maps(self.session, self.spec.key, [d.pipeline for d in deals])
        return {(k, s.key): stage_of(s).probability for k, d in definitions.items() for s in d.states}

    async def moves(self, deal: Opportunity) -> list[Stage]:
        """The stages the deal may move to from where it is (in its own pipeline)."""
        workflow = await workflows.current(self.session, self.spec.key, key=deal.pipeline)
        found = []
        for move in workflow.definition.moves_from(deal.stage):
            state = workflow.definition.state(move.target)
            if state is not None:
                found.append(stage_of(state))
        return found

    async def customer_choices(self) -> list[tuple[uuid.UUID, str]]:
        """Customers the actor may open a deal for (the new-deal form's list), recently changed first."""
        self.require("create")
        return await repo.recent_customers(self.session, await self.owners())

    async def board(self, per_stage: int = 50, pipeline: str | None = None) -> list[Column]:
        """The kanban of one pipeline (default: the default one): every stage with its visible
        deals (the most recently moved first, at most ``per_stage``), their count and their sum."""
        self.require("read")
        key = await self.pipeline_key(pipeline)
        stages = await self.stages(key)
        found = await repo.stage_columns(
            self.session, await self.owners(), [s.key for s in stages], per_stage, key
        )
        return [Column(stage, *found[stage.key]) for stage in stages]

    async def open_by_stage(self, pipeline: str | None = None) -> list[tuple[str, Decimal]]:
        """Open deals' sums per stage name, every pipeline's summed (stages of the same name
        together, in the order first met) or ``pipeline``'s only: the home card."""
        self.require("read")
        keys = (
            [await self.pipeline_key(pipeline)]
            if pipeline
            else [p.key for p in await pipelines.list_pipelines(self.session, self.actor, self.spec.key)]
        )
        sums: dict[str, Decimal] = {}
        for key in keys or ["default"]:
            for column in await self.board(per_stage=0, pipeline=key):
                if column.stage.is_open:
                    label = column.stage.label_in("zh_CN")
                    sums[label] = sums.get(label, Decimal("0.00")) + column.total
        return list(sums.items())

    async def change_pipeline(self, record_id: uuid.UUID, pipeline: str, version: int) -> Opportunity:
        """Put a deal in another pipeline, given the version the caller read: its stage maps to
        the stage of the same name there, else the first open one (``pipelines.change_pipeline``);
        audited with both pipelines and stages, on its stage history. An unknown or archived
        pipeline is refused and the deal stays as it was."""
        self.require("edit")
        async with unit_of_work(self.session):
            record = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            if record.version != version:
                raise VersionConflict(record.id, record.version, None, record.updated_at)
            before = {"pipeline": record.pipeline, "stage": record.stage, "version": record.version}
            moved = await pipelines.change_pipeline(self.session, self.actor, self.spec, record, pipeline)
            record.version += 1
            record.updated_at = record.stage_entered_at = datetime.now(UTC)
            record.updated_by = self.actor.user_id
            self._audit(
                record,
                "change_pipeline",
                before,
                {"pipeline": moved.to_pipeline, "stage": moved.to_stage, "version": record.version},
            )
            self.last_pipeline_move = moved
        return record

    async def history(self, deal: Opportunity) -> list[StageStay]:
        """The deal's stays in each stage, oldest first, with how long each lasted (the current
        one until now)."""
        moves = sorted(await workflows.stage_history(self.session, self.spec, deal.id), key=lambda m: m.at)
        stays: list[StageStay] = []
        entered, stage = deal.created_at, moves[0].from_state if moves else deal.stage
        for move in moves:
            stays.append(StageStay(stage or deal.stage, entered, move.at, move.actor_label))
            entered, stage = move.at, move.to_state
        stays.append(StageStay(stage or deal.stage, entered, None, None))
        return stays

    async def convert_to_order(self, record_id: uuid.UUID, warehouse_id: Any) -> Any:
        """An order (the orders module's verb, its rules and audit) from a won deal: its customer
        and products of interest at the quoted prices, linked back to the deal; one per deal."""
        from app.orders.service import OrderService  # the orders module's verbs, not its tables

        self.require("edit")
        deal = await self._load(record_id)
        stages = {s.key: s for s in await self.stages(deal.pipeline)}
        stage = stages.get(deal.stage)
        if deal.order_id is not None:
            raise ValidationFailed([FieldError("id", "already_converted", "this opportunity has an order")])
        if stage is None or stage.category != StateCategory.WON:
            raise ValidationFailed([FieldError("id", "not_won", "only a won opportunity becomes an order")])
        lines = (await repo.products_of(self.session, [deal.id]))[deal.id]
        raw_lines = [
            {"product_id": p.product_id, "quantity": p.quantity, "unit_price": p.unit_price} for p in lines
        ]
        async with batch(self.session):
            order = await OrderService(self.session, self.actor).create(
                {"customer_id": deal.customer_id, "warehouse_id": warehouse_id, "lines": raw_lines}
            )
            async with unit_of_work(self.session):
                locked = await self._load(record_id, for_update=True)
                if locked.order_id is not None:
                    raise ValidationFailed(
                        [FieldError("id", "already_converted", "this opportunity has an order")]
                    )
                before = await self.snapshot(locked)
                locked.order_id = order.id
                locked.version += 1
                locked.updated_at = datetime.now(UTC)
                locked.updated_by = self.actor.user_id
                self._audit(locked, "convert", before, await self.snapshot(locked))
                self._emit(locked, "converted", order_id=str(order.id))
        return order


@dataclass(frozen=True)
class PipelineView:
    """A pipeline as the switcher, the API and the admin show it."""

    key: str
    name: str
    position: int
    archived: bool
    is_default: bool
    stages: list[Stage]


@dataclass(frozen=True)
class Column:
    stage: Stage
    deals: list[Opportunity]
    count: int
    total: Decimal


@dataclass(frozen=True)
class StageStay:
    stage: str
    entered: datetime
    left: datetime | None  # None: still there
    moved_by: str | None

    def days(self, now: datetime | None = None) -> float:
        end = self.left or now or datetime.now(UTC)
        return round((end - self.entered).total_seconds() / 86400, 1)


def weighted(amount: Decimal, probability: int) -> Decimal:
    return (amount * probability / 100).quantize(Decimal("0.01"))


def opportunity_conditions(
    *,
    customer_id: uuid.UUID | None = None,
    pipeline: str | None = None,
    stage: str | None = None,
    owner_id: uuid.UUID | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    search: str | None = None,
) -> list[ColumnElement[bool]]:
    """A deal list's filter as query conditions; bad values are field errors."""
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        conditions.append(Opportunity.customer_id == customer_id)
    if owner_id is not None:
        conditions.append(Opportunity.owner_id == owner_id)
    if pipeline:
        conditions.append(Opportunity.pipeline == pipeline)
    conditions += state_condition(Opportunity.stage, stage, "stage")
    if close_from is not None:
        conditions.append(Opportunity.expected_close >= close_from)
    if close_to is not None:
        conditions.append(Opportunity.expected_close <= close_to)
    conditions += search_conditions(Opportunity, search)
    return conditions
