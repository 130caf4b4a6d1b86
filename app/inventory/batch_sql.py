"""The SQL of a batch stock adjustment (``StockService.set_levels``): a chunk of levels set in a few
set-based statements, whatever its size — make the missing level rows, lock the chunk's levels in
one order, append the ledger lines, shift the levels by them.

The rows travel as a handful of arrays (``unnest``), not as one bound parameter per value, so a
statement is the same short text for any chunk: compiling a 500-row multi-VALUES insert cost the app
more CPU than PostgreSQL spent running it.

Lock order: every level of the chunk is locked in (product id, warehouse id) order, and a single
verb locks one level, so a batch and single adjustments at the same time queue, never deadlock.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Table, and_, bindparam, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.inventory.models import StockLevel, StockMovement, Warehouse

Key = tuple[uuid.UUID, uuid.UUID]
_UUIDS = ARRAY(UUID(as_uuid=True))
# The tables themselves (Core statements: the ORM would take a parameter dict for a bulk insert).
_LEVELS = typing.cast(Table, StockLevel.__table__)
_LEDGER = typing.cast(Table, StockMovement.__table__)


@dataclass(frozen=True)
class Locked:
    on_hand: int
    reserved: int
    low_stock_threshold: int | None


def _array(name: str, kind: Any) -> Any:
    return cast(bindparam(name, type_=kind), kind)


def _keys() -> Any:
    """The levels' keys, from the ``p`` and ``w`` arrays, as a table to join."""
    return (
        func.unnest(_array("p", _UUIDS), _array("w", _UUIDS))
        .table_valued("product_id", "warehouse_id")
        .render_derived()
    )


async def live_products(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Live products among ``ids``: id → serial-tracked."""
    if not ids:
        return {}
    found = await session.execute(
        select(Product.id, Product.serial_tracked).where(
            Product.id == func.any(_array("ids", _UUIDS)), Product.deleted_at.is_(None)
        ),
        {"ids": sorted(ids)},
    )
    return {i: bool(tracked) for i, tracked in found.all()}


async def live_warehouses(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    found = await session.scalars(
        select(Warehouse.id).where(
            Warehouse.id == func.any(_array("ids", _UUIDS)), Warehouse.deleted_at.is_(None)
        ),
        {"ids": sorted(ids)},
    )
    return set(found.all())


async def lock_levels(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, Locked]:
    """Make the levels that do not exist yet (at 0), then lock every one of ``keys`` in key order
    and read it as committed. Two statements."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    arrays = {"p": [p for p, _ in ordered], "w": [w for _, w in ordered]}
    new = _keys()
    await session.execute(
        insert(_LEVELS)
        .from_select(
            ["product_id", "warehouse_id", "on_hand", "reserved"],
            select(new.c.product_id, new.c.warehouse_id, literal(0), literal(0)).order_by(
                new.c.product_id, new.c.warehouse_id
            ),
        )
        .on_conflict_do_nothing(),
        arrays,
    )
    wanted = _keys()
    level = StockLevel.__table__.c
    found = await session.execute(
        select(level.product_id, level.warehouse_id, level.on_hand, level.reserved, level.low_stock_threshold)
        .join(
            wanted, and_(level.product_id == wanted.c.product_id, level.warehouse_id == wanted.c.warehouse_id)
        )
        .order_by(level.product_id, level.warehouse_id)
        .with_for_update(of=StockLevel.__table__),
        arrays,
    )
    return {(p, w): Locked(int(n), int(r), t) for p, w, n, r, t in found.all()}


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
    rows = (
        func.unnest(
            _array("p", _UUIDS), _array("w", _UUIDS), _array("d", ARRAY(Integer)), _array("s", ARRAY(String))
        )
        .table_valued("product_id", "warehouse_id", "delta", "source_id")
        .render_derived()
    )
    await session.execute(
        insert(_LEDGER).from_select(
            [
                "batch_id",
                "kind",
                "product_id",
                "warehouse_id",
                "on_hand_delta",
                "reserved_delta",
                "reason",
                "source_type",
                "source_id",
                "actor_id",
            ],
            select(
                cast(bindparam("batch_id", type_=UUID(as_uuid=True)), UUID(as_uuid=True)),
                cast(bindparam("kind", type_=String), String),
                rows.c.product_id,
                rows.c.warehouse_id,
                rows.c.delta,
                literal(0),
                cast(bindparam("reason", type_=String), String),
                cast(bindparam("source_type", type_=String), String),
                rows.c.source_id,
                cast(bindparam("actor_id", type_=UUID(as_uuid=True)), UUID(as_uuid=True)),
            ),
        ),
        {
            "p": [p for (p, _), _, _ in changes],
            "w": [w for (_, w), _, _ in changes],
            "d": [delta for _, delta, _ in changes],
            "s": [source for _, _, source in changes],
            "batch_id": batch_id,
            "kind": kind,
            "reason": reason,
            "source_type": source_type,
            "actor_id": actor_id,
        },
    )


async def shift_levels(session: AsyncSession, changes: Sequence[tuple[Key, int]]) -> int:
    """Add each change to its (locked) level, in one UPDATE; returns the rows changed."""
    if not changes:
        return 0
    shifts = (
        func.unnest(_array("p", _UUIDS), _array("w", _UUIDS), _array("d", ARRAY(Integer)))
        .table_valued("product_id", "warehouse_id", "delta")
        .render_derived()
    )
    level = StockLevel.__table__.c
    done = await session.execute(
        update(_LEVELS)
        .where(level.product_id == shifts.c.product_id, level.warehouse_id == shifts.c.warehouse_id)
        .values(on_hand=level.on_hand + shifts.c.delta, updated_at=func.now()),
        {"p": [p for (p, _), _ in changes], "w": [w for (_, w), _ in changes], "d": [d for _, d in changes]},
    )
    return int(getattr(done, "rowcount", 0) or 0)
