"""The ``/graphql`` route."""

from __future__ import annotations

from strawberry.litestar import make_graphql_controller

from app.graphql.context import context_getter
from app.graphql.schema import schema

graphql_controller = make_graphql_controller(
    schema,
    path="/graphql",
    context_getter=context_getter,
    graphql_ide=None,
    allow_queries_via_get=False,
)
