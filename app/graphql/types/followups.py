"""Follow-ups, tasks, the work list and notifications as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.followups.fields import FollowUpChannel as FollowUpChannelEnum
from app.followups.fields import FollowUpOutcome as FollowUpOutcomeEnum
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum, id_or_none
from app.graphql.pagination import Connection
from app.notifications.service import render

FollowUpChannel = graphql_enum(FollowUpChannelEnum, "How the follow-up happened: call, visit, WeChat, SMS...")
FollowUpOutcome = graphql_enum(FollowUpOutcomeEnum, "What came of a follow-up.")


@strawberry.type(description="A call, visit, WeChat chat, SMS, email or meeting with a customer.")
class FollowUp:
    id: strawberry.ID
    customer_id: strawberry.ID
    contact_id: strawberry.ID | None
    owner_id: strawberry.ID | None = strawberry.field(description="The salesperson who had it.")
    channel: FollowUpChannel  # type: ignore[valid-type]
    outcome: FollowUpOutcome | None  # type: ignore[valid-type]
    summary: str
    happened_at: datetime
    next_at: datetime | None = strawberry.field(description="When to follow up next (reminded then).")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, record: Any) -> FollowUp:
        return from_record(cls, record)


@strawberry.input
class LogFollowUpInput:
    customer_id: strawberry.ID
    channel: FollowUpChannel  # type: ignore[valid-type]
    summary: str
    outcome: FollowUpOutcome | None = strawberry.UNSET  # type: ignore[valid-type]
    contact_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A contact of this customer."
    )
    happened_at: datetime | None = strawberry.field(default=strawberry.UNSET, description="Default: now.")
    next_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When to follow up next; a time in the past is refused."
    )


@strawberry.input
class UpdateFollowUpInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    channel: FollowUpChannel | None = strawberry.UNSET  # type: ignore[valid-type]
    summary: str | None = strawberry.UNSET
    outcome: FollowUpOutcome | None = strawberry.UNSET  # type: ignore[valid-type]
    contact_id: strawberry.ID | None = strawberry.UNSET
    happened_at: datetime | None = strawberry.UNSET
    next_at: datetime | None = strawberry.UNSET


@strawberry.type
class FollowUpPayload:
    follow_up: FollowUp


FollowUpMutationResult = Annotated[
    FollowUpPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("FollowUpMutationResult"),
]
FollowUpConnection = Connection[FollowUp]


@strawberry.type(description="Something one person must do by a due time, maybe for a customer.")
class Task:
    id: strawberry.ID
    title: str
    notes: str | None
    customer_id: strawberry.ID | None
    assignee_id: strawberry.ID | None
    due_at: datetime
    done_at: datetime | None
    version: int
    created_at: datetime

    @classmethod
    def from_model(cls, record: Any) -> Task:
        return from_record(cls, record, assignee_id=id_or_none(record.owner_id))


@strawberry.input
class CreateTaskInput:
    title: str
    due_at: datetime = strawberry.field(description="A time in the past is refused.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller; anyone else is told."
    )
    customer_id: strawberry.ID | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.type
class TaskPayload:
    task: Task


TaskMutationResult = Annotated[
    TaskPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("TaskMutationResult"),
]


@strawberry.type
class TaskConnection(Connection[Task]):
    pass


@strawberry.type(description="One planned follow-up or open task on a work list.")
class WorkItem:
    kind: str = strawberry.field(description="follow_up or task")
    id: strawberry.ID
    title: str
    at: datetime
    version: int
    customer_id: strawberry.ID | None


@strawberry.type(description="The caller's planned follow-ups and open tasks, by day (Asia/Shanghai).")
class WorkList:
    overdue: list[WorkItem]
    today: list[WorkItem]
    upcoming: list[WorkItem] = strawberry.field(description="The next seven days after today.")


def work_items(items: list[Any]) -> list[WorkItem]:
    return [
        WorkItem(
            kind=i.kind,
            id=strawberry.ID(str(i.id)),
            title=i.title,
            at=i.at,
            version=i.version,
            customer_id=id_or_none(i.customer_id),
        )
        for i in items
    ]


@strawberry.type(description="Something the caller was told (the bell in the admin).")
class Notification:
    id: strawberry.ID
    kind: str
    title: str = strawberry.field(description="In the caller's language.")
    body: str | None
    link: str | None = strawberry.field(description="The admin page it is about, as a path.")
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, record: Any) -> Notification:
        return cls(
            id=strawberry.ID(str(record.id)),
            kind=record.kind,
            title=render(record.title, record.params),
            body=render(record.body, record.params) or None,
            link=record.link,
            created_at=record.created_at,
            read_at=record.read_at,
        )


@strawberry.type
class NotificationConnection(Connection[Notification]):
    unread_count: int = strawberry.field(description="Unread notifications, counted up to 100.")


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int = strawberry.field(description="How many of the caller's notifications became read.")
    unread_count: int


MarkNotificationsReadResult = Annotated[
    MarkNotificationsReadPayload | ValidationError | PermissionDeniedError,
    strawberry.union("MarkNotificationsReadResult"),
]
