"""Isolation cases of the customer timeline, quick notes, duplicates and merges.

B holds a note on its customer whose text is the marker (with an attached file), and a merge of
two of its customers; nothing A does with B's ids may read them, undo the merge or change B's
duplicate policy."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.duplicates.merge import merge_customers
from app.duplicates.models import CustomerMerge
from app.duplicates.policy import DuplicatePolicy, duplicate_policy
from app.timeline.models import CustomerNote
from app.timeline.notes import Upload, add_note

_NOTES = "/customers/{customer_id:uuid}/notes"
_TIMELINE = "/customers/{customer_id:uuid}/timeline"

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    # The timeline of B's customer, a note on it, and its file: all read as absent.
    ("GET", _TIMELINE): RouteCase(TENANT),
    ("POST", f"{_TIMELINE}/notes"): RouteCase(TENANT, {"body": "甲方备注"}),
    ("GET", f"{_TIMELINE}/notes/{{note_id:uuid}}/files/{{index:int}}"): RouteCase(TENANT),
    # Notes as a kit child (their edit, delete, restore routes).
    ("GET", _NOTES): RouteCase(TENANT),
    ("GET", f"{_NOTES}/new"): RouteCase(TENANT),
    ("POST", _NOTES): RouteCase(TENANT, {"body": "甲方备注"}),
    ("GET", f"{_NOTES}/{{note_id:uuid}}/edit"): RouteCase(TENANT),
    ("POST", f"{_NOTES}/{{note_id:uuid}}"): RouteCase(TENANT, {"body": "被篡改", "version": "1"}),
    ("POST", f"{_NOTES}/{{note_id:uuid}}/delete"): RouteCase(TENANT),
    ("POST", f"{_NOTES}/{{note_id:uuid}}/restore"): RouteCase(TENANT),
    # A's own duplicates page and policy; B's customers and merge by id read as absent.
    ("GET", "/duplicates"): RouteCase(TENANT),
    ("POST", "/duplicates/merge"): RouteCase(
        TENANT, {"kept_id": "{customer_id}", "merged_id": "{b_other_id}"}
    ),
    ("POST", "/duplicates/merges/{merge_id:uuid}/undo"): RouteCase(TENANT),
    ("POST", "/duplicates/policy"): RouteCase(TENANT, {"policy": "refuse"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "timelineKinds": ("{ timelineKinds { key label } }", lambda w: {}),
    "duplicateCandidates": (
        "{ duplicateCandidates(first: 200) { groupCount pairs { olderName newerName } } }",
        lambda w: {},
    ),
    "addCustomerNote": (
        'mutation($id: ID!) { addCustomerNote(input: {customerId: $id, body: "甲方"}) { __typename } }',
        lambda w: {"id": str(w.b_customer)},
    ),
    "mergeCustomers": (
        "mutation($a: ID!, $b: ID!) { mergeCustomers(input: {keptId: $a, mergedId: $b}) "
        "{ __typename ... on CustomerMergePayload { merge { id } } } }",
        lambda w: {"a": str(w.b_customer), "b": w.extra["b_other_id"]},
    ),
    "undoMerge": (
        "mutation($id: ID!) { undoMerge(id: $id) "
        "{ __typename ... on CustomerMergePayload { merge { id } } } }",
        lambda w: {"id": w.extra["merge_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    note = await add_note(
        session,
        b_owner,
        world.b.schema,
        world.b_customer,
        MARKER_NAME,
        [Upload("乙方机密.txt", "text/plain", MARKER_NAME.encode())],
    )
    kept = await customers.create_customer(session, b_owner, CustomerInput(name=MARKER_NAME + "甲"))
    gone = await customers.create_customer(session, b_owner, CustomerInput(name=MARKER_NAME + "乙"))
    other = await customers.create_customer(session, b_owner, CustomerInput(name=MARKER_NAME + "丙"))
    merge = await merge_customers(session, b_owner, kept.id, gone.id)
    return {"note_id": str(note.id), "index": "0", "merge_id": str(merge.id), "b_other_id": str(other.id)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    note = await session.get(CustomerNote, uuid.UUID(world.extra["note_id"]))
    if note is None or note.version != 1 or note.deleted_at is not None or note.body != MARKER_NAME:
        problems.append("B's note changed")
    merge = await session.get(CustomerMerge, uuid.UUID(world.extra["merge_id"]))
    if merge is None or merge.undone_at is not None:
        problems.append("B's merge was undone")
    if await duplicate_policy(session) is not DuplicatePolicy.WARN:
        problems.append("B's duplicate policy changed")
    return problems
