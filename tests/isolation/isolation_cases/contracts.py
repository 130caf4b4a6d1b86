"""Isolation cases of the contract pages, their files and the expiry notice period.

B holds a contract titled with the marker (the opportunities' cases seed it: ``contract_id``) and
another with a file whose name and bytes are the marker; nothing A does with B's ids reads, edits,
moves, files or removes them, and A's notice period setting never reaches B's."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar

from app.kit.attachments import Upload
from app.opportunities import expiry
from app.opportunities.contracts import CONTRACT_FILES, ContractService
from app.opportunities.models import Contract

_CONTRACT = "/contracts/{contract_id:uuid}"

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/contracts/new"): RouteCase(TENANT),
    ("POST", "/contracts/new"): RouteCase(
        TENANT,
        {"title": "偷看", "customer_id": "{customer_id}", "amount": "1", "starts_on": "2026-12-01"},
    ),
    ("GET", _CONTRACT): RouteCase(TENANT),
    ("GET", f"{_CONTRACT}/edit"): RouteCase(TENANT),
    ("POST", f"{_CONTRACT}/edit"): RouteCase(
        TENANT, {"title": "被篡改", "version": "1", "amount": "1", "starts_on": "2026-12-01"}
    ),
    ("POST", f"{_CONTRACT}/move"): RouteCase(TENANT, {"to": "terminated", "version": "1"}),
    ("POST", f"{_CONTRACT}/files"): RouteCase(TENANT, {"version": "1"}),
    ("GET", f"{_CONTRACT}/files/{{index:int}}"): RouteCase(TENANT),
    ("POST", f"{_CONTRACT}/files/delete"): RouteCase(TENANT, {"version": "1", "file": "{contract_file}"}),
    ("POST", "/contracts/reminders"): RouteCase(TENANT, {"notice_days": "7"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "contractAttachments": (
        "query($id: ID!) { contractAttachments(id: $id) { name size } }",
        lambda w: {"id": w.extra["filed_contract_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    book = ContractService(session, b_owner)
    contract = await book.create(
        {
            "title": MARKER_NAME,
            "customer_id": world.b_customer,
            "amount": "8888",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        }
    )
    filed = await book.attach(
        world.b.schema,
        contract.id,
        1,
        [Upload(f"{MARKER_NAME}.pdf", "application/pdf", MARKER_NAME.encode())],
    )
    return {
        "filed_contract_id": str(filed.id),
        "contract_file": str(filed.attachments[0]["file"]),
        "index": "0",
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    filed = await session.get(Contract, uuid.UUID(world.extra["filed_contract_id"]))
    if (
        filed is None
        or filed.version != 2
        or [a["file"] for a in filed.attachments] != [world.extra["contract_file"]]
    ):
        problems.append("B's contract files changed")
    if not CONTRACT_FILES.store(world.b.schema).exists(world.extra["contract_file"]):
        problems.append("B's contract file was removed")
    if await expiry.notice_days(session) != expiry.DEFAULT_NOTICE_DAYS:
        problems.append("B's contract notice period changed")
    return problems
