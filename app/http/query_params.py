"""Dates and whole numbers from query strings, bounded to what Python and PostgreSQL can hold.

The root cause of several 500s: a well-formed but extreme value (``0001-01-01`` shifted to UTC,
``9999-12-31`` plus a day, ``before=10**23`` past a bigint) passed parsing and broke later, in
date arithmetic or in asyncpg. Every date or number a page reads from its URL goes through here;
out of range is reported like any other invalid value.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

# Days a filter may name: wide enough for any business record, narrow enough that a time zone
# shift or "the day after" never leaves Python's or PostgreSQL's range.
DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(9998, 12, 31)
BIGINT_MAX = 2**63 - 1


def parse_day(raw: str | None) -> date | None:
    """``YYYY-MM-DD`` within ``DAY_MIN``..``DAY_MAX``, else None."""
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return day if DAY_MIN <= day <= DAY_MAX else None


def day_start(day: date, tz: tzinfo, *, end: bool = False) -> datetime:
    """The start of ``day`` in ``tz`` (of the next day for ``end``: an exclusive upper bound)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start + timedelta(days=1) if end else start


def parse_positive_int(raw: str | None, *, maximum: int = BIGINT_MAX) -> int | None:
    """A whole number from 1 to ``maximum`` (a bigint at most), else None."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None
