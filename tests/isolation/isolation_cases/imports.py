"""Isolation cases of imports: B holds an upload waiting on its column check (its file name and
cells carry the marker) and a finished import of a customer; nothing A does with B's ids may read
them, start or remap the first, or undo the second."""

from __future__ import annotations

import io
import uuid
from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar

from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportBatch, ImportStatus

_BATCH = "/imports/{batch_id:uuid}"
_FILE = f"姓名,手机\n{MARKER_NAME}导入,13987650001\n".encode()

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/imports"): RouteCase(TENANT),
    ("POST", "/imports"): RouteCase(TENANT, {"entity": "customer"}),
    ("GET", _BATCH): RouteCase(TENANT),
    ("POST", _BATCH): RouteCase(
        TENANT, {"col_0": "name", "col_1": "mobile", "policy": "update", "action": "start"}
    ),
    ("GET", f"{_BATCH}/progress"): RouteCase(TENANT),
    ("GET", f"{_BATCH}/rejects"): RouteCase(TENANT),
    ("POST", f"{_BATCH}/undo"): RouteCase(TENANT),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "importJob": (
        "query($id: ID!) { importJob(id: $id) { id fileName status } }",
        lambda w: {"id": w.extra["batch_id"]},
    ),
    # A JSON request cannot carry a file: refused before anything is stored.
    "importCustomers": (
        "mutation($f: Upload!) { importCustomers(file: $f) { __typename } }",
        lambda w: {"f": None},
    ),
    "undoImport": (
        "mutation($id: ID!) { undoImport(id: $id) { __typename ... on ImportJobPayload { job { id } } } }",
        lambda w: {"id": w.extra["b_done_import_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    waiting = await imports.upload(
        session, b_owner, world.b.schema, "customer", f"{MARKER_NAME}.csv", io.BytesIO(_FILE)
    )
    done = await imports.upload(
        session, b_owner, world.b.schema, "customer", "done.csv", io.BytesIO(_FILE.replace(b"0001", b"0002"))
    )
    await imports.start(session, b_owner, done.id)
    assert (await runs.run_import(app.state.db, world.b.schema, done.id)).startswith("done")
    return {"batch_id": str(waiting.id), "b_done_import_id": str(done.id)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    waiting = await session.get(ImportBatch, uuid.UUID(world.extra["batch_id"]))
    if waiting is None or waiting.status != ImportStatus.MAPPING or waiting.policy != "skip":
        problems.append("B's waiting import was changed or started")
    done = await session.get(ImportBatch, uuid.UUID(world.extra["b_done_import_id"]))
    if done is None or done.status != ImportStatus.DONE:
        problems.append("B's finished import was undone")
    return problems
