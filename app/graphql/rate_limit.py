"""Per-client rate limits that count objects, not only requests.

A request costs one plus every list size it asks for (``first``, or the default page size for
connections without it), so one request for 100 customers costs as much as 100 single reads. The
cost is added to a per-client, per-minute counter in Redis before execution; over the limit the
operation is not executed and the client gets a ``RATE_LIMITED`` error with the seconds to wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension

from app.settings import get_settings

DEFAULT_PAGE = 20
# Connection fields and the size they return when ``first`` is not given.
LIST_FIELDS = {"customers": DEFAULT_PAGE}

log = logging.getLogger("dealercrm.graphql")


def request_cost(document: Any, variables: dict[str, Any] | None, operation_name: str | None = None) -> int:
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    variables = variables or {}

    def walk(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                size = LIST_FIELDS.get(node.name.value, 0)
                for argument in node.arguments or ():
                    if argument.name.value == "first":
                        value = argument.value
                        if isinstance(value, IntValueNode):
                            size = int(value.value)
                        elif isinstance(value, VariableNode):
                            # The raw JSON value, not yet coerced: anything but an integer is left
                            # to the variable coercion that follows, which refuses it as the
                            # client's error (int() here made "abc" a server error).
                            raw = variables.get(value.name.value)
                            if isinstance(raw, int) and not isinstance(raw, bool):
                                size = raw
                            else:
                                size = size or DEFAULT_PAGE
                # Sizes beyond the page cap are refused by the field itself, so they cost at most the cap.
                size = min(max(size, 0), get_settings().page_size_max)
                inner = walk(node.selection_set, seen)
                total += size * max(inner, 1) if size else inner
            elif isinstance(node, InlineFragmentNode):
                total += walk(node.selection_set, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                fragment = fragments.get(node.name.value)
                if fragment is not None:
                    total += walk(fragment.selection_set, seen | {node.name.value})
        return total

    return 1 + sum(walk(o.selection_set, frozenset()) for o in operations[:1])


class ObjectRateLimit(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        limit = get_settings().api_objects_per_minute
        if document is not None and limit > 0 and context is not None and not self.execution_context.result:
            cost = request_cost(
                document, self.execution_context.variables, self.execution_context.operation_name
            )
            window = int(time.time() // 60)
            actor = context.actor
            key = f"ratelimit:{context.tenant.slug}:{actor.via}:{actor.user_id}:{window}"
            redis = context.request.app.state.redis
            try:
                async with redis.pipeline(transaction=True) as pipe:
                    used, _ = await pipe.incrby(key, cost).expire(key, 120).execute()
            except (RedisError, OSError) as exc:
                # Redis down: fail OPEN (documented in docs/security.md, "Redis outage"). The limit
                # protects capacity, not data; refusing every integrator for the length of an outage
                # would turn a cache failure into a full API outage, while the depth, token and page
                # size limits still bound what one request can cost.
                log.warning("graphql rate limit unavailable (%s): failing open", type(exc).__name__)
                used = 0
            if used > limit:
                retry_after = 60 - int(time.time()) % 60
                self.execution_context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"rate limit: {limit} objects per minute; this request costs {cost}; "
                            f"retry in {retry_after} s",
                            extensions={
                                "code": "RATE_LIMITED",
                                "retryAfter": retry_after,
                                "cost": cost,
                                "limit": limit,
                            },
                        )
                    ],
                )
        yield
