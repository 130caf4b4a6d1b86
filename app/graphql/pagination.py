"""Relay-style connections (forward pagination by opaque keyset cursors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

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


def selected_node_fields(info: Info[Any, Any]) -> set[str]:
    """Field names the query selects under ``edges { node { ... } }``, through fragments too.

    A list resolver uses it to load related records for the whole page only when they are asked for.
    """
    found: set[str] = set()

    def walk(selections: Iterable[Selection], path: tuple[str, ...]) -> None:
        for selection in selections:
            if not isinstance(selection, SelectedField):
                walk(selection.selections, path)  # a fragment: same level
            elif not path:
                found.add(selection.name)
            elif selection.name == path[0]:
                walk(selection.selections, path[1:])

    for field in info.selected_fields:
        walk(field.selections, ("edges", "node"))
    return found
