"""Saved list views, batch changes of customers with their undo, and tag management in GraphQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from app.batches import run as batch_runs
from app.batches import service as batches
from app.batches.models import BatchJob as BatchJobModel
from app.customers import tags as tag_admin
from app.domain import Actor, DomainError, FieldError, ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import (
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VersionConflictError,
)
from app.graphql.kit import from_record, mutate, query, record_id
from app.graphql.types.customers import CustomerFilterInput
from app.kit.registry import entity as entity_spec
from app.saved_views import service as views
from app.saved_views.models import SavedView as SavedViewModel

ViewInfo = Info[GraphQLContext, None]


# -- saved views ------------------------------------------------------------------------------------


@strawberry.enum(description="Who sees a saved view besides its owner.")
class SavedViewVisibility(Enum):
    PRIVATE = "private"
    TEAM = "team"
    ROLE = "role"


@strawberry.type(description="A named filter + sort + columns of an entity's list, shown as a tab above it.")
class SavedView:
    id: strawberry.ID
    entity: str
    name: str
    visibility: SavedViewVisibility
    role_key: str | None = strawberry.field(description="The role it is shared with (visibility ROLE).")
    filters: JSON = strawberry.field(description="The list's query parameters: q, status, tag, cf.<key>...")
    sort: str | None
    descending: bool | None
    columns: list[str] | None = strawberry.field(description="Visible columns in order; null: the defaults.")
    mine: bool
    editable: bool
    version: int

    @classmethod
    def from_model(cls, view: SavedViewModel, viewer: Any) -> SavedView:
        spec = entity_spec(view.entity)
        return from_record(
            cls,
            view,
            filters=cast(JSON, dict(view.filters or {})),
            columns=list(view.columns) if view.columns is not None else None,
            mine=view.owner_id == viewer.user_id,
            editable=spec is not None and views.may_edit(viewer, view, spec),
        )


@strawberry.input
class CreateSavedViewInput:
    entity: str = strawberry.field(description='The list\'s entity, e.g. "customer".')
    name: str
    filters: JSON | None = None
    sort: str | None = None
    descending: bool | None = None
    columns: list[str] | None = None
    visibility: SavedViewVisibility = SavedViewVisibility.PRIVATE
    role_key: str | None = strawberry.field(default=None, description="For ROLE: the role (default: yours).")


@strawberry.input(description="Give only what changes, with the version you read.")
class UpdateSavedViewInput:
    id: strawberry.ID
    version: int
    name: str | None = None
    filters: JSON | None = None
    sort: str | None = None
    descending: bool | None = None
    columns: list[str] | None = None
    visibility: SavedViewVisibility | None = None
    role_key: str | None = None


def _view_input(data: CreateSavedViewInput | UpdateSavedViewInput) -> views.ViewInput:
    filters = data.filters
    if filters is not None and not isinstance(filters, dict):
        raise ValidationFailed([FieldError("filters", "invalid", "must be an object of parameters")])
    return views.ViewInput(
        name=data.name,
        filters=cast(dict[str, Any] | None, filters),
        sort=data.sort,
        descending=data.descending,
        columns=data.columns,
        visibility=data.visibility.value if data.visibility is not None else None,
        role_key=data.role_key,
    )


@strawberry.type
class SavedViewPayload:
    view: SavedView


SavedViewResult = Annotated[
    SavedViewPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("SavedViewResult"),
]


# -- batches ----------------------------------------------------------------------------------------


@strawberry.enum(description="What a batch does to each customer.")
class BatchAction(Enum):
    OWNER = "owner"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    STAGE = "stage"
    DELETE = "delete"


@strawberry.input(description="OWNER needs ownerId, ADD_TAGS/REMOVE_TAGS need tags, STAGE needs stage.")
class BatchChangeInput:
    action: BatchAction
    owner_id: strawberry.ID | None = None
    tags: list[str] | None = None
    stage: str | None = strawberry.field(default=None, description="A state key of the tenant's workflow.")

    def to_domain(self) -> batches.Change:
        owner: uuid.UUID | None = None
        if self.owner_id is not None:
            try:
                owner = uuid.UUID(str(self.owner_id))
            except ValueError:
                raise ValidationFailed(
                    [FieldError("change.owner_id", "unknown_owner", "is not a staff id")]
                ) from None
        return batches.Change(
            action=self.action.value, owner_id=owner, tags=tuple(self.tags or ()), stage=self.stage
        )


@strawberry.type(description="Records refused for one reason.")
class BatchRefusal:
    reason: str = strawberry.field(
        description="not_found, forbidden, invalid, conflict, not_allowed_transition or guard_failed."
    )
    count: int


@strawberry.type(description="A batch change: progress, refusals by reason, and whether it can be undone.")
class BatchJob:
    id: strawberry.ID
    entity: str
    action: BatchAction
    status: str = strawberry.field(description="queued, running, done, failed, undoing or undone.")
    total: int
    done: int
    refused: list[BatchRefusal]
    undo_done: int = strawberry.field(description="Records the undo put back.")
    undo_kept: int = strawberry.field(description="Records changed by someone since, left as they are.")
    created_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None
    undoable_until: datetime
    can_undo: bool

    @classmethod
    def from_model(cls, job: BatchJobModel) -> BatchJob:
        return from_record(
            cls,
            job,
            refused=[BatchRefusal(reason=r, count=n) for r, n in sorted((job.refused or {}).items())],
            undoable_until=batches.undo_deadline(job),
            can_undo=batches.can_undo(job),
        )


@strawberry.type
class BatchJobPayload:
    job: BatchJob


BatchJobResult = Annotated[
    BatchJobPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("BatchJobResult"),
]


# -- tags -------------------------------------------------------------------------------------------


@strawberry.type(description="A tag as its settings page shows it.")
class ManagedTag:
    id: strawberry.ID
    name: str
    color: str | None
    customer_count: int


@strawberry.type
class TagPayload:
    tag: ManagedTag


TagResult = Annotated[
    TagPayload | ValidationError | NotFoundError | PermissionDeniedError, strawberry.union("TagResult")
]


def _tag(tag: Any, count: int = 0) -> ManagedTag:
    return ManagedTag(id=strawberry.ID(str(tag.id)), name=tag.name, color=tag.color, customer_count=count)


# -- operations -------------------------------------------------------------------------------------


@strawberry.type
class ListToolQueries:
    @strawberry.field(
        description="The saved views of an entity's list you see: yours, your team's, your role's."
    )
    async def saved_views(self, info: ViewInfo, entity: str) -> list[SavedView]:
        found = await query(info, lambda s, a: views.list_views(s, a, entity))
        return [SavedView.from_model(v, info.context.actor) for v in found]

    @strawberry.field(description="A batch change you started, or null.")
    async def batch_job(self, info: ViewInfo, id: strawberry.ID) -> BatchJob | None:
        context = info.context
        async with context.db() as session:
            try:
                return BatchJob.from_model(
                    await batches.get_job(session, context.actor, record_id(id, "batch"))
                )
            except DomainError:
                return None

    @strawberry.field(description="Every customer tag with how many customers carry it (customers:manage).")
    async def managed_tags(self, info: ViewInfo) -> list[ManagedTag]:
        found = await query(info, tag_admin.list_tags)
        return [_tag(u.tag, u.customers) for u in found]


async def _dispatch(info: ViewInfo, session: Any, job: BatchJobModel) -> BatchJobModel:
    context = info.context
    request: Any = context.request
    arq = getattr(request.app.state, "arq", None)
    return await batch_runs.dispatch(session, context.actor, job, arq, context.tenant.schema_name)


def _view_payload(info: ViewInfo) -> Callable[[SavedViewModel], SavedViewPayload]:
    return lambda view: SavedViewPayload(view=SavedView.from_model(view, info.context.actor))


def _job_payload(job: BatchJobModel) -> BatchJobPayload:
    return BatchJobPayload(job=BatchJob.from_model(job))


@strawberry.type
class ListToolMutations:
    @strawberry.mutation(
        description="Save a view of a list (sharing with a team or a role needs <module>:manage)."
    )
    async def create_saved_view(self, info: ViewInfo, input: CreateSavedViewInput) -> SavedViewResult:
        return await mutate(
            info, lambda s, a: views.create_view(s, a, input.entity, _view_input(input)), _view_payload(info)
        )

    @strawberry.mutation(
        description="Rename or change a view: your own, or a shared one with <module>:manage."
    )
    async def update_saved_view(self, info: ViewInfo, input: UpdateSavedViewInput) -> SavedViewResult:
        return await mutate(
            info,
            lambda s, a: views.update_view(
                s, a, record_id(input.id, views.ENTITY), input.version, _view_input(input)
            ),
            _view_payload(info),
        )

    @strawberry.mutation(description="Delete a view: your own, or a shared one with <module>:manage.")
    async def delete_saved_view(self, info: ViewInfo, id: strawberry.ID) -> SavedViewResult:
        return await mutate(
            info, lambda s, a: views.delete_view(s, a, record_id(id, views.ENTITY)), _view_payload(info)
        )

    @strawberry.mutation(
        description="Change many customers at once: the given ids, or every customer matching filter "
        "(at most 50,000). Each goes through the same rules as one edit (scope, workflow guards); refusals "
        "are counted by reason. Small batches finish before the answer; larger ones run in the "
        "background (poll batchJob(id)). undoBatch puts the prior values back within 24 h."
    )
    async def batch_update_customers(
        self,
        info: ViewInfo,
        change: BatchChangeInput,
        ids: list[strawberry.ID] | None = None,
        filter: CustomerFilterInput | None = None,
    ) -> BatchJobResult:
        async def run(session: AsyncSession, actor: Actor) -> BatchJobModel:
            record_ids = None if ids is None else [record_id(raw, "customer") for raw in ids]
            filters = filter.to_domain() if filter is not None else None
            job = await batches.start(
                session, actor, "customer", change.to_domain(), ids=record_ids, filters=filters
            )
            return await _dispatch(info, session, job)

        return await mutate(info, run, _job_payload, input_prefix=())

    @strawberry.mutation(
        description="Undo a batch you made, once, within 24 h: every record gets its prior values back, "
        "except those changed by someone since (counted in undoKept)."
    )
    async def undo_batch(self, info: ViewInfo, id: strawberry.ID) -> BatchJobResult:
        async def run(session: AsyncSession, actor: Actor) -> BatchJobModel:
            job = await batches.begin_undo(session, actor, record_id(id, batches.ENTITY))
            return await _dispatch(info, session, job)

        return await mutate(info, run, _job_payload, input_prefix=())  # type: ignore[no-any-return]

    @strawberry.mutation(description="Rename and/or recolour a customer tag (customers:manage).")
    async def update_tag(
        self, info: ViewInfo, id: strawberry.ID, name: str | None = None, color: str | None = None
    ) -> TagResult:
        return cast(
            TagResult,
            await mutate(
                info,
                lambda s, a: tag_admin.update_tag(
                    s, a, record_id(id, tag_admin.ENTITY), name=name, color=color
                ),
                lambda t: TagPayload(tag=_tag(t)),
                input_prefix=(),
            ),
        )

    @strawberry.mutation(
        description="Merge tag id into tag into: its customers carry into instead; id is gone."
    )
    async def merge_tags(self, info: ViewInfo, id: strawberry.ID, into: strawberry.ID) -> TagResult:
        async def verb(session: Any, actor: Any) -> Any:
            try:
                target = uuid.UUID(str(into))
            except ValueError:
                raise ValidationFailed([FieldError("into", "unknown_tag", "is not a tag")]) from None
            return await tag_admin.merge_tags(session, actor, record_id(id, tag_admin.ENTITY), target)

        return cast(TagResult, await mutate(info, verb, lambda t: TagPayload(tag=_tag(t)), input_prefix=()))

    @strawberry.mutation(description="Delete a customer tag from every customer (customers:manage).")
    async def delete_tag(self, info: ViewInfo, id: strawberry.ID) -> TagResult:
        return cast(
            TagResult,
            await mutate(
                info,
                lambda s, a: tag_admin.delete_tag(s, a, record_id(id, tag_admin.ENTITY)),
                lambda t: TagPayload(tag=_tag(t)),
                input_prefix=(),
            ),
        )
