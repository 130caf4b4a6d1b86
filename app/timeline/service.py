"""Reading a customer's timeline: every registered source's entries, newest first, one keyset page
at a time, optionally only some kinds; visible exactly when the customer is."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.service import CustomerService
from app.domain import Actor, FieldError, ValidationFailed
from app.kit.paging import BadCursor, Order, Page, decode_cursor, encode_cursor
from app.kit.registry import entity
from app.settings import get_settings
from app.timeline import sources
from app.timeline.registry import EntryKind, kinds
from app.timeline.registry import sources as registered_sources

ORDER = Order(field="at", descending=True)


@dataclass(frozen=True)
class Entry:
    id: uuid.UUID
    at: datetime
    kind: str
    actor_id: uuid.UUID | None
    actor_name: str
    data: dict[str, Any]

    @property
    def changed_fields(self) -> list[str]:
        """The fields an edit changed (audited entries), in the record's field order."""
        before, after = self.data.get("before") or {}, self.data.get("after") or {}
        return [k for k in after if k != "version" and before.get(k) != after.get(k)] if before else []


def entry_kinds() -> tuple[EntryKind, ...]:
    """Every kind the timeline can show, in filter order."""
    sources.register_child_kinds()
    return kinds()


def _actor_name(label: str | None) -> str:
    # Audit labels read "name <email>": the timeline names people, not addresses.
    return (label or "").split(" <", 1)[0]


def _entry(row: Any) -> Entry:
    data = dict(row.data or {})
    if data.get("entity") and data.get("entity") != sources.CUSTOMER:
        spec = entity(data["entity"])
        data["title"] = (
            spec.title_of(_Snapshot(data.get("after") or data.get("before") or {})) if spec else None
        )
    return Entry(
        id=row.id,
        at=row.at,
        kind=row.kind,
        actor_id=row.actor_id,
        actor_name=_actor_name(row.actor_label),
        data=data,
    )


class _Snapshot:
    """An audited snapshot read like the record (for the entity's ``title``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


async def customer_timeline(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    kinds_wanted: Sequence[str] | None = None,
    first: int = 20,
    after: str | None = None,
) -> Page[Entry]:
    """One page of a customer's timeline, newest first. Bad paging input or an unknown kind is a
    field error; a customer out of scope is ``NotFound``, like everywhere else."""
    service = CustomerService(session, actor)
    await service.get(customer_id)  # read permission and data scope: out of scope reads as absent
    known = {k.key: k for k in entry_kinds()}
    errors: list[FieldError] = []
    size_max = get_settings().page_size_max
    if first < 1 or first > size_max:
        errors.append(FieldError("first", "out_of_range", f"must be between 1 and {size_max}"))
    unknown = [k for k in kinds_wanted or () if k not in known]
    if unknown:
        errors.append(FieldError("kinds", "invalid_choice", f"must be among {', '.join(known)}"))
    if errors:
        raise ValidationFailed(errors)
    wanted = frozenset(kinds_wanted or known)
    by_source: dict[str, set[str]] = {}
    for key in wanted:
        by_source.setdefault(known[key].source, set()).add(key)
    registered = registered_sources()
    branches = [
        registered[name].rows(customer_id, frozenset(keys)) for name, keys in sorted(by_source.items())
    ]
    cursor: tuple[Any, uuid.UUID] | None = None
    if after:
        try:
            cursor = decode_cursor(after, ORDER, branches[0].subquery().c)
        except BadCursor as exc:
            raise ValidationFailed([FieldError("after", "invalid_cursor", str(exc))]) from exc
    # Each source gives its own newest ``first + 1`` entries after the cursor (a top-N sort of one
    # customer's rows, the costly columns built for those only); the page is the newest of those.
    newest = []
    for branch in branches:
        part = branch.subquery()
        query = select(part).where(part.c.kind.in_(sorted(wanted)))
        if cursor is not None:
            query = query.where(tuple_(part.c.at, part.c.id) < tuple_(*cursor))
        newest.append(query.order_by(part.c.at.desc(), part.c.id.desc()).limit(first + 1))
    timeline = sources.union(newest).subquery("timeline")
    rows = (
        await session.execute(
            select(timeline).order_by(timeline.c.at.desc(), timeline.c.id.desc()).limit(first + 1)
        )
    ).all()
    # The total: each source's rows counted without building them, up to the cap, in one statement.
    cap = get_settings().search_count_cap
    counts = [
        select(func.count())
        .select_from(branch.with_only_columns(literal(1)).limit(cap + 1).subquery())
        .scalar_subquery()
        for branch in branches
    ]
    total = int(sum((await session.execute(select(*counts))).one()))
    items = [_entry(r) for r in rows[:first]]
    return Page(
        items=items,
        total=min(total, cap),
        total_capped=total > cap,
        has_next=len(rows) > first,
        end_cursor=encode_cursor(rows[:first][-1], ORDER) if rows else None,
    )
