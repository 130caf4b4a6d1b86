"""Workflows as the API shows and accepts them, the typed refusals of a move, and stage history.

Generic over entities: a workflow-driven entity's type adds ``stageHistory`` (``stage_changes``) and
its stage (``stage_of``); ``app.graphql.workflows`` builds its ``transition<Entity>`` mutation.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import app.entities  # noqa: F401  (every module's entry-action kinds registered)
from app.graphql.context import GraphQLContext
from app.graphql.errors import Error
from app.workflows import definition as wf
from app.workflows import service as workflows
from app.workflows.actions import registered_kinds
from app.workflows.errors import GuardFailed, NotAllowedTransition, StatesInUse, refusal_text
from app.workflows.models import StageHistory


def _api_enum(name: str, domain: type[enum.Enum], description: str) -> Any:
    """The GraphQL enum of a domain ``LabeledEnum`` (``OPEN`` is stored as ``open``)."""
    members = {m.value.upper(): m.value for m in domain}
    api: Any = enum.Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(api, description=description)


StateCategory = _api_enum(
    "StateCategory", wf.StateCategory, "What reaching a state means: open, won, lost..."
)
GuardKind = _api_enum("GuardKind", wf.GuardKind, "REQUIRED field, ROLE (or permission), or a CONDITION.")
# The engine's own kinds and those modules register (STOCK_RESERVE is stored as stock.reserve);
# app.entities is imported first so every module has registered its kinds.
_action_kinds: Any = enum.Enum(  # type: ignore[misc]
    "ActionKind",
    {
        **{m.value.upper(): m.value for m in wf.ActionKind},
        **{k.kind.replace(".", "_").upper(): k.kind for k in registered_kinds()},
    },
)
ActionKind = strawberry.enum(
    _action_kinds,
    description="What entering a state does: the engine's kinds, and those modules add for their "
    "entities (STOCK_RESERVE, STOCK_ISSUE, STOCK_RELEASE, STOCK_RETURN on orders).",
)


# -- output ---------------------------------------------------------------------------------------


@strawberry.type(description="A label in Chinese and English.")
class StageLabel:
    zh_cn: str
    en: str


@strawberry.type(description="field op value, e.g. amount > 50000.")
class WorkflowCondition:
    field: str
    op: str
    value: JSON


@strawberry.type(description="A condition a move needs; with when, only for records meeting it.")
class WorkflowGuard:
    kind: GuardKind  # type: ignore[valid-type]
    field: str | None
    role: str | None = strawberry.field(description="A role key (ROLE guards).")
    permission: str | None = strawberry.field(description="Or a permission string (ROLE guards).")
    op: str | None
    value: JSON | None
    when: WorkflowCondition | None


@strawberry.type(description="Done on entering a state.")
class WorkflowAction:
    kind: ActionKind  # type: ignore[valid-type]
    field: str | None
    value: JSON | None
    to: str | None = strawberry.field(description="owner, or a role key (NOTIFY, CREATE_TASK).")
    text: str | None
    due_in_days: int | None
    topic: str | None


@strawberry.type(description="A stage of a workflow.")
class WorkflowState:
    key: str = strawberry.field(description="Stored on the record (a customer's status).")
    label: StageLabel
    category: StateCategory  # type: ignore[valid-type]
    position: int
    on_enter: list[WorkflowAction]

    @classmethod
    def of(cls, state: wf.State) -> WorkflowState:
        return cls(
            key=state.key,
            label=StageLabel(zh_cn=state.label_in("zh_CN"), en=state.label_in("en")),
            category=StateCategory(state.category),
            position=state.position,
            on_enter=[
                WorkflowAction(
                    kind=ActionKind(a.kind),
                    field=a.field,
                    value=a.value,
                    to=a.to,
                    text=a.text,
                    due_in_days=a.due_in_days,
                    topic=a.topic,
                )
                for a in state.on_enter
            ],
        )


def _condition(c: wf.Condition | None) -> WorkflowCondition | None:
    return WorkflowCondition(field=c.field, op=c.op, value=c.value) if c else None


@strawberry.type(description="An allowed move between two states, with its guards.")
class WorkflowTransition:
    from_: str = strawberry.field(name="from")
    to: str
    guards: list[WorkflowGuard]

    @classmethod
    def of(cls, move: wf.Transition) -> WorkflowTransition:
        return cls(
            from_=move.source,
            to=move.target,
            guards=[
                WorkflowGuard(
                    kind=GuardKind(g.kind),
                    field=g.field,
                    role=g.role,
                    permission=g.permission,
                    op=g.op,
                    value=g.value if g.kind == wf.GuardKind.CONDITION else None,
                    when=_condition(g.when),
                )
                for g in move.guards
            ],
        )


@strawberry.type(description="The current version of an entity's workflow.")
class Workflow:
    entity: str
    pipeline: str = strawberry.field(
        description="Which of the entity's workflows: a pipeline's key (opportunities), else default."
    )
    version: int = strawberry.field(description="Pass it back to updateWorkflow; each edit adds one.")
    states: list[WorkflowState] = strawberry.field(description="In the order the admin shows them.")
    transitions: list[WorkflowTransition]
    updated_at: datetime | None

    @classmethod
    def of(cls, current: workflows.CurrentWorkflow) -> Workflow:
        return cls(
            entity=current.entity,
            pipeline=current.key,
            version=current.version,
            states=[WorkflowState.of(s) for s in current.definition.states],
            transitions=[WorkflowTransition.of(t) for t in current.definition.transitions],
            updated_at=current.updated_at,
        )


@strawberry.type(description="The workflow as saved.")
class WorkflowPayload:
    workflow: Workflow


@strawberry.type(description="One move of a record between stages.")
class StageChange:
    from_state: str | None = strawberry.field(description="None for the record's first recorded stage.")
    to_state: str
    workflow_version: int
    actor_name: str = strawberry.field(description="Who made the move.")
    at: datetime
    note: str | None

    @classmethod
    def of(cls, entry: StageHistory) -> StageChange:
        return cls(
            from_state=entry.from_state,
            to_state=entry.to_state,
            workflow_version=entry.workflow_version,
            actor_name=entry.actor_label.split(" <", 1)[0],
            at=entry.at,
            note=entry.note,
        )


# -- typed refusals ---------------------------------------------------------------------------------


@strawberry.type(description="The workflow has no move from the record's stage to the one asked for.")
class NotAllowedTransitionError(Error):
    from_state: WorkflowState | None
    to: str
    allowed_moves: list[WorkflowState] = strawberry.field(description="Where the record may go from here.")


@strawberry.type(description="One guard the move does not meet.")
class FailedGuard:
    kind: GuardKind  # type: ignore[valid-type]
    field: str | None = strawberry.field(description="The missing field, or the field of the condition.")
    role: str | None = strawberry.field(description="The role the move needs.")
    permission: str | None = strawberry.field(description="Or the permission it needs.")
    condition: str | None = strawberry.field(description='e.g. "amount >= 1".')


@strawberry.type(description="The move exists but a guard refuses it; nothing was changed.")
class GuardFailedError(Error):
    guard: GuardKind = strawberry.field(description="The kind of the first failing guard.")  # type: ignore[valid-type]
    field: str | None = strawberry.field(description="The missing field (REQUIRED) or the condition's.")
    role: str | None = strawberry.field(description="The role needed (ROLE).")
    needed_permission: str | None = strawberry.field(description="Or the permission needed (ROLE).")
    failures: list[FailedGuard] = strawberry.field(description="Every failing guard.")


@strawberry.type(description="Records are in a state the edit removes.")
class StateInUse:
    key: str
    count: int


@strawberry.type(description="The edit would strand records in removed states; nothing was saved.")
class StatesInUseError(Error):
    states: list[StateInUse]
    total: int


def move_refusal(exc: Exception) -> NotAllowedTransitionError | GuardFailedError | None:
    """A refused workflow move as its typed error (for ``mutate(typed=...)``); None for any other."""
    return refusal(exc) if isinstance(exc, NotAllowedTransition | GuardFailed) else None


def refusal(exc: NotAllowedTransition | GuardFailed) -> NotAllowedTransitionError | GuardFailedError:
    message = refusal_text(exc)
    if isinstance(exc, NotAllowedTransition):
        return NotAllowedTransitionError(
            message=message,
            from_state=WorkflowState.of(exc.source) if exc.source else None,
            to=exc.target,
            allowed_moves=[WorkflowState.of(s) for s in exc.allowed],
        )
    failures = [
        FailedGuard(
            kind=GuardKind(f.kind), field=f.field, role=f.role, permission=f.permission, condition=f.condition
        )
        for f in exc.failures
    ]
    first = exc.failures[0]
    return GuardFailedError(
        message=message,
        guard=GuardKind(first.kind),
        field=first.field,
        role=first.role,
        needed_permission=first.permission,
        failures=failures,
    )


def states_in_use(exc: StatesInUse) -> StatesInUseError:
    return StatesInUseError(
        message=exc.errors[0].message,
        states=[StateInUse(key=k, count=n) for k, n in exc.counts.items()],
        total=sum(exc.counts.values()),
    )


def _stored(member: Any) -> str:
    """The stored value of a member of one of the API enums above."""
    return str(member.value)


# -- inputs -----------------------------------------------------------------------------------------


@strawberry.input
class StageLabelInput:
    zh_cn: str
    en: str | None = None


@strawberry.input
class WorkflowConditionInput:
    field: str
    op: str = strawberry.field(description="One of = != > >= < <=.")
    value: JSON


@strawberry.input
class WorkflowGuardInput:
    kind: GuardKind  # type: ignore[valid-type]
    field: str | None = None
    role: str | None = None
    permission: str | None = None
    op: str | None = None
    value: JSON | None = None
    when: WorkflowConditionInput | None = None


@strawberry.input
class WorkflowActionInput:
    kind: ActionKind  # type: ignore[valid-type]
    field: str | None = None
    value: JSON | None = None
    to: str | None = None
    text: str | None = None
    due_in_days: int | None = None
    topic: str | None = None


@strawberry.input
class WorkflowStateInput:
    key: str = strawberry.field(description="Lowercase letters, digits and _; kept for existing states.")
    label: StageLabelInput
    category: StateCategory  # type: ignore[valid-type]
    on_enter: list[WorkflowActionInput] | None = None


@strawberry.input
class WorkflowTransitionInput:
    from_: str = strawberry.field(name="from")
    to: str
    guards: list[WorkflowGuardInput] | None = None


@strawberry.input(description="The whole workflow as it should be; states in the order to show them.")
class UpdateWorkflowInput:
    entity: str
    pipeline: str = strawberry.field(
        default="default", description="Which pipeline's workflow (opportunities run several)."
    )
    version: int = strawberry.field(description="The version you read; a newer one means someone else saved.")
    states: list[WorkflowStateInput]
    transitions: list[WorkflowTransitionInput]

    def document(self) -> dict[str, Any]:
        """The definition document ``app.workflows.definition.parse`` checks."""

        def drop_none(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in d.items() if v is not None}

        def condition(c: WorkflowConditionInput | None) -> dict[str, Any] | None:
            return {"field": c.field, "op": c.op, "value": c.value} if c else None

        return {
            "states": [
                {
                    "key": s.key,
                    "label": {"zh_CN": s.label.zh_cn, "en": s.label.en},
                    "category": _stored(s.category),
                    "position": i,
                    "on_enter": [
                        drop_none(
                            {
                                "kind": _stored(a.kind),
                                "field": a.field,
                                "value": a.value,
                                "to": a.to,
                                "text": a.text,
                                "due_in_days": a.due_in_days,
                                "topic": a.topic,
                            }
                        )
                        for a in s.on_enter or []
                    ],
                }
                for i, s in enumerate(self.states)
            ],
            "transitions": [
                {
                    "from": t.from_,
                    "to": t.to,
                    "guards": [
                        drop_none(
                            {
                                "kind": _stored(g.kind),
                                "field": g.field,
                                "role": g.role,
                                "permission": g.permission,
                                "op": g.op,
                                "value": g.value,
                                "when": condition(g.when),
                            }
                        )
                        for g in t.guards or []
                    ],
                }
                for t in self.transitions
            ],
        }


# -- fields a workflow-driven entity's type adds --------------------------------------------------


async def _workflow(info: Info[GraphQLContext, None], entity: str) -> workflows.CurrentWorkflow:
    """The entity's current workflow, read once per request (sibling fields share one read)."""
    request = info.context.request
    assert request is not None
    cache: dict[str, asyncio.Future[workflows.CurrentWorkflow]] = request.scope.setdefault(
        "state", {}
    ).setdefault("workflows", {})

    async def read() -> workflows.CurrentWorkflow:
        async with info.context.db() as session:
            return await workflows.current(session, entity)

    if entity not in cache:
        cache[entity] = asyncio.ensure_future(read())
    return await cache[entity]


