"""The ``/graphql`` route (POST only, no IDE: integrators bring their own client).

Before anything is parsed the body is checked: at most ``GRAPHQL_MAX_BODY_BYTES`` of UTF-8 JSON,
an object nested at most ``MAX_JSON_DEPTH`` deep, with a query text of at most
``GRAPHQL_MAX_QUERY_BYTES`` (413 over a size, 400 otherwise). Anything that is not a GraphQL
request at all gets a GraphQL-shaped JSON error, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from litestar import MediaType, Request, Response
from strawberry.http import GraphQLRequestData
from strawberry.litestar import make_graphql_controller

from app.graphql.context import context_getter
from app.graphql.schema import schema
from app.settings import get_settings

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
# GraphQL inputs nest a few levels (input → address → city); JSON nested deeper is no request of ours,
# and Python's own recursion would give up on it somewhere past 900.
MAX_JSON_DEPTH = 32

_Base: Any = make_graphql_controller(
    schema,
    path="/graphql",
    context_getter=context_getter,
    graphql_ide=None,
    allow_queries_via_get=False,
)


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects in ``value`` nest more than ``limit`` levels (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class GraphQLController(_Base):  # type: ignore[misc,valid-type]
    def decode_json(self, data: str | bytes) -> object:
        """UTF-8 JSON whose top level is an object (a list goes on to be refused as a batch)."""
        settings = get_settings()
        if len(data) > settings.graphql_max_body_bytes:
            raise HTTPException(
                413, f"The request body is larger than {settings.graphql_max_body_bytes:,} bytes."
            )
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "The request body is not valid UTF-8.") from exc
        try:
            value = json.loads(text)
        except RecursionError as exc:
            raise HTTPException(400, "The request body is nested too deeply.") from exc
        # json.loads raises JSONDecodeError (a ValueError) for anything else; strawberry answers it.
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The request body must be a JSON object with a query.")
        if nested_deeper_than(value, MAX_JSON_DEPTH):
            raise HTTPException(400, f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
        return value

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's parsing, then the query text's size, before the text goes anywhere near the parser."""
        parsed = await super().parse_http_body(request)
        limit = get_settings().graphql_max_query_bytes
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if item.query is not None and len(item.query.encode("utf-8", "surrogatepass")) > limit:
                raise HTTPException(
                    413,
                    f"The query is larger than {limit:,} bytes; send variables for data, "
                    "and keep comments out of the query.",
                )
            if item.operation_name is not None and not isinstance(item.operation_name, str):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string.")
        return parsed

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
