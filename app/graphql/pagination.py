"""Relay-style connections (forward pagination by opaque keyset cursors)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

NodeT = TypeVar("NodeT")


@strawberry.type(description="Where this page sits. Pass endCursor as `after` to get the next page.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(description="True when the page was asked for with `after`.")
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description="How many records match, counted up to a cap (see totalCountIsCapped)."
    )
    total_count_is_capped: bool = strawberry.field(
        description="True when more records match than totalCount says (show it as e.g. 10,000+)."
    )