async def stage_changes(
    info: Info[GraphQLContext, None], entity: str, record_id: uuid.UUID
) -> list[StageChange]:
    """``stageHistory`` of a record the caller was already allowed to see."""
    async with info.context.db() as session:
        entries = await workflows.stage_history(session, workflows.spec_of(entity), record_id)
    return [StageChange.of(e) for e in entries]


async def stage_of(info: Info[GraphQLContext, None], entity: str, key: str) -> WorkflowState | None:
    state = (await _workflow(info, entity)).definition.state(key)
    return WorkflowState.of(state) if state else None


def builtin_stage(info: Info[GraphQLContext, None], entity: str, key: str, api_enum: Any) -> Any:
    """The entity's built-in stage enum for ``key``. A stage the tenant added reads as the nearest
    built-in stage before it of the same category (else the first of that category, else the first):
    an added 已报价 between 意向 and 成交 is INTERESTED, an added won stage is WON."""
    values = [m.value for m in api_enum]
    if key in values:
        return api_enum(key)

    async def nearest() -> Any:
        definition = (await _workflow(info, entity)).definition
        state = definition.state(key)
        if state is None:
            return api_enum(values[0])
        same = [s for s in definition.states if s.category == state.category and s.key in values]
        before = [s for s in same if s.position < state.position]
        chosen = (before[-1] if before else same[0]) if same else None
        return api_enum(chosen.key if chosen else values[0])

    return nearest()
