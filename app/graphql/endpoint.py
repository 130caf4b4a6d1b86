"""The ``/graphql`` route: POST for GraphQL requests; GET from a browser (``Accept: text/html``) opens
GraphiQL for signed-in staff (anonymous visitors go to the login), with the example operations of
``graphql/operations/`` in a picker. Any other GET gets a JSON error: queries never run over GET.

GraphiQL's files are vendored (``web/static/vendor/graphiql``, ``react``) and started by a static
script, so the page keeps the app's Content-Security-Policy (``script-src 'self'``); its requests
carry the page's CSRF token like every other request that rides on the session cookie.

A mutation sent with an ``Idempotency-Key`` header runs at most once per key (``app.idempotency``):
a retry with the same key and request gets the first answer (header ``Idempotent-Replayed: true``),
the same key with another request a 422 ``IDEMPOTENCY_KEY_REUSED``.

Before anything is parsed the body is checked: at most ``GRAPHQL_MAX_BODY_BYTES`` of UTF-8 JSON,
an object nested at most ``MAX_JSON_DEPTH`` deep, with a query text of at most
``GRAPHQL_MAX_QUERY_BYTES`` (413 over a size, 400 otherwise). Anything that is not a GraphQL
request at all gets a GraphQL-shaped JSON error, never a 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from litestar import MediaType, Request, Response, get
from litestar.response import Redirect, Template
from strawberry.http import GraphQLRequestData
from strawberry.litestar import make_graphql_controller

from app.domain import Actor
from app.graphql.context import context_getter
from app.graphql.loaders import make_loaders
from app.graphql.protection import MAX_TOKENS
from app.graphql.schema import schema
from app.http.auth import login_url_for
from app.http.middleware import CONTENT_SECURITY_POLICY
from app.idempotency import service as idempotency
from app.settings import get_settings

IDEMPOTENCY_HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
# GraphQL inputs nest a few levels (input → address → city); JSON nested deeper is no request of ours,
# and Python's own recursion would give up on it somewhere past 900.
MAX_JSON_DEPTH = 32

# The app's policy, but GraphiQL's vendored stylesheet embeds its fonts as data: URLs. Scripts stay
# 'self' only (no inline script, no eval): the relaxation is for fonts, on this page alone.
GRAPHIQL_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("font-src 'self'", "font-src 'self' data:")
assert GRAPHIQL_CONTENT_SECURITY_POLICY != CONTENT_SECURITY_POLICY

# The example operations integrators copy (and the tests execute), offered in GraphiQL's picker.
OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"

_Base: Any = make_graphql_controller(
    schema,
    path="/graphql",
    context_getter=context_getter,
    graphql_ide=None,
    allow_queries_via_get=False,
    # File uploads (importCustomers) as GraphQL multipart requests; the CSRF middleware still
    # guards cookie-authenticated ones, integrators send a bearer token.
    multipart_uploads_enabled=True,
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


def example_operations() -> list[dict[str, str]]:
    """``graphql/operations/*.graphql`` as (name, document), by name."""
    return [
        {"name": path.stem, "query": path.read_text(encoding="utf-8")}
        for path in sorted(OPERATIONS.glob("*.graphql"))
    ]


def wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "")


class GraphQLController(_Base):  # type: ignore[misc,valid-type]
    @get(operation_id="GraphiQL", name="graphiql")
    async def handle_http_get(
        self, request: Request[Any, Any, Any], actor_or_none: Actor | None
    ) -> Response[Any] | Template | Redirect:
        """GraphiQL for signed-in staff in a browser; a JSON error for any other GET."""
        if not wants_html(request):
            return _error_response(
                "Send GraphQL requests as POST with a JSON body.", "METHOD_NOT_ALLOWED", 405
            )
        if actor_or_none is None or actor_or_none.via not in ("session", "support"):
            return Redirect(await login_url_for(request), status_code=303)
        return Template(
            "graphiql/page.html",
            context={
                "tenant": request.scope["state"].get("tenant"),
                "actor": actor_or_none,
                "operations": example_operations(),
            },
            headers={"Content-Security-Policy": GRAPHIQL_CONTENT_SECURITY_POLICY},
        )

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
        """Run the operation; a mutation with an ``Idempotency-Key`` runs at most once per key."""
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None:
            described = await self._mutation_of(request)
            if described is not None:
                return await self._run_once(request, context, root_value, key, described)
        return await self._run(request, context, root_value)

    async def _run(self, request: Request[Any, Any, Any], context: Any, root_value: Any) -> Response[Any]:
        """A request that is not GraphQL at all (bad JSON, no query) gets a GraphQL-shaped JSON error."""
        try:
            return await self.run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            return _error_response(exc.reason, _CODES.get(exc.status_code, "BAD_REQUEST"), exc.status_code)

    async def _mutation_of(self, request: Request[Any, Any, Any]) -> dict[str, Any] | None:
        """The request (query, variables, operation name) when it is a mutation; None for anything
        else, which then takes the ordinary path (and its ordinary errors)."""
        try:
            data = self.decode_json(await request.body())
        except HTTPException:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            return None
        query, name = data["query"], data.get("operationName")
        if len(query.encode("utf-8", "surrogatepass")) > get_settings().graphql_max_query_bytes:
            return None
        try:
            operation = get_operation_ast(
                parse(query, max_tokens=MAX_TOKENS), name if isinstance(name, str) else None
            )
        except GraphQLError:
            return None
        if operation is None or operation.operation is not OperationType.MUTATION:
            return None
        return {"query": query, "variables": data.get("variables"), "operationName": name}

    async def _run_once(
        self,
        request: Request[Any, Any, Any],
        context: Any,
        root_value: Any,
        key: str,
        described: dict[str, Any],
    ) -> Response[Any]:
        """The mutation and its answer are committed together with the key; a retry gets the answer.

        An answer with top-level errors (rate limited, bad variables, an unexpected failure) is not
        kept: everything the document wrote is rolled back with the key, so a retry runs it again.
        """
        try:
            async with idempotency.once(
                context.session, context.actor, key, idempotency.fingerprint(described)
            ) as attempt:
                if attempt.replay is not None:
                    return Response(
                        attempt.replay["body"].encode(),
                        status_code=attempt.replay["status"],
                        media_type=MediaType.JSON,
                        headers={REPLAYED_HEADER: "true"},
                    )
                once_context = msgspec.structs.replace(
                    context, session=attempt.session, loaders=make_loaders(attempt.session, context.lock)
                )
                response = await self._run(request, once_context, root_value)
                body = json.loads(response.content)
                if response.status_code == 200 and not body.get("errors"):
                    # The answer's exact bytes (a JSONB object would reorder its keys).
                    attempt.remember({"status": 200, "body": response.content.decode()})
                    return response
        except (idempotency.KeyReused, idempotency.InvalidKey) as exc:
            status = 422 if isinstance(exc, idempotency.KeyReused) else 400
            return _error_response(str(exc), exc.code.upper(), status)
        if body.get("data") is None:
            return response
        # Some fields of the document ran before another failed; none of it was kept.
        errors = [
            *body["errors"],
            {
                "message": "Nothing was saved; retry with the same Idempotency-Key.",
                "extensions": {"code": "NOT_SAVED"},
            },
        ]
        return Response({"data": None, "errors": errors}, status_code=200, media_type=MediaType.JSON)


def _error_response(message: str, code: str, status: int) -> Response[Any]:
    return Response(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=MediaType.JSON,
    )


graphql_controller = GraphQLController
