"""The opportunity and contract lists' filters, declared once (``app.kit.filters``): the admin lists'
query strings read them, and ``list_opportunities`` / ``list_contracts`` turn a checked value into the
entity service's page (scope, permission and paging are the service's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, ValidationFailed
from app.kit.enums import N_
from app.kit.filters import DateRange, FilterSpec, Owner, Search, Tag
from app.kit.paging import Page
from app.kit.registry import entity as registry_entity
from app.opportunities.contracts import ContractService, contract_conditions
from app.opportunities.entity import OPPORTUNITY
from app.opportunities.models import Contract, Opportunity
from app.opportunities.service import OpportunityService, opportunity_conditions
from app.workflows import pipelines


@dataclass(frozen=True)
class WorkflowState(Tag):
    """A state of the entity's workflow by its key (the tenant's own stages: the page passes them
    as the filter's ``options``); a key the workflow does not have is a field error at listing."""

    max_length: int = 32
    kind: ClassVar[str] = "state"


OPPORTUNITY_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    # The pipeline switcher (its key; the page offers the tenant's pipelines), then its stages.
    WorkflowState("pipeline", N_("Pipeline"), max_length=40),
    WorkflowState("stage", N_("Stage")),
    Owner("owner_id", N_("Salesperson"), param="owner"),
    DateRange("close", N_("Expected close date"), column="expected_close"),
)


@dataclass(frozen=True)
class OpportunityFilter:
    search: str | None = None
    stage: str | None = None
    owner_id: uuid.UUID | None = None
    pipeline: str | None = None  # one pipeline's deals (the switcher); None: every pipeline's
    close_from: date | None = None
    close_to: date | None = None


CONTRACT_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=100),
    WorkflowState("status", N_("Contract status")),
    Owner("owner_id", N_("Salesperson"), param="owner"),
    DateRange("ends", N_("Ends on"), column="ends_on"),
)


@dataclass(frozen=True)
class ContractFilter:
    search: str | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    ends_from: date | None = None
    ends_to: date | None = None


async def state_known(
    session: AsyncSession, entity: str, value: str | None, pipeline: str | None = None
) -> bool:
    """Whether ``value`` is no condition or a state of the tenant's workflow of ``entity``: of
    ``pipeline``'s, or of any of its pipelines' when the entity runs several."""
    if value is None:
        return True
    spec = registry_entity(entity)
    keys = [pipeline] if pipeline else ["default"]
    if pipeline is None and spec is not None and spec.workflow_key_field:
        keys = list(await pipelines.pipeline_names(session, entity)) or ["default"]
    for definition in (await pipelines.stage_maps(session, entity, keys)).values():
        if value in {s.key for s in definition.states}:
            return True
    return False


async def _known_state(
    session: AsyncSession, entity: str, name: str, value: str | None, pipeline: str | None = None
) -> None:
    if not await state_known(session, entity, value, pipeline):
        raise ValidationFailed(
            [FieldError(f"filter.{name}", "invalid_choice", "is not a state of this workflow")]
        )


async def list_opportunities(
    session: AsyncSession, actor: Actor, filters: OpportunityFilter, **paging: Any
) -> Page[Opportunity]:
    """One page of the deals the actor may see: text (name, competitor, note), stage, salesperson,
    expected close between two days; ``paging``: order, first, after, before."""
    if filters.pipeline:
        await pipelines.resolve_known(session, OPPORTUNITY, filters.pipeline, "filter.pipeline")
    await _known_state(session, "opportunity", "stage", filters.stage, filters.pipeline)
    conditions = opportunity_conditions(
        pipeline=filters.pipeline,
        stage=filters.stage,
        owner_id=filters.owner_id,
        close_from=filters.close_from,
        close_to=filters.close_to,
        search=filters.search,
    )
    return await OpportunityService(session, actor).page(conditions, **paging)


async def list_contracts(
    session: AsyncSession, actor: Actor, filters: ContractFilter, **paging: Any
) -> Page[Contract]:
    """One page of the contracts the actor may see: text (number, title, note), status, salesperson,
    end between two days; ``paging``: order, first, after, before."""
    await _known_state(session, "contract", "status", filters.status)
    conditions = contract_conditions(status=filters.status, search=filters.search)
    if filters.owner_id is not None:
        conditions.append(Contract.owner_id == filters.owner_id)
    if filters.ends_from is not None:
        conditions.append(Contract.ends_on >= filters.ends_from)
    if filters.ends_to is not None:
        conditions.append(Contract.ends_on <= filters.ends_to)
    return await ContractService(session, actor).page(conditions, **paging)
