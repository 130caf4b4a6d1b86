"""Isolation cases of follow-ups, tasks, the work list and the notification centre.

B holds a follow-up and a task whose text is the marker, and an unread notification for B's owner
naming it; nothing A does with B's ids may read or change them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.followups.models import FollowUp, Task
from app.followups.notices import TASK_ASSIGNED, TASK_ASSIGNED_TITLE
from app.followups.service import FollowUpService, TaskService
from app.notifications.models import Notification
from app.notifications.service import notify

_FU = "/customers/{customer_id:uuid}/follow-ups"

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    # Follow-ups on B's customer (kit child section): every route reads as absent.
    ("GET", _FU): RouteCase(TENANT),
    ("GET", f"{_FU}/new"): RouteCase(TENANT),
    ("POST", _FU): RouteCase(TENANT, {"channel": "call", "summary": "被篡改"}),
    ("GET", f"{_FU}/{{follow_up_id:uuid}}/edit"): RouteCase(TENANT),
    ("POST", f"{_FU}/{{follow_up_id:uuid}}"): RouteCase(TENANT, {"summary": "被篡改", "version": "1"}),
    ("POST", f"{_FU}/{{follow_up_id:uuid}}/delete"): RouteCase(TENANT),
    ("POST", f"{_FU}/{{follow_up_id:uuid}}/restore"): RouteCase(TENANT),
    # A's own work list and notifications; B's task and notification by id read as absent.
    ("GET", "/work"): RouteCase(TENANT),
    ("GET", "/work/tasks/new"): RouteCase(TENANT),
    ("POST", "/work/tasks"): RouteCase(TENANT, {"title": "甲方任务", "due_at": "2099-01-01T09:00"}),
    ("POST", "/work/tasks/{task_id:uuid}/complete"): RouteCase(TENANT, {"version": "1"}),
    ("GET", "/notifications"): RouteCase(TENANT),
    ("GET", "/notifications/bell"): RouteCase(TENANT),
    ("POST", "/notifications/read"): RouteCase(TENANT, {"all": "1"}),
    ("GET", "/notifications/{notification_id:uuid}"): RouteCase(TENANT),
    ("GET", "/notifications/preferences"): RouteCase(TENANT),
    ("POST", "/notifications/preferences"): RouteCase(TENANT, {"task.due:email": "on"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "followUps": (
        "query($id: ID!) { followUps(customerId: $id, first: 100) "
        "{ totalCount edges { node { summary } } } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "logFollowUp": (
        'mutation($id: ID!) { logFollowUp(input: {customerId: $id, channel: CALL, summary: "甲方"}) '
        "{ __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "updateFollowUp": (
        'mutation($id: ID!) { updateFollowUp(input: {id: $id, version: 1, summary: "被篡改"}) '
        "{ __typename } }",
        lambda w: {"id": w.extra["follow_up_id"]},
    ),
    "deleteFollowUp": (
        "mutation($id: ID!) { deleteFollowUp(id: $id) { __typename } }",
        lambda w: {"id": w.extra["follow_up_id"]},
    ),
    "tasks": ("{ tasks(first: 100) { totalCount edges { node { title } } } }", lambda w: {}),
    "createTask": (
        'mutation($id: ID!) { createTask(input: {title: "甲方", dueAt: "2099-01-01T09:00:00+08:00", '
        "customerId: $id}) { __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "completeTask": (
        "mutation($id: ID!) { completeTask(id: $id, version: 1) { __typename } }",
        lambda w: {"id": w.extra["task_id"]},
    ),
    "workList": ("{ workList { overdue { title } today { title } upcoming { title } } }", lambda w: {}),
    "notifications": (
        "{ notifications(first: 100) { unreadCount edges { node { title body } } } }",
        lambda w: {},
    ),
    "markNotificationsRead": (
        "mutation($id: ID!) { markNotificationsRead(ids: [$id]) { __typename } }",
        lambda w: {"id": w.extra["notification_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    soon = datetime.now(UTC) + timedelta(days=3)
    follow_up = await FollowUpService(session, b_owner).create(
        {"customer_id": world.b_customer, "channel": "visit", "summary": MARKER_NAME, "next_at": soon}
    )
    task = await TaskService(session, b_owner).create(
        {"title": MARKER_NAME, "due_at": soon, "customer_id": world.b_customer}
    )
    [notification] = await notify(
        session,
        [b_owner.user_id],
        TASK_ASSIGNED,
        TASK_ASSIGNED_TITLE,
        params={"who": MARKER_NAME, "task": MARKER_NAME},
        link="/work",
    )
    return {"follow_up_id": str(follow_up.id), "task_id": str(task.id), "notification_id": str(notification)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    follow_up = await session.get(FollowUp, uuid.UUID(world.extra["follow_up_id"]))
    if follow_up is None or follow_up.version != 1 or follow_up.deleted_at is not None:
        problems.append("B's follow-up changed")
    task = await session.get(Task, uuid.UUID(world.extra["task_id"]))
    if task is None or task.version != 1 or task.done_at is not None:
        problems.append("B's task changed")
    read = await session.scalar(
        select(Notification.read_at).where(Notification.id == uuid.UUID(world.extra["notification_id"]))
    )
    if read is not None:
        problems.append("B's notification was marked read")
    return problems
