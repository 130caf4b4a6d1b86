"""Isolation cases of saved views, batch changes and tag management.

B keeps a private saved view named with the marker, a finished batch job (adding B's own tag to B's
secret customer, which already carries it: nothing changed) and its secret tag. Nothing A does
with B's ids reads, edits, deletes or undoes them: B's ids name no view, job or tag in A."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_NAME, MARKER_TAG, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.batches import service as batches
from app.batches.models import BatchJob
from app.batches.run import dispatch
from app.customers.models import Tag
from app.saved_views import service as views
from app.saved_views.models import SavedView

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("POST", "/views"): RouteCase(TENANT, {"entity": "customer", "name": "甲方视图", "list": "/customers"}),
    ("POST", "/views/{view_id:uuid}/delete"): RouteCase(TENANT),
    ("POST", "/batches/{job_id:uuid}/undo"): RouteCase(TENANT),
    ("GET", "/settings/tags"): RouteCase(TENANT),
    ("POST", "/settings/tags/{tag_id:uuid}"): RouteCase(TENANT, {"name": "被篡改", "color": "red"}),
    ("POST", "/settings/tags/{tag_id:uuid}/merge"): RouteCase(TENANT, {"into": "{tag_id}"}),
    ("POST", "/settings/tags/{tag_id:uuid}/delete"): RouteCase(TENANT),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "savedViews": ('{ savedViews(entity: "customer") { name filters } }', lambda w: {}),
    "batchJob": (
        "query($id: ID!) { batchJob(id: $id) { status total } }",
        lambda w: {"id": w.extra["job_id"]},
    ),
    "managedTags": ("{ managedTags { name customerCount } }", lambda w: {}),
    "createSavedView": (
        'mutation { createSavedView(input: {entity: "customer", name: "甲方视图"}) { __typename } }',
        lambda w: {},
    ),
    "updateSavedView": (
        'mutation($id: ID!) { updateSavedView(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["view_id"]},
    ),
    "deleteSavedView": (
        "mutation($id: ID!) { deleteSavedView(id: $id) { __typename } }",
        lambda w: {"id": w.extra["view_id"]},
    ),
    "batchUpdateCustomers": (
        "mutation($id: ID!) { batchUpdateCustomers(ids: [$id], change: {action: DELETE}) "
        "{ __typename ... on BatchJobPayload { job { done refused { reason count } } } } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "undoBatch": (
        "mutation($id: ID!) { undoBatch(id: $id) { __typename } }",
        lambda w: {"id": w.extra["job_id"]},
    ),
    "updateTag": (
        'mutation($id: ID!) { updateTag(id: $id, name: "被篡改") { __typename } }',
        lambda w: {"id": w.extra["tag_id"]},
    ),
    "mergeTags": (
        "mutation($id: ID!, $into: ID!) { mergeTags(id: $id, into: $into) { __typename } }",
        lambda w: {"id": w.extra["tag_id"], "into": w.extra["tag_id"]},
    ),
    "deleteTag": (
        "mutation($id: ID!) { deleteTag(id: $id) { __typename } }",
        lambda w: {"id": w.extra["tag_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    view = await views.create_view(
        session, b_owner, "customer", views.ViewInput(name=MARKER_NAME[:20], filters={"q": MARKER_NAME})
    )
    job = await batches.start(
        session, b_owner, "customer", batches.Change("add_tags", tags=(MARKER_TAG,)), ids=[world.b_customer]
    )
    job = await dispatch(session, b_owner, job, None, "")
    tag_id = await session.scalar(select(Tag.id).where(Tag.name == MARKER_TAG))
    return {"view_id": str(view.id), "job_id": str(job.id), "tag_id": str(tag_id)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    view = await session.get(SavedView, uuid.UUID(world.extra["view_id"]))
    if view is None or view.version != 1 or view.name != MARKER_NAME[:20]:
        problems.append("B's saved view changed")
    job = await session.get(BatchJob, uuid.UUID(world.extra["job_id"]))
    if job is None or job.status != "done":
        problems.append("B's batch job changed")
    tag = await session.get(Tag, uuid.UUID(world.extra["tag_id"]))
    if tag is None or tag.name != MARKER_TAG:
        problems.append("B's tag changed")
    return problems
