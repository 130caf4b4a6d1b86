"""Reading stock: levels, the ledger, a unit's history, the low-stock list, replenishment suggestions,
and the check that every level equals the sum of its ledger (``dealercrm stock check``)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, literal, or_, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.inventory.entity import INVENTORY_READ
from app.inventory.fields import MovementKind
from app.inventory.models import SerialUnit, StockLevel, StockMovement, Warehouse
from app.settings import get_settings

# Outbound kinds: what a warehouse's demand is made of (a transfer out feeds another warehouse's sales).
OUTBOUND = (MovementKind.SHIP.value, MovementKind.CONSUME.value, MovementKind.TRANSFER_OUT.value)


def _require(actor: Actor) -> None:
    if not actor.can(INVENTORY_READ):
        raise PermissionDenied(INVENTORY_READ)


def _first(first: int) -> int:
    size_max = get_settings().page_size_max
    if not 1 <= first <= size_max:
        raise ValidationFailed([FieldError("first", "out_of_range", f"must be between 1 and {size_max}")])
    return first


@dataclass(frozen=True)
class LevelRow:
    level: StockLevel
    product: Product
    warehouse: Warehouse

    @property
    def available(self) -> int:
        return self.level.on_hand - self.level.reserved

    @property
    def low(self) -> bool:
        threshold = self.level.low_stock_threshold
        return threshold is not None and self.available < threshold


@dataclass(frozen=True)
class LevelPage:
    rows: list[LevelRow]
    has_next: bool
    end_cursor: str | None


def _level_cursor(row: LevelRow) -> str:
    return f"{row.product.sku}|{row.level.product_id}|{row.level.warehouse_id}"


async def levels(
    session: AsyncSession,
    actor: Actor,
    *,
    warehouse_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    low_only: bool = False,
    in_stock_only: bool = False,
    first: int = 50,
    after: str | None = None,
) -> LevelPage:
    """Levels by product SKU then warehouse, keyset-paged."""
    _require(actor)
    first = _first(first)
    query = (
        select(StockLevel, Product, Warehouse)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(Product.deleted_at.is_(None), Warehouse.deleted_at.is_(None))
    )
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    if product_id is not None:
        query = query.where(StockLevel.product_id == product_id)
    if low_only:
        query = query.where(
            StockLevel.low_stock_threshold.is_not(None),
            StockLevel.on_hand - StockLevel.reserved < StockLevel.low_stock_threshold,
        )
    if in_stock_only:
        query = query.where(StockLevel.on_hand > 0)
    if after:
        try:
            sku, pid, wid = after.split("|")
            key = (sku, uuid.UUID(pid), uuid.UUID(wid))
        except ValueError as exc:
            raise ValidationFailed([FieldError("after", "invalid_cursor", "malformed cursor")]) from exc
        query = query.where(tuple_(Product.sku, StockLevel.product_id, StockLevel.warehouse_id) > key)
    query = query.order_by(Product.sku, StockLevel.product_id, StockLevel.warehouse_id).limit(first + 1)
    found = [
        LevelRow(level, product, warehouse) for level, product, warehouse in (await session.execute(query))
    ]
    rows = found[:first]
    return LevelPage(rows, len(found) > first, _level_cursor(rows[-1]) if rows else None)


async def low_stock(
    session: AsyncSession, actor: Actor, *, warehouse_id: uuid.UUID | None = None
) -> list[LevelRow]:
    """Levels below their threshold, the emptiest first (what the low-stock list shows)."""
    page = await levels(
        session, actor, warehouse_id=warehouse_id, low_only=True, first=get_settings().page_size_max
    )
    return sorted(page.rows, key=lambda r: (r.available - (r.level.low_stock_threshold or 0), r.product.sku))


@dataclass(frozen=True)
class MovementRow:
    line: StockMovement
    product: Product
    warehouse: Warehouse
    serial_number: str | None


@dataclass(frozen=True)
class MovementPage:
    rows: list[MovementRow]
    has_next: bool
    end_cursor: str | None


async def movements(
    session: AsyncSession,
    actor: Actor,
    *,
    product_id: uuid.UUID | None = None,
    warehouse_id: uuid.UUID | None = None,
    serial_id: uuid.UUID | None = None,
    batch_id: uuid.UUID | None = None,
    kind: str | None = None,
    source: tuple[str, str] | None = None,
    first: int = 50,
    after: str | None = None,
) -> MovementPage:
    """Ledger lines, newest first, keyset-paged by line number."""
    _require(actor)
    first = _first(first)
    query = (
        select(StockMovement, Product, Warehouse, SerialUnit.serial_number)
        .join(Product, Product.id == StockMovement.product_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .outerjoin(SerialUnit, SerialUnit.id == StockMovement.serial_id)
    )
    if product_id is not None:
        query = query.where(StockMovement.product_id == product_id)
    if warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == warehouse_id)
    if serial_id is not None:
        query = query.where(StockMovement.serial_id == serial_id)
    if batch_id is not None:
        query = query.where(StockMovement.batch_id == batch_id)
    if kind is not None:
        if MovementKind.parse(kind) is None:
            raise ValidationFailed([FieldError("kind", "invalid_choice", "is not a movement kind")])
        query = query.where(StockMovement.kind == kind)
    if source is not None:
        query = query.where(StockMovement.source_type == source[0], StockMovement.source_id == source[1])
    if after:
        if not after.isdigit() or len(after) > 18:
            raise ValidationFailed([FieldError("after", "invalid_cursor", "malformed cursor")])
        query = query.where(StockMovement.id < int(after))
    query = query.order_by(StockMovement.id.desc()).limit(first + 1)
    found = [MovementRow(*row) for row in (await session.execute(query))]
    rows = found[:first]
    return MovementPage(rows, len(found) > first, str(rows[-1].line.id) if rows else None)


@dataclass(frozen=True)
class UnitHistory:
    unit: SerialUnit
    product: Product
    warehouse: Warehouse | None
    history: list[MovementRow]  # oldest first


async def serial_units(session: AsyncSession, actor: Actor, serial_number: str) -> list[UnitHistory]:
    """Every unit with this serial number (one per product), with where it is and its history."""
    _require(actor)
    number = (serial_number or "").strip()
    if not number or len(number) > 64:
        raise ValidationFailed([FieldError("serialNumber", "invalid", "must be 1 to 64 characters")])
    units = await session.execute(
        select(SerialUnit, Product)
        .join(Product, Product.id == SerialUnit.product_id)
        .where(SerialUnit.serial_number == number)
    )
    found: list[UnitHistory] = []
    for unit, product in units:
        warehouse = await session.get(Warehouse, unit.warehouse_id) if unit.warehouse_id else None
        lines = await session.execute(
            select(StockMovement, Product, Warehouse, literal(unit.serial_number))
            .join(Product, Product.id == StockMovement.product_id)
            .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
            .where(StockMovement.serial_id == unit.id)
            .order_by(StockMovement.id)
        )
        found.append(UnitHistory(unit, product, warehouse, [MovementRow(*row) for row in lines]))
    return found


async def serial_unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> UnitHistory:
    _require(actor)
    unit = await session.get(SerialUnit, unit_id)
    if unit is None:
        raise NotFound("serial_unit", unit_id)
    for history in await serial_units(session, actor, unit.serial_number):
        if history.unit.id == unit_id:
            return history
    raise NotFound("serial_unit", unit_id)


# -- replenishment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplenishmentPolicy:
    """How suggestions are computed: demand over ``window_days``; cover ``lead_time`` (the level's, or
    ``default_lead_days``) plus ``review_days`` until the next order, plus ``safety_days`` of demand."""

    window_days: int = 30
    default_lead_days: int = 7
    review_days: int = 7
    safety_days: int = 7


@dataclass(frozen=True)
class Suggestion:
    """A reorder suggestion with every number behind it."""

    product: Product
    warehouse: Warehouse
    on_hand: int
    reserved: int
    available: int
    outbound: int  # units out over the window
    window_days: int
    daily_velocity: float
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    target_stock: int
    quantity: int  # what to order now (0: enough)


async def replenishment(
    session: AsyncSession,
    actor: Actor,
    *,
    warehouse_id: uuid.UUID | None = None,
    policy: ReplenishmentPolicy | None = None,
    now: datetime | None = None,
    only_needed: bool = True,
    limit: int = 100,
) -> list[Suggestion]:
    """Per product and warehouse: reorder quantity from recent outbound velocity, lead time, stock on
    hand and open reservations. Sorted by quantity to order, largest first."""
    _require(actor)
    policy = policy or ReplenishmentPolicy()
    since = (now or datetime.now(UTC)) - timedelta(days=policy.window_days)
    demand = (
        select(
            StockMovement.product_id,
            StockMovement.warehouse_id,
            func.sum(-StockMovement.on_hand_delta).label("outbound"),
        )
        .where(StockMovement.at >= since, StockMovement.kind.in_(OUTBOUND))
        .where(StockMovement.warehouse_id == warehouse_id if warehouse_id is not None else true())
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)
        .subquery()
    )
    query = (
        select(StockLevel, Product, Warehouse, func.coalesce(demand.c.outbound, 0))
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .outerjoin(
            demand,
            and_(
                demand.c.product_id == StockLevel.product_id, demand.c.warehouse_id == StockLevel.warehouse_id
            ),
        )
        .where(Product.deleted_at.is_(None), Warehouse.deleted_at.is_(None))
        .where(or_(demand.c.outbound > 0, StockLevel.low_stock_threshold.is_not(None)))
    )
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    found: list[Suggestion] = []
    for level, product, warehouse, outbound in await session.execute(query):
        velocity = int(outbound) / policy.window_days
        lead = level.lead_time_days if level.lead_time_days is not None else policy.default_lead_days
        safety = math.ceil(velocity * policy.safety_days)
        reorder_point = max(math.ceil(velocity * lead) + safety, level.low_stock_threshold or 0)
        target = max(math.ceil(velocity * (lead + policy.review_days)) + safety, reorder_point)
        available = level.on_hand - level.reserved
        quantity = max(target - available, 0) if available <= reorder_point else 0
        if only_needed and quantity == 0:
            continue
        found.append(
            Suggestion(
                product=product,
                warehouse=warehouse,
                on_hand=level.on_hand,
                reserved=level.reserved,
                available=available,
                outbound=int(outbound),
                window_days=policy.window_days,
                daily_velocity=round(velocity, 3),
                lead_time_days=lead,
                safety_stock=safety,
                reorder_point=reorder_point,
                target_stock=target,
                quantity=quantity,
            )
        )
    found.sort(key=lambda s: (-s.quantity, s.product.sku))
    return found[:limit]


# -- the ledger check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    product_id: uuid.UUID
    warehouse_id: uuid.UUID
    level_on_hand: int | None
    level_reserved: int | None
    ledger_on_hand: int
    ledger_reserved: int
    units_in_stock: int | None  # serial-tracked products: units the serial table places here


async def check_levels(session: AsyncSession, *, repair: bool = False) -> list[Difference]:
    """Every level against the sum of its ledger (and, for serial-tracked products, the units in
    stock there). ``repair`` sets the levels to the ledger's sums (the ledger is the truth) and
    commits. For operators (``dealercrm stock check``): no actor, no scope."""
    ledger = (
        select(
            StockMovement.product_id,
            StockMovement.warehouse_id,
            func.sum(StockMovement.on_hand_delta).label("on_hand"),
            func.sum(StockMovement.reserved_delta).label("reserved"),
        )
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)
        .subquery()
    )
    units = (
        select(SerialUnit.product_id, SerialUnit.warehouse_id, func.count().label("units"))
        .where(SerialUnit.status == "in_stock")
        .group_by(SerialUnit.product_id, SerialUnit.warehouse_id)
        .subquery()
    )
    product_id = func.coalesce(StockLevel.product_id, ledger.c.product_id)
    warehouse_id = func.coalesce(StockLevel.warehouse_id, ledger.c.warehouse_id)
    joined = (
        select(
            product_id.label("product_id"),
            warehouse_id.label("warehouse_id"),
            StockLevel.on_hand,
            StockLevel.reserved,
            func.coalesce(ledger.c.on_hand, 0).label("ledger_on_hand"),
            func.coalesce(ledger.c.reserved, 0).label("ledger_reserved"),
        )
        .select_from(StockLevel)
        .join(
            ledger,
            and_(
                ledger.c.product_id == StockLevel.product_id, ledger.c.warehouse_id == StockLevel.warehouse_id
            ),
            full=True,
        )
        .subquery()
    )
    rows = (
        await session.execute(
            select(joined, Product.serial_tracked, func.coalesce(units.c.units, 0))
            .join(Product, Product.id == joined.c.product_id)
            .outerjoin(
                units,
                and_(
                    units.c.product_id == joined.c.product_id, units.c.warehouse_id == joined.c.warehouse_id
                ),
            )
        )
    ).all()
    found: list[Difference] = []
    for pid, wid, on_hand, reserved, ledger_on_hand, ledger_reserved, tracked, in_stock in rows:
        wrong = on_hand != ledger_on_hand or reserved != ledger_reserved
        if tracked and in_stock != ledger_on_hand:
            wrong = True
        if wrong:
            found.append(
                Difference(
                    pid,
                    wid,
                    on_hand,
                    reserved,
                    int(ledger_on_hand),
                    int(ledger_reserved),
                    int(in_stock) if tracked else None,
                )
            )
    if repair and found:
        from sqlalchemy.dialects.postgresql import insert

        for diff in found:
            if diff.level_on_hand is None:
                await session.execute(
                    insert(StockLevel).values(
                        product_id=diff.product_id,
                        warehouse_id=diff.warehouse_id,
                        on_hand=diff.ledger_on_hand,
                        reserved=diff.ledger_reserved,
                    )
                )
            else:
                await session.execute(
                    update(StockLevel)
                    .where(
                        StockLevel.product_id == diff.product_id, StockLevel.warehouse_id == diff.warehouse_id
                    )
                    .values(on_hand=diff.ledger_on_hand, reserved=diff.ledger_reserved, updated_at=func.now())
                )
        await session.commit()
    return found
