"""The ``/graphql`` route (POST only, no IDE: integrators bring their own client)."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from litestar import MediaType, Request, Response
from strawberry.litestar import make_graphql_controller

from app.graphql.context import context_getter
from app.graphql.schema import schema

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}

_Base: Any = make_graphql_controller(
    schema,
    path="/graphql",
    context_getter=context_getter,
    graphql_ide=None,
    allow_queries_via_get=False,
)


class GraphQLController(_Base):  # type: ignore[misc,valid-type]
    async def execute_request(
        self, request: Request[Any, Any, Any], context: Any, root_value: Any
    ) -> Response[Any]:
        """A request that is not GraphQL at all (bad JSON, no query) gets a GraphQL-shaped JSON error."""
        try:
            return await self.run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            return Response(
                {
                    "errors": [
                        {
                            "message": exc.reason,
                            "extensions": {"code": _CODES.get(exc.status_code, "BAD_REQUEST")},
                        }
                    ]
                },
                status_code=exc.status_code,
                media_type=MediaType.JSON,
            )


graphql_controller = GraphQLController
