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
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.domain import FieldError, ValidationFailed


@dataclass(frozen=True)
class MatchRule:
    field: str  # the input field the rule reads ("mobile")
    # (the cleaned value, a getter of the record's other values as written) → a query of
    # (id, owner_id) rows of live records holding it, or None when the rule does not apply.
    query: Callable[[Any, Callable[[str], Any]], Select[Any] | None]
    # The batched form (an import's chunk, ``MatchCache``): many cleaned values → a query of
    # (value, id, owner_id) rows, each value matched exactly as ``query`` matches it alone.
    many: Callable[[list[Any]], Select[Any]] | None = None
    # (value, getter) → what records not yet written are compared by (the same key: a match), or
    # None when the rule does not apply to this record; None: the value itself, always applies.
    key: Callable[[Any, Callable[[str], Any]], Hashable | None] | None = None

    def key_of(self, value: Any, get: Callable[[str], Any]) -> Hashable | None:
        return value if self.key is None else self.key(value, get)


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


class MatchCache:
    """The rules' answers for many new records at once (an import's chunk): one query per rule for
    every value of the chunk, then the chunk's own records as they are built (not yet written, so
    no query could find them). A value not fetched is asked the database as usual; ``forget``
    after anything else writes, so no stale answer is given."""

    LIMIT = 5  # matches per rule and value, as ``find_matches`` reads them

    def __init__(self, rules: Sequence[MatchRule]) -> None:
        self.rules = [rule for rule in rules if rule.many is not None]
        self.found: dict[tuple[str, Any], list[tuple[uuid.UUID, uuid.UUID | None]]] = {}
        self.pending: dict[tuple[str, Hashable], list[tuple[uuid.UUID, uuid.UUID | None]]] = {}
        self.records: dict[uuid.UUID, Any] = {}  # titles of matched records, held for the chunk

    async def fetch(
        self,
        session: AsyncSession,
        getters: Sequence[Callable[[str], Any]],
        owners: Sequence[uuid.UUID] | None,
        model: Any,
    ) -> None:
        """Read every rule's matches of the values the records will have (``getters``: one per
        record, name → value as ``clean`` will make it; a value it gets wrong is only not cached)."""
        shown: set[uuid.UUID] = set()
        for rule in self.rules:
            assert rule.many is not None
            wanted = {
                get(rule.field)
                for get in getters
                if get(rule.field) not in (None, "") and rule.key_of(get(rule.field), get) is not None
            }
            if not wanted:
                continue
            for value in wanted:
                self.found[(rule.field, value)] = []
            for value, record_id, owner_id in (await session.execute(rule.many(sorted(wanted)))).all():
                hits = self.found.setdefault((rule.field, value), [])
                if len(hits) < self.LIMIT and (record_id, owner_id) not in hits:
                    hits.append((record_id, owner_id))
                    if owners is None or owner_id in owners:
                        shown.add(record_id)
        if shown:
            rows = await session.scalars(select(model).where(model.id.in_(sorted(shown))))
            self.records.update({found.id: found for found in rows.all()})

    def lookup(
        self, rule: MatchRule, value: Any, key: Hashable
    ) -> list[tuple[uuid.UUID, uuid.UUID | None]] | None:
        """The (id, owner_id) matches of ``value``, or None when it was not fetched."""
        fetched = self.found.get((rule.field, value))
        if fetched is None:
            return None
        return (fetched + self.pending.get((rule.field, key), []))[: self.LIMIT]

    def add(self, record: Any) -> None:
        """A record built in this chunk (not written yet): later records of the chunk match it."""

        def get(name: str) -> Any:
            return getattr(record, name, None)

        for rule in self.rules:
            value = get(rule.field)
            key = None if value in (None, "") else rule.key_of(value, get)
            if key is not None:
                self.pending.setdefault((rule.field, key), []).append((record.id, get("owner_id")))
        self.records[record.id] = record

    def changed(self, record: Any) -> None:
        """A record the chunk's answers hold was changed (an update): it matches by its values now.
        (One it matched through a contact's or an address's number is then asked anew.)"""
        for hits in (*self.found.values(), *self.pending.values()):
            hits[:] = [hit for hit in hits if hit[0] != record.id]
        self.add(record)

    def forget(self) -> None:
        self.found.clear()
        self.pending.clear()
        self.records.clear()


async def find_matches(
    session: AsyncSession,
    rules: Sequence[MatchRule],
    values: dict[str, Any],
    record: Any,
    owners: Sequence[uuid.UUID] | None,
    title: Callable[[Any], str],
    model: Any,
    *,
    cache: MatchCache | None = None,
) -> list[Match]:
    """Matches of the values this write sets (an edit that leaves a field as it was is not checked
    again); the record itself never matches. ``owners``: the actor's scope (None: all)."""
    found: list[Match] = []
    seen: set[tuple[str, uuid.UUID]] = set()
    for rule in rules:
        value = values.get(rule.field)
        if value in (None, "") or (record is not None and getattr(record, rule.field, None) == value):
            continue

        def get(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        rows = None
        if cache is not None and rule.many is not None:
            key = rule.key_of(value, get)
            if key is None:
                continue  # the rule does not apply (as ``query`` would say with None)
            rows = cache.lookup(rule, value, key)
        if rows is None:
            query = rule.query(value, get)
            if query is None:
                continue
            rows = list((await session.execute(query.limit(5))).all())
        for record_id, owner_id in rows:
            if (record is not None and record_id == record.id) or (rule.field, record_id) in seen:
                continue
            seen.add((rule.field, record_id))
            owner = await accounts_repo.user_by_id(session, owner_id) if owner_id else None
            visible = owners is None or owner_id in owners
            shown = None
            if visible:
                shown = cache.records.get(record_id) if cache is not None else None
                shown = shown if shown is not None else await session.get(model, record_id)
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
