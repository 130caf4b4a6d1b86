"""Follow-ups, tasks, the work list and the notification centre: parse, call the service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, DomainError
from app.followups.service import FollowUpService, TaskService
from app.followups.worklist import work_list
from app.graphql.errors import client_error
from app.graphql.kit import EntityFace, KitInfo, keyset_connection, mutate, query, record_id, shown, values_of
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

C = TypeVar("C")


def _listed(kind: Callable[..., C], page: Page[Any], order: Order, node: Any, **more: Any) -> C:
    """A list in a fixed order, paged forward only: there is no previous page to speak of."""
    return keyset_connection(kind, page, None, lambda r: encode_cursor(r, order), node, **more)


FOLLOW_UPS = EntityFace(
    "follow_up", FollowUpService, shown(FollowUp.from_model), lambda f: FollowUpPayload(follow_up=f)
)
TASKS = EntityFace("task", TaskService, shown(Task.from_model), lambda task: TaskPayload(task=task))


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
        return _listed(FollowUpConnection, page, Order("happened_at"), FollowUp.from_model)

    @strawberry.field(
        description="Tasks the caller may see, soonest due first; open ones unless open is false."
    )
    async def tasks(
        self, info: KitInfo, first: int = 20, after: str | None = None, open: bool = True
    ) -> TaskConnection:
        page = await query(
            info, lambda s, a: TaskService(s, a).listing(open_only=open, first=first, after=after)
        )
        return _listed(TaskConnection, page, Order("due_at", descending=False), Task.from_model)

    @strawberry.field(
        description="The caller's own planned follow-ups and open tasks: overdue, today, upcoming."
    )
    async def work_list(self, info: KitInfo) -> WorkList:
        found = await query(info, work_list)
        return WorkList(
            overdue=work_items(found.overdue),
            today=work_items(found.today),
            upcoming=work_items(found.upcoming),
        )

    @strawberry.field(description="The caller's own notifications, newest first. first is 1 to 100.")
    async def notifications(
        self, info: KitInfo, first: int = 20, after: str | None = None, unread_only: bool = False
    ) -> NotificationConnection:
        async def load(session: AsyncSession, actor: Actor) -> tuple[Page[Any], int]:
            page = await notifications.page(session, actor, first=first, after=after, unread_only=unread_only)
            return page, await notifications.unread_count(session, actor)

        page, unread = await query(info, load)
        return _listed(NotificationConnection, page, Order(), Notification.from_model, unread_count=unread)


@strawberry.type
class FollowUpMutations:
    @strawberry.mutation(
        description="Log a follow-up with a customer; nextAt plans the next one (reminded then)."
    )
    async def log_follow_up(self, info: KitInfo, input: LogFollowUpInput) -> FollowUpMutationResult:
        return await FOLLOW_UPS.create(info, input)

    @strawberry.mutation(description="Change some fields of a follow-up, given the version you read.")
    async def update_follow_up(self, info: KitInfo, input: UpdateFollowUpInput) -> FollowUpMutationResult:
        return await FOLLOW_UPS.update(info, input)

    @strawberry.mutation(description="Delete a follow-up (it stops being reminded of).")
    async def delete_follow_up(self, info: KitInfo, id: strawberry.ID) -> FollowUpMutationResult:
        return await FOLLOW_UPS.delete(info, id)

    @strawberry.mutation(description="Create a task; an assignee other than the caller is notified.")
    async def create_task(self, info: KitInfo, input: CreateTaskInput) -> TaskMutationResult:
        return await TASKS.run(info, lambda tasks: tasks.create(_task_values(input)))

    @strawberry.mutation(
        description="Mark a task done, given the version you read (done twice is done once)."
    )
    async def complete_task(self, info: KitInfo, id: strawberry.ID, version: int) -> TaskMutationResult:
        return await TASKS.run(info, lambda tasks: tasks.complete(TASKS.id_of(id), version))

    @strawberry.mutation(
        description="Mark the caller's notifications read: those listed, or all of them without ids. "
        "Ids of anyone else's notifications change nothing."
    )
    async def mark_notifications_read(
        self, info: KitInfo, ids: list[strawberry.ID] | None = None
    ) -> MarkNotificationsReadResult:
        wanted: list[uuid.UUID] | None = None
        if ids is not None:
            wanted = []
            for raw in ids:
                try:
                    wanted.append(uuid.UUID(str(raw)))
                except ValueError:
                    continue  # a malformed id names no notification of the caller's

        async def run(session: AsyncSession, actor: Actor) -> tuple[int, int]:
            marked = await notifications.mark_read(session, actor, wanted)
            return marked, await notifications.unread_count(session, actor)

        return await mutate(
            info, run, lambda done: MarkNotificationsReadPayload(marked=done[0], unread_count=done[1])
        )
