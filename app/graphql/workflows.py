"""Workflow queries and mutations, and the ``transition<Entity>`` mutation every workflow-driven
entity gets by declaring itself (``transition_mutation``; the customer is the first).

No ``from __future__ import annotations`` here: the transition resolvers' result unions are built
per entity at import, so their annotations must be real objects.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from app.customers import service as customers
from app.customers.entity import SPEC as CUSTOMER
from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import mutate, query_one, record_id
from app.graphql.types.customers import Customer, CustomerPayload
from app.graphql.types.workflows import (
    GuardFailedError,
    NotAllowedTransitionError,
    StatesInUseError,
    UpdateWorkflowInput,
    Workflow,
    WorkflowPayload,
    move_refusal,
    states_in_use,
)
from app.kit.registry import EntitySpec
from app.workflows import service as workflows
from app.workflows.errors import StatesInUse

WorkflowInfo = Info[GraphQLContext, None]
# (session, actor, record id, to, version, note) -> the moved record; the verb commits.
TransitionVerb = Callable[[AsyncSession, Actor, uuid.UUID, str, int, str | None], Awaitable[Any]]

WorkflowResult = Annotated[
    Workflow | NotFoundError | PermissionDeniedError, strawberry.union("WorkflowResult")
]
UpdateWorkflowResult = Annotated[
    WorkflowPayload
    | ValidationError
    | StatesInUseError
    | NotFoundError
    | PermissionDeniedError
    | VersionConflictError,
    strawberry.union("UpdateWorkflowResult"),
]


def transition_mutation(
    spec: EntitySpec,
    verb: TransitionVerb,
    payload_type: type,
    payload: Callable[[Any], Any],
    after: Callable[[GraphQLContext, Any], None] | None = None,
) -> StrawberryField:
    """``transition<Entity>(id, to, version, note)`` for a workflow-driven entity: the verb's move,
    or a typed refusal naming the allowed moves or the failing guard."""
    name = "".join(part.title() for part in spec.key.split("_"))
    result = Annotated[
        payload_type  # type: ignore[valid-type]
        | NotAllowedTransitionError
        | GuardFailedError
        | ValidationError
        | NotFoundError
        | PermissionDeniedError
        | VersionConflictError,
        strawberry.union(f"Transition{name}Result"),
    ]

    async def resolve(
        info: WorkflowInfo, id: strawberry.ID, to: str, version: int, note: str | None = None
    ) -> Any:
        def shown(record: Any) -> Any:
            if after is not None:
                after(info.context, record)
            return payload(record)

        return await mutate(
            info,
            lambda s, a: verb(s, a, record_id(id, spec.key), to, version, note),
            shown,
            input_prefix=(),
            typed=move_refusal,
        )

    resolve.__annotations__["return"] = result
    return strawberry.mutation(
        resolver=resolve,
        name=f"transition{name}",
        description=f"Move a {spec.key} to another stage of its workflow (`to` is a state key), given the "
        "version you read. Refused with NotAllowedTransitionError (listing the allowed moves) or "
        "GuardFailedError (naming the missing field or the role needed); nothing changes then.",
    )


# Each workflow-driven entity declares its move here.
TRANSITIONS: dict[str, StrawberryField] = {
    "transition_customer": transition_mutation(
        CUSTOMER,
        customers.transition_customer,
        CustomerPayload,
        lambda record: CustomerPayload(customer=Customer.from_model(record)),
        lambda context, record: context.loaders.forget_customer(record.id),
    ),
}


@strawberry.type
class WorkflowQueries:
    @strawberry.field(description="The current workflow of an entity (e.g. customer): its stages and moves.")
    async def workflow(self, info: WorkflowInfo, entity: str, pipeline: str = "default") -> WorkflowResult:
        async def load(session: AsyncSession, actor: Actor) -> Workflow:
            return Workflow.of(await workflows.get_workflow(session, actor, entity, pipeline))

        return await query_one(info, load)  # type: ignore[no-any-return]


async def _update_workflow(info: WorkflowInfo, input: UpdateWorkflowInput) -> UpdateWorkflowResult:
    # A workflow edit raises no duplicate (撞单) error, the one common error type this union lacks.
    return await mutate(  # type: ignore[no-any-return]
        info,
        lambda s, a: workflows.update_workflow(
            s, a, input.entity, input.document(), input.version, input.pipeline
        ),
        lambda saved: WorkflowPayload(workflow=Workflow.of(saved)),
        typed=lambda exc: states_in_use(exc) if isinstance(exc, StatesInUse) else None,
    )


WorkflowMutations = strawberry.type(
    type(
        "WorkflowMutations",
        (),
        {
            "__annotations__": {},
            "update_workflow": strawberry.mutation(
                resolver=_update_workflow,
                name="updateWorkflow",
                description="Save a new version of a workflow, given the version you read. Refused when "
                "records are in a state it removes (StatesInUseError with their count).",
            ),
            **TRANSITIONS,
        },
    )
)
