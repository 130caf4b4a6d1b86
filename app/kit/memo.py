"""Lookups remembered for the length of one transaction that writes many records (an import's
chunk): the custom-field definitions and the workflow every row is checked against are read
once, not once per row.

Outside ``memoized`` nothing is remembered, so a request always reads them fresh. Inside it, a
lookup returns what the transaction's first read returned: the same thing, because the first read
of a workflow takes its share lock (an edit of the workflow waits for the transaction), and the
definitions are not edited by the transaction that imports rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

MEMO = "kit.memo"
T = TypeVar("T")


@contextmanager
def memoized(session: AsyncSession) -> Iterator[None]:
    """Remember ``remembered`` lookups on ``session`` until the block ends (one transaction)."""
    session.info[MEMO] = {}
    try:
        yield
    finally:
        session.info.pop(MEMO, None)


async def remembered(session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s answer, read once per ``memoized`` block (every time outside one)."""
    store: dict[Any, Any] | None = session.info.get(MEMO)
    if store is None:
        return await load()
    if key not in store:
        store[key] = await load()
    return store[key]  # type: ignore[no-any-return]
