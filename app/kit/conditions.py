"""Query conditions every entity's list filter builds alike (deals, contracts, quotes, leads...).

    conditions += search_conditions(Contract, filters.search)
    conditions += state_condition(Opportunity.stage, filters.stage, "stage")

Bad values are field errors, as a filter spec reports them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from app.domain import FieldError, ValidationFailed
from app.search.grams import build_query

SEARCH_MAX_LENGTH = 100
STATE_MAX_LENGTH = 32


def search_conditions(
    model: Any, search: str | None, *, max_length: int = SEARCH_MAX_LENGTH
) -> list[ColumnElement[bool]]:
    """The model's Chinese search (``SearchMixin``: grams, then ``LIKE`` for order and adjacency)
    for ``search``; none for an empty one; a field error on ``search`` when it is too long."""
    if not search or not search.strip():
        return []
    if len(search) > max_length:
        raise ValidationFailed([FieldError("search", "too_long", f"must be at most {max_length} characters")])
    built = build_query(search)
    if built is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if built.grams:
        conditions.append(model.search_grams.contains(built.grams))
    conditions += [model.search_text.like(p) for p in built.like_patterns]
    return conditions


def state_condition(column: Any, value: str | None, field: str) -> list[ColumnElement[bool]]:
    """Records in one workflow state (a stage, a status) given as its key; a key longer than any
    state's is a field error on ``field``."""
    if value is None:
        return []
    if len(value) > STATE_MAX_LENGTH:
        raise ValidationFailed([FieldError(field, "invalid_choice", "is not a state of this workflow")])
    return [column == value]
