"""Passes over every tenant hold a bounded number of locks, whatever the number of tenants.

PostgreSQL keeps a lock on every relation a transaction has touched (each table read, and each of
its indexes the planner opened) until the transaction ends, in one lock table shared by all
sessions and sized ``max_locks_per_transaction`` x (``max_connections`` + a few). A pass that
reads 10,000 tenant schemas in one transaction needs tens of thousands of entries: ``dealercrm
migrate`` failed with "out of shared memory" at about 6,650 tenants on default settings (issue 12).

So every pass over all tenants (migrate and its dry run, the usage refresh, the backup schedule,
the purge, the benchmarks' set-up) works in batches, one transaction each, and a batch touches at
most ``lock_budget`` relations: the server's ``max_locks_per_transaction``, which is what the lock
table reserves per session on average. The first 16 weak locks of a session do not even use the
shared table (fast-path), so a pass stays well inside its share at 50,000 tenants as at 50.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


async def lock_budget(conn: AsyncConnection) -> int:
    """Relations one transaction of a pass may lock: the server's ``max_locks_per_transaction``."""
    return max(1, int(await conn.scalar(text("SHOW max_locks_per_transaction")) or 64))


def relations_read(tables: Sequence[Table]) -> int:
    """Relations a query reading ``tables`` locks: each table and every index the planner opens
    (the primary key, unique constraints and declared indexes)."""
    total = 0
    for table in tables:
        unique = sum(1 for c in table.constraints if c.__class__.__name__ == "UniqueConstraint")
        total += 1 + (1 if table.primary_key.columns else 0) + unique + len(table.indexes)
    return total


def schemas_per_batch(budget: int, relations_per_schema: int, most: int | None = None) -> int:
    """How many schemas one transaction may touch, ``relations_per_schema`` locks each (at least 1)."""
    size = max(1, budget // max(1, relations_per_schema))
    return min(size, most) if most else size


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
