"""Isolation cases of the opportunity pipelines (helper H3).

B has a second pipeline named with the marker; A's staff list pipelines (B's never shows), copy,
rename and archive it by its key, and put B's deal in it: each reads B's key and B's deal as absent
(B's pipeline keeps its name and stays open, B's deal stays where it was)."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.opportunities.models import Opportunity
from app.workflows import pipelines
from app.workflows.models import Pipeline

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/opportunities/pipelines"): RouteCase(TENANT),
    ("POST", "/opportunities/pipelines"): RouteCase(TENANT, {"name": "偷看", "copy_from": "{pipeline_key}"}),
    ("POST", "/opportunities/pipelines/{key:str}"): RouteCase(TENANT, {"name": "被篡改", "position": "0"}),
    ("POST", "/opportunities/pipelines/{key:str}/archive"): RouteCase(TENANT, {}),
    ("POST", "/opportunities/{opportunity_id:uuid}/pipeline"): RouteCase(
        TENANT, {"pipeline": "{pipeline_key}", "version": "1"}
    ),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "pipelines": ("{ pipelines { key name stages { label } } }", lambda w: {}),
    "createPipeline": (
        'mutation($k: String!) { createPipeline(input: {name: "偷看", copyFrom: $k}) '
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"k": w.extra["pipeline_key"]},
    ),
    "updatePipeline": (
        'mutation($k: String!) { updatePipeline(input: {key: $k, name: "被篡改", position: 0}) '
        "{ __typename } }",
        lambda w: {"k": w.extra["pipeline_key"]},
    ),
    "archivePipeline": (
        "mutation($k: String!) { archivePipeline(key: $k) { __typename } }",
        lambda w: {"k": w.extra["pipeline_key"]},
    ),
    "moveOpportunityToPipeline": (
        "mutation($id: ID!, $k: String!) { moveOpportunityToPipeline(id: $id, pipeline: $k, version: 1) "
        "{ __typename } }",
        lambda w: {"id": w.extra["opportunity_id"], "k": w.extra["pipeline_key"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    row = await pipelines.create_pipeline(session, b_owner, "opportunity", MARKER_NAME)
    return {"pipeline_key": row.key, "key": row.key}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    row = (
        await session.scalars(select(Pipeline).where(Pipeline.key == world.extra["pipeline_key"]))
    ).one_or_none()
    if row is None or (row.name, row.archived_at, row.position) != (MARKER_NAME, None, 1):
        problems.append("B's pipeline changed")
    deal = await session.get(Opportunity, uuid.UUID(world.extra["opportunity_id"]))
    if deal is not None and deal.pipeline != "default":
        problems.append("B's opportunity changed pipeline")
    return problems
