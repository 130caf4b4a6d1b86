"""Duplicate control for any entity: declared match rules, checked on create and edit by the kit's
verbs under the tenant's policy (warn or refuse).

    class CustomerService(EntityService[Customer]):
        duplicate_rules = (MatchRule("mobile", lambda v: select(Customer.id, Customer.owner_id)...),)

A rule turns a cleaned input value into a query of ``(record id, owner id)`` rows that match it.
What the actor learns about a match is limited on purpose: whose it is (the owner's name), and the
record itself only when it is within the actor's data scope. ``DuplicateFound`` is a validation
failure (every form and mutation already reports those) carrying the matches and whether the
tenant's policy lets the actor confirm and save anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.domain import FieldError, ValidationFailed


@dataclass(frozen=True)
class MatchRule:
    field: str  # the input field the rule reads ("mobile")
    # (the cleaned value, a getter of the record's other values as written) → a query of
    # (id, owner_id) rows of live records holding it, or None when the rule does not apply.
    query: Callable[[Any, Callable[[str], Any]], Select[Any] | None]


@dataclass(frozen=True)
class Match:
    field: str
    record_id: uuid.UUID
    owner_name: str | None
    # Only when the matched record is within the actor's scope: its id and title may be shown.
    visible: bool
    title: str | None = None


class DuplicateFound(ValidationFailed):
    """The input matches existing records. ``confirmable``: the policy is "warn", so the same input
    sent again with the confirmation is saved; otherwise ("refuse") it never is."""

    code = "duplicate"

    def __init__(self, matches: Sequence[Match], *, confirmable: bool) -> None:
        self.matches = list(matches)
        self.confirmable = confirmable
        errors: list[FieldError] = []
        for match in self.matches:
            owner = match.owner_name or "nobody"
            errors.append(
                FieldError(match.field, f"duplicate_{match.field}", f"belongs to a customer of {owner}")
            )
        super().__init__(errors)


async def find_matches(
    session: AsyncSession,
    rules: Sequence[MatchRule],
    values: dict[str, Any],
    record: Any,
    owners: Sequence[uuid.UUID] | None,
    title: Callable[[Any], str],
    model: Any,
) -> list[Match]:
    """Matches of the values this write sets (an edit that leaves a field as it was is not checked
    again); the record itself never matches. ``owners``: the actor's scope (None: all)."""
    found: list[Match] = []
    seen: set[tuple[str, uuid.UUID]] = set()
    for rule in rules:
        value = values.get(rule.field)
        if value in (None, "") or (record is not None and getattr(record, rule.field, None) == value):
            continue
        query = rule.query(
            value, lambda name: values[name] if name in values else getattr(record, name, None)
        )
        if query is None:
            continue
        rows = (await session.execute(query.limit(5))).all()
        for record_id, owner_id in rows:
            if (record is not None and record_id == record.id) or (rule.field, record_id) in seen:
                continue
            seen.add((rule.field, record_id))
            owner = await accounts_repo.user_by_id(session, owner_id) if owner_id else None
            visible = owners is None or owner_id in owners
            shown = await session.get(model, record_id) if visible else None
            found.append(
                Match(
                    field=rule.field,
                    record_id=record_id,
                    owner_name=owner.name if owner else None,
                    visible=visible,
                    title=title(shown) if shown is not None else None,
                )
            )
    return found
