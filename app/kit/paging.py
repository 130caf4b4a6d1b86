"""One keyset page for every list: ``Page[T]`` with a total that stops counting at a cap.

A cursor is the sort value and id of the page's last row (base64 JSON, naming the sort field so a
cursor from another ordering is refused). Counting stops at ``count_cap`` so a very common search
term costs a bounded count ("10,000+") rather than a full scan.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Date, DateTime, Float, Integer, Numeric, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pinyin_sort import sort_attribute
from app.kit.pinyin_sort import sort_key as pinyin_key
from app.text_input import problem as text_problem

T = TypeVar("T")


@dataclass(frozen=True)
class Order:
    field: str = "created_at"
    descending: bool = True


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    total_capped: bool
    has_next: bool
    end_cursor: str | None
    # Keyset backwards (a "previous page" link): the first row's cursor and whether rows come before.
    start_cursor: str | None = None
    has_previous: bool = False


class BadCursor(ValueError):
    pass


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def encode_cursor(record: Any, order: Order) -> str:
    raw = json.dumps(
        [
            order.field,
            _json_value(getattr(record, sort_attribute(type(record), order.field))),
            str(record.id),
        ],
        ensure_ascii=False,
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order, model: Any) -> tuple[Any, uuid.UUID]:
    """The (sort value, id) a cursor holds, typed like the sort column; ``BadCursor`` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception as exc:
        raise BadCursor("malformed cursor") from exc
    if name != order.field:
        raise BadCursor("cursor belongs to another ordering")
    column_type = getattr(model, sort_attribute(model, order.field)).type
    try:
        if isinstance(column_type, DateTime):
            value = datetime.fromisoformat(value)
            # An extreme or zone-less time would break asyncpg's conversion to UTC (a 500).
            if value.tzinfo is None or not 1900 <= value.year <= 9998:
                raise BadCursor("malformed cursor")
        elif isinstance(column_type, Date):
            value = date.fromisoformat(value)
            if not 1900 <= value.year <= 9998:
                raise BadCursor("malformed cursor")
        elif isinstance(column_type, Numeric) and not isinstance(column_type, Integer | Float):
            # An amount: its exact text, finite (a NaN or an exponent would fail in PostgreSQL).
            if not isinstance(value, str) or len(value) > 40:
                raise BadCursor("malformed cursor")
            value = Decimal(value)
            if not value.is_finite():
                raise BadCursor("malformed cursor")
        elif isinstance(column_type, Integer):
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                raise BadCursor("malformed cursor")
        elif value is not None and (not isinstance(value, str) or text_problem(value)):
            # NUL or a lone surrogate would reach PostgreSQL and fail there (a 500).
            raise BadCursor("malformed cursor")
        return value, uuid.UUID(ident)
    except BadCursor:
        raise
    except Exception as exc:
        raise BadCursor("malformed cursor") from exc


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    model: Any,
    order: Order,
    *,
    limit: int,
    after: str | None = None,
    count_cap: int = 10_000,
    before: str | None = None,
) -> Page[Any]:
    """One page of ``query`` (already filtered and scoped) after ``after`` (or the page just before
    ``before``), plus the capped total."""
    # A name sorted in pinyin orders by its key column (app.kit.pinyin_sort).
    sort_col = getattr(model, sort_attribute(model, order.field))
    paged = query
    key = tuple_(sort_col, model.id)
    # Backwards: walk the reversed order from ``before``, then put the rows back in list order.
    descending = order.descending != bool(before and not after)
    if after:
        value, ident = decode_cursor(after, order, model)
        paged = paged.where(key < tuple_(value, ident) if order.descending else key > tuple_(value, ident))
    elif before:
        value, ident = decode_cursor(before, order, model)
        paged = paged.where(key > tuple_(value, ident) if order.descending else key < tuple_(value, ident))
    if descending:
        paged = paged.order_by(sort_col.desc(), model.id.desc())
    else:
        paged = paged.order_by(sort_col.asc(), model.id.asc())
    rows = list((await session.scalars(paged.limit(limit + 1))).all())
    items = rows[:limit]
    more = len(rows) > limit
    backwards = bool(before and not after)
    if backwards:
        items.reverse()
    total = 0
    if count_cap > 0:
        counted = query.with_only_columns(model.id).limit(count_cap + 1).subquery()
        total = int(await session.scalar(select(func.count()).select_from(counted)) or 0)
    return Page(
        items=items,
        total=min(total, count_cap),
        total_capped=total > count_cap,
        has_next=True if backwards else more,
        end_cursor=encode_cursor(items[-1], order) if items else None,
        start_cursor=encode_cursor(items[0], order) if items else None,
        has_previous=more if backwards else bool(after),
    )


async def stream(
    session: AsyncSession, query: Select[Any], model: Any, *, batch: int = 1000
) -> AsyncIterator[list[Any]]:
    """Every row of ``query``, oldest first, a batch at a time (exports)."""
    order = Order(field="created_at", descending=False)
    after: str | None = None
    while True:
        page = await keyset_page(session, query, model, order, limit=batch, after=after, count_cap=0)
        if page.items:
            yield page.items
        if not page.has_next:
            return
        after = page.end_cursor


def page_of(
    records: list[Any],
    order: Order,
    *,
    first: int,
    after: str | None = None,
    before: str | None = None,
) -> Page[Any]:
    """One keyset page of a whole small list a service returned (staff: a plan's seats), sorted by
    ``order`` (then id), with the same cursors and page shape as ``keyset_page``; a cursor naming a
    row no longer in the list is ``BadCursor``. Empty values come first going up, last going down."""

    def key(record: Any) -> tuple[Any, ...]:
        value = getattr(record, sort_attribute(type(record), order.field), None)
        if isinstance(value, str):
            value = pinyin_key(value)  # 安 before 丁 before 张, as the database's lists sort
        return (value is not None, value if value is not None else 0, str(record.id))

    ordered = sorted(records, key=key, reverse=order.descending)

    def position(cursor: str) -> int:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            name, _value, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except Exception as exc:
            raise BadCursor("malformed cursor") from exc
        if name != order.field:
            raise BadCursor("cursor belongs to another ordering")
        found = next((i for i, r in enumerate(ordered) if str(r.id) == str(ident)), None)
        if found is None:
            raise BadCursor("cursor row is gone")
        return found

    if after:
        start = position(after) + 1
        items = ordered[start : start + first]
        has_next, has_previous = start + first < len(ordered), True
    elif before:
        end = position(before)
        start = max(0, end - first)
        items = ordered[start:end]
        has_next, has_previous = True, start > 0
    else:
        items = ordered[:first]
        has_next, has_previous = len(ordered) > first, False
    return Page(
        items=items,
        total=len(ordered),
        total_capped=False,
        has_next=has_next,
        end_cursor=encode_cursor(items[-1], order) if items else None,
        start_cursor=encode_cursor(items[0], order) if items else None,
        has_previous=has_previous,
    )
