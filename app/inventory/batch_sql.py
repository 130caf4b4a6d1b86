"""The SQL of a batch stock adjustment (``StockService.set_levels``): a chunk of levels set in a few
set-based statements, whatever its size — make the missing level rows, lock the chunk's levels in
one order, append the ledger lines, shift the levels by them.

Lock order: every level of the chunk is locked in (product id, warehouse id) order, and a single
verb locks one level, so a batch and single adjustments at the same time queue, never deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, column, func, select, update, values
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.inventory.models import StockLevel, StockMovement, Warehouse

Key = tuple[uuid.UUID, uuid.UUID]


@dataclass(frozen=True)
class Locked:
    on_hand: int
    reserved: int
    low_stock_threshold: int | None


def _keys(keys: Sequence[Key]) -> Any:
    """The levels' keys as a VALUES list to join (a join on it plans better than a long IN list)."""
    return values(
        column("product_id", UUID(as_uuid=True)), column("warehouse_id", UUID(as_uuid=True)), name="wanted"
    ).data(list(keys))


async def live_products(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Live products among ``ids``: id → serial-tracked."""
    if not ids:
        return {}
    found = await session.execute(
        select(Product.id, Product.serial_tracked).where(
            Product.id.in_(sorted(ids)), Product.deleted_at.is_(None)
        )
    )
    return {i: bool(tracked) for i, tracked in found.tuples().all()}


async def live_warehouses(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    found = await session.scalars(
        select(Warehouse.id).where(Warehouse.id.in_(sorted(ids)), Warehouse.deleted_at.is_(None))
    )
    return set(found.all())


async def lock_levels(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, Locked]:
    """Make the levels that do not exist yet (at 0), then lock every one of ``keys`` in key order
    and read it as committed. Two statements."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    await session.execute(
        insert(StockLevel)
        .values([{"product_id": p, "warehouse_id": w, "on_hand": 0, "reserved": 0} for p, w in ordered])
        .on_conflict_do_nothing()
    )
    wanted = _keys(ordered)
    level = StockLevel.__table__.c
    found = await session.execute(
        select(level.product_id, level.warehouse_id, level.on_hand, level.reserved, level.low_stock_threshold)
        .join(
            wanted, (level.product_id == wanted.c.product_id) & (level.warehouse_id == wanted.c.warehouse_id)
        )
        .order_by(level.product_id, level.warehouse_id)
        .with_for_update(of=StockLevel.__table__)
    )
    return {(p, w): Locked(int(n), int(r), t) for p, w, n, r, t in found.tuples().all()}


async def append_lines(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID,
    kind: str,
    changes: Sequence[tuple[Key, int, str | None]],
    reason: str | None,
    source_type: str | None,
    actor_id: uuid.UUID | None,
) -> None:
    """One ledger line per (level, change, source id), in one INSERT."""
    if not changes:
        return
    await session.execute(
        insert(StockMovement).values(
            [
                {
                    "batch_id": batch_id,
                    "kind": kind,
                    "product_id": p,
                    "warehouse_id": w,
                    "on_hand_delta": delta,
                    "reserved_delta": 0,
                    "reason": reason,
                    "source_type": source_type,
                    "source_id": source_id,
                    "actor_id": actor_id,
                }
                for (p, w), delta, source_id in changes
            ]
        )
    )


async def shift_levels(session: AsyncSession, changes: Sequence[tuple[Key, int]]) -> int:
    """Add each change to its (locked) level, in one UPDATE; returns the rows changed."""
    if not changes:
        return 0
    shifts = values(
        column("product_id", UUID(as_uuid=True)),
        column("warehouse_id", UUID(as_uuid=True)),
        column("delta", Integer),
        name="shifts",
    ).data([(p, w, delta) for (p, w), delta in changes])
    level = StockLevel.__table__.c
    done = await session.execute(
        update(StockLevel)
        .where(level.product_id == shifts.c.product_id, level.warehouse_id == shifts.c.warehouse_id)
        .values(on_hand=level.on_hand + shifts.c.delta, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)
