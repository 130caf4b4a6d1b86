"""Isolation cases of the kit pages' additions: updateWarehouse (added when the generic GraphQL
entity cases asked every entity for an update). A's update names B's warehouse (seeded by
catalog.py as ``warehouse_id``) and finds nothing; B's warehouse stays as it was."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import GraphQLCase, RouteCase, World

from app.inventory.models import Warehouse

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "updateWarehouse": (
        'mutation($id: ID!) { updateWarehouse(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["warehouse_id"]},
    ),
}


async def untouched(session: Any, world: World) -> list[str]:
    warehouse = await session.get(Warehouse, uuid.UUID(world.extra["warehouse_id"]))
    if warehouse is None or warehouse.version != 1 or "被篡改" in warehouse.name:
        return ["B's warehouse changed"]
    return []
