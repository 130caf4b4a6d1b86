"""Follow-ups, tasks, the work list and the notification centre: parse, call the service, render."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from app.domain import DomainError
from app.followups.service import FollowUpService, TaskService
from app.followups.worklist import work_list
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error, error_type
from app.graphql.kit import mutate, read_only_refusal, record_id, values_of
from app.graphql.pagination import Edge, PageInfo
from app.graphql.types.followups import (
    CreateTaskInput,
    FollowUp,
    FollowUpConnection,
    FollowUpMutationResult,
    FollowUpPayload,
    LogFollowUpInput,
    MarkNotificationsReadPayload,
    MarkNotificationsReadResult,
    Notification,
    NotificationConnection,
    Task,
    TaskConnection,
    TaskMutationResult,
    TaskPayload,
    UpdateFollowUpInput,
    WorkList,
    work_items,
)
from app.kit.paging import Order, Page, encode_cursor
from app.notifications import service as notifications

KitInfo = Info[GraphQLContext, None]


def _edges(page: Page[Any], order: Order, node: Any) -> dict[str, Any]:
    edges = [Edge(cursor=encode_cursor(r, order), node=node(r)) for r in page.items]
    return {
        "edges": edges,
        "page_info": PageInfo(
            has_next_page=page.has_next,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=page.end_cursor,
        ),
        "total_count": page.total,
        "total_count_is_capped": page.total_capped,
    }


def _follow_up(record: Any) -> FollowUpPayload:
    return FollowUpPayload(follow_up=FollowUp.from_model(record))


def _task(record: Any) -> TaskPayload:
    return TaskPayload(task=Task.from_model(record))


def _changes(data: Any) -> dict[str, Any]:
    values = values_of(data)
    values.pop("id", None)
    values.pop("version", None)
    return values


def _task_values(data: CreateTaskInput) -> dict[str, Any]:
    values = values_of(data)
    if "assignee_id" in values:
        values["owner_id"] = values.pop("assignee_id")
    return values


@strawberry.type
class FollowUpQueries:
    @strawberry.field(
        description="Follow-ups the caller may see (those of customers they see), newest first; "
        "of one customer with customerId. first is 1 to 100."
    )
    async def follow_ups(
        self,
        info: KitInfo,
        customer_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> FollowUpConnection:
        context = info.context
        async with context.db() as session:
            try:
                customer = record_id(customer_id, "customer") if customer_id is not None else None
                page = await FollowUpService(session, context.actor).listing(
                    customer, first=first, after=after
                )
            except DomainError as exc:
                if customer_id is not None and exc.code == "not_found":
                    page = Page([], 0, False, False, None)  # a malformed customer id names no customer
                else:
                    raise client_error(exc) from None
        return FollowUpConnection(**_edges(page, Order("happened_at"), FollowUp.from_model))

    @strawberry.field(
        description="Tasks the caller may see, soonest due first; open ones unless open is false."
    )
    async def tasks(
        self, info: KitInfo, first: int = 20, after: str | None = None, open: bool = True
    ) -> TaskConnection:
        context = info.context
        async with context.db() as session:
            try:
                page = await TaskService(session, context.actor).listing(
                    open_only=open, first=first, after=after
                )
            except DomainError as exc:
                raise client_error(exc) from None
        return TaskConnection(**_edges(page, Order("due_at", descending=False), Task.from_model))

    @strawberry.field(
        description="The caller's own planned follow-ups and open tasks: overdue, today, upcoming."
    )
    async def work_list(self, info: KitInfo) -> WorkList:
        context = info.context
        async with context.db() as session:
            try:
                found = await work_list(session, context.actor)
            except DomainError as exc:
                raise client_error(exc) from None
        return WorkList(
            overdue=work_items(found.overdue),
            today=work_items(found.today),
            upcoming=work_items(found.upcoming),
        )

    @strawberry.field(description="The caller's own notifications, newest first. first is 1 to 100.")
    async def notifications(
        self, info: KitInfo, first: int = 20, after: str | None = None, unread_only: bool = False
    ) -> NotificationConnection:
        context = info.context
        async with context.db() as session:
            try:
                page = await notifications.page(
                    session, context.actor, first=first, after=after, unread_only=unread_only
                )
                unread = await notifications.unread_count(session, context.actor)
            except DomainError as exc:
                raise client_error(exc) from None
        return NotificationConnection(**_edges(page, Order(), Notification.from_model), unread_count=unread)


@strawberry.type
class FollowUpMutations:
    @strawberry.mutation(
        description="Log a follow-up with a customer; nextAt plans the next one (reminded then)."
    )
    async def log_follow_up(self, info: KitInfo, input: LogFollowUpInput) -> FollowUpMutationResult:
        return await mutate(info, lambda s, a: FollowUpService(s, a).create(values_of(input)), _follow_up)

    @strawberry.mutation(description="Change some fields of a follow-up, given the version you read.")
    async def update_follow_up(self, info: KitInfo, input: UpdateFollowUpInput) -> FollowUpMutationResult:
        return await mutate(
            info,
            lambda s, a: FollowUpService(s, a).update(
                record_id(input.id, "follow_up"), input.version, _changes(input)
            ),
            _follow_up,
        )

    @strawberry.mutation(description="Delete a follow-up (it stops being reminded of).")
    async def delete_follow_up(self, info: KitInfo, id: strawberry.ID) -> FollowUpMutationResult:
        return await mutate(
            info, lambda s, a: FollowUpService(s, a).delete(record_id(id, "follow_up")), _follow_up
        )

    @strawberry.mutation(description="Create a task; an assignee other than the caller is notified.")
    async def create_task(self, info: KitInfo, input: CreateTaskInput) -> TaskMutationResult:
        return await mutate(info, lambda s, a: TaskService(s, a).create(_task_values(input)), _task)

    @strawberry.mutation(
        description="Mark a task done, given the version you read (done twice is done once)."
    )
    async def complete_task(self, info: KitInfo, id: strawberry.ID, version: int) -> TaskMutationResult:
        return await mutate(
            info, lambda s, a: TaskService(s, a).complete(record_id(id, "task"), version), _task
        )

    @strawberry.mutation(
        description="Mark the caller's notifications read: those listed, or all of them without ids. "
        "Ids of anyone else's notifications change nothing."
    )
    async def mark_notifications_read(
        self, info: KitInfo, ids: list[strawberry.ID] | None = None
    ) -> MarkNotificationsReadResult:
        context = info.context
        if refusal := read_only_refusal(context.actor):
            return refusal
        wanted: list[uuid.UUID] | None = None
        if ids is not None:
            wanted = []
            for raw in ids:
                try:
                    wanted.append(uuid.UUID(str(raw)))
                except ValueError:
                    continue  # a malformed id names no notification of the caller's
        async with context.db() as session:
            try:
                marked = await notifications.mark_read(session, context.actor, wanted)
                unread = await notifications.unread_count(session, context.actor)
            except DomainError as exc:
                return error_type(exc)  # type: ignore[return-value]
        return MarkNotificationsReadPayload(marked=marked, unread_count=unread)
