"""The stock ledger's verbs: receive, issue (ship or use in service), transfer, return, adjust,
reserve and release. Quotes, orders, deliveries and service tickets move stock only through these.

Each verb owns its unit of work: permission, input checks (every problem at once), the ledger lines,
the level they sum to and each serial-numbered unit's place, one audit record for the batch, the
domain events (``stock.moved``; ``stock.low`` when available stock falls below its threshold),
commit — and rollback on any refusal, so nothing half-moves.

Concurrency: a level changes by one conditional ``UPDATE ... WHERE on_hand + delta >= reserved``
and a unit by ``UPDATE ... WHERE warehouse_id = :from AND status = 'in_stock'``. PostgreSQL locks
the row and, under READ COMMITTED, re-checks the condition against the committed row once the
other transaction ends: of two issues of the last unit one wins and the other finds no row, which
is the clear ``insufficient_stock`` (or ``serial_not_in_stock``) error. The check constraints on
``stock_levels`` are the last guard.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.catalog.models import Product
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.events import service as events
from app.inventory.entity import INVENTORY_MANAGE, INVENTORY_MOVE, STOCK_MOVEMENT
from app.inventory.fields import MovementKind, SerialStatus
from app.inventory.models import SerialUnit, StockLevel, StockMovement, Warehouse
from app.kit.fields import Errors, Text
from app.kit.numbers import Whole
from app.kit.service import unit_of_work

MAX_QUANTITY = 100_000
MAX_SERIALS = 500  # one receipt scans at most this many units


@dataclass(frozen=True)
class Source:
    """The document behind a movement: ("order", id), ("ticket", id), ("stocktake", id)..."""

    type: str
    id: str


@dataclass
class Moved:
    """What one verb did: its batch, the ledger lines and the levels as they now stand."""

    batch_id: uuid.UUID
    kind: str
    lines: list[StockMovement] = field(default_factory=list)
    levels: list[StockLevel] = field(default_factory=list)


@dataclass
class _Checked:
    product: Product
    warehouse: Warehouse
    quantity: int
    serials: list[str]
    reason: str | None


class StockService:
    """The ledger verbs for one actor on one session."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    # -- input ------------------------------------------------------------------------------------

    def _require(self, permission: str) -> None:
        if not self.actor.can(permission):
            raise PermissionDenied(permission)

    async def _check(
        self,
        errors: Errors,
        product_id: Any,
        warehouse_id: Any,
        quantity: Any,
        serials: Sequence[str] | None,
        reason: Any = None,
        *,
        reason_required: bool = False,
        warehouse_field: str = "warehouse_id",
        serials_allowed: bool = True,
    ) -> _Checked | None:
        """Every problem of one movement's input, added to ``errors``."""
        product = await self._live(Product, product_id)
        if product is None:
            errors.add("product_id", "unknown_product", "is not a product of this catalog")
        warehouse = await self._live(Warehouse, warehouse_id)
        if warehouse is None:
            errors.add(warehouse_field, "unknown_warehouse", "is not a warehouse of this tenant")
        qty = Whole(required=True, minimum=1, maximum=MAX_QUANTITY).clean(errors, "quantity", quantity)
        why = Text(required=reason_required, max_length=200).clean(errors, "reason", reason)
        numbers = [str(s).strip() for s in (serials or []) if str(s).strip()]
        if len(numbers) > MAX_SERIALS:
            errors.add("serial_numbers", "too_many", f"at most {MAX_SERIALS} serial numbers at once")
        seen: set[str] = set()
        for index, number in enumerate(numbers):
            if len(number) > 64:
                errors.add(f"serial_numbers.{index}", "too_long", "must be at most 64 characters")
            elif number in seen:
                errors.add(f"serial_numbers.{index}", "serial_repeated", f"{number} is listed twice")
            seen.add(number)
        if product is not None and qty is not None:
            if product.serial_tracked and serials_allowed and len(numbers) != qty:
                errors.add(
                    "serial_numbers",
                    "serial_count",
                    f"{qty} units need {qty} serial numbers, got {len(numbers)}",
                )
            if (not product.serial_tracked or not serials_allowed) and numbers:
                errors.add("serial_numbers", "serials_not_tracked", "this product has no serial numbers")
        if product is None or warehouse is None or qty is None:
            return None
        return _Checked(product, warehouse, qty, numbers, why)

    async def _live(self, model: Any, raw: Any) -> Any:
        try:
            ident = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        except (TypeError, ValueError):
            return None
        found = await self.session.get(model, ident)
        return found if found is not None and found.deleted_at is None else None

    # -- the ledger -------------------------------------------------------------------------------

    async def _level(
        self, product: Product, warehouse: Warehouse, on_hand: int, reserved: int
    ) -> StockLevel | None:
        """Apply a change to one level if it keeps stock and reservations within bounds; None if not."""
        await self.session.execute(
            insert(StockLevel)
            .values(product_id=product.id, warehouse_id=warehouse.id, on_hand=0, reserved=0)
            .on_conflict_do_nothing()
        )
        level = StockLevel.__table__.c
        row = (
            await self.session.execute(
                update(StockLevel)
                .where(
                    StockLevel.product_id == product.id,
                    StockLevel.warehouse_id == warehouse.id,
                    level.on_hand + on_hand >= 0,
                    level.reserved + reserved >= 0,
                    level.reserved + reserved <= level.on_hand + on_hand,
                )
                .values(
                    on_hand=level.on_hand + on_hand, reserved=level.reserved + reserved, updated_at=func.now()
                )
                .returning(StockLevel)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if row is not None:
            await self.session.refresh(row)
        return row

    async def _available(self, product: Product, warehouse: Warehouse) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(StockLevel.on_hand, StockLevel.reserved).where(
                    StockLevel.product_id == product.id, StockLevel.warehouse_id == warehouse.id
                )
            )
        ).first()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def _line(
        self,
        moved: Moved,
        kind: MovementKind,
        checked: _Checked,
        *,
        warehouse: Warehouse | None = None,
        on_hand: int = 0,
        reserved: int = 0,
        serial_id: uuid.UUID | None = None,
        source: Source | None = None,
    ) -> StockMovement:
        line = StockMovement(
            batch_id=moved.batch_id,
            kind=kind.value,
            product_id=checked.product.id,
            warehouse_id=(warehouse or checked.warehouse).id,
            on_hand_delta=on_hand,
            reserved_delta=reserved,
            serial_id=serial_id,
            reason=checked.reason,
            source_type=source.type[:30] if source else None,
            source_id=source.id[:60] if source else None,
            actor_id=self.actor.user_id if self.actor.via != "system" else None,
        )
        self.session.add(line)
        moved.lines.append(line)
        return line

    async def _apply(
        self,
        moved: Moved,
        checked: _Checked,
        warehouse: Warehouse,
        on_hand: int,
        reserved: int,
    ) -> StockLevel:
        level = await self._level(checked.product, warehouse, on_hand, reserved)
        if level is None:
            have, promised = await self._available(checked.product, warehouse)
            if reserved < 0 and promised + reserved < 0:
                raise ValidationFailed(
                    [FieldError("quantity", "insufficient_reserved", f"only {promised} reserved")]
                )
            raise ValidationFailed(
                [
                    FieldError(
                        "quantity",
                        "insufficient_stock",
                        f"only {max(have - promised, 0)} of {checked.product.name} available in "
                        f"{warehouse.name}",
                    )
                ]
            )
        moved.levels.append(level)
        return level

    async def _take_units(
        self, checked: _Checked, warehouse: Warehouse, status: SerialStatus, to: Warehouse | None = None
    ) -> list[SerialUnit]:
        """Move the listed in-stock units out of ``warehouse`` (to ``to``, or out of stock as ``status``)."""
        taken = list(
            (
                await self.session.scalars(
                    update(SerialUnit)
                    .where(
                        SerialUnit.product_id == checked.product.id,
                        SerialUnit.serial_number.in_(checked.serials),
                        SerialUnit.warehouse_id == warehouse.id,
                        SerialUnit.status == SerialStatus.IN_STOCK.value,
                    )
                    .values(
                        status=SerialStatus.IN_STOCK.value if to else status.value,
                        warehouse_id=to.id if to else None,
                        updated_at=func.now(),
                    )
                    .returning(SerialUnit)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
        missing = set(checked.serials) - {u.serial_number for u in taken}
        if missing:
            raise ValidationFailed(
                [
                    FieldError(
                        f"serial_numbers.{i}",
                        "serial_not_in_stock",
                        f"{s} is not in stock in {warehouse.name}",
                    )
                    for i, s in enumerate(checked.serials)
                    if s in missing
                ]
            )
        return sorted(taken, key=lambda u: checked.serials.index(u.serial_number))

    async def _new_units(self, checked: _Checked) -> list[SerialUnit]:
        """Record the listed serial numbers as new units in stock; a number already known is refused."""
        existing = set(
            (
                await self.session.scalars(
                    select(SerialUnit.serial_number).where(
                        SerialUnit.product_id == checked.product.id,
                        SerialUnit.serial_number.in_(checked.serials),
                    )
                )
            ).all()
        )
        if existing:
            raise ValidationFailed(
                [
                    FieldError(f"serial_numbers.{i}", "serial_exists", f"{s} is already recorded")
                    for i, s in enumerate(checked.serials)
                    if s in existing
                ]
            )
        rows = (
            await self.session.scalars(
                insert(SerialUnit)
                .values(
                    [
                        {
                            "product_id": checked.product.id,
                            "serial_number": s,
                            "status": SerialStatus.IN_STOCK.value,
                            "warehouse_id": checked.warehouse.id,
                        }
                        for s in checked.serials
                    ]
                )
                # A concurrent receipt of the same number: the unique key decides, the loser is told.
                .on_conflict_do_nothing(index_elements=["product_id", "serial_number"])
                .returning(SerialUnit)
            )
        ).all()
        if len(rows) != len(checked.serials):
            made = {u.serial_number for u in rows}
            raise ValidationFailed(
                [
                    FieldError(f"serial_numbers.{i}", "serial_exists", f"{s} is already recorded")
                    for i, s in enumerate(checked.serials)
                    if s not in made
                ]
            )
        return sorted(rows, key=lambda u: checked.serials.index(u.serial_number))

    def _record(self, moved: Moved, checked: _Checked, source: Source | None, **extra: Any) -> None:
        after = {
            "kind": moved.kind,
            "product_id": str(checked.product.id),
            "warehouse_id": str(checked.warehouse.id),
            "quantity": checked.quantity,
            **({"serial_numbers": checked.serials} if checked.serials else {}),
            **({"reason": checked.reason} if checked.reason else {}),
            **({"source": f"{source.type}:{source.id}"} if source else {}),
            **extra,
        }
        audit.record(
            self.session,
            self.actor,
            entity=STOCK_MOVEMENT.key,
            entity_id=moved.batch_id,
            action=moved.kind,
            before=None,
            after=after,
        )
        events.emit(
            self.session,
            "stock.moved",
            {"batch_id": str(moved.batch_id), "kind": moved.kind, "product_id": str(checked.product.id)},
        )
        for level in moved.levels:
            threshold = level.low_stock_threshold
            if threshold is None:
                continue
            available = level.on_hand - level.reserved
            delta = sum(
                line.on_hand_delta - line.reserved_delta
                for line in moved.lines
                if line.warehouse_id == level.warehouse_id
            )
            # Announce the crossing only, not every movement while low.
            if available < threshold <= available - delta:
                events.emit(
                    self.session,
                    "stock.low",
                    {
                        "product_id": str(level.product_id),
                        "warehouse_id": str(level.warehouse_id),
                        "available": available,
                        "threshold": threshold,
                    },
                )

    # -- verbs ------------------------------------------------------------------------------------

    async def receive(
        self,
        *,
        product_id: Any,
        warehouse_id: Any,
        quantity: Any,
        serials: Sequence[str] | None = None,
        reason: str | None = None,
        source: Source | None = None,
    ) -> Moved:
        """Goods arrive in a warehouse (from a supplier, the ERP's purchase); new serial numbers."""
        self._require(INVENTORY_MOVE)
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(errors, product_id, warehouse_id, quantity, serials, reason)
            errors.raise_if_any()
            assert checked is not None
            moved = Moved(uuid.uuid4(), MovementKind.RECEIVE.value)
            if checked.product.serial_tracked:
                for unit in await self._new_units(checked):
                    self._line(
                        moved, MovementKind.RECEIVE, checked, on_hand=1, serial_id=unit.id, source=source
                    )
            else:
                self._line(moved, MovementKind.RECEIVE, checked, on_hand=checked.quantity, source=source)
            await self._apply(moved, checked, checked.warehouse, checked.quantity, 0)
            self._record(moved, checked, source)
        return moved

    async def issue(
        self,
        *,
        product_id: Any,
        warehouse_id: Any,
        quantity: Any,
        serials: Sequence[str] | None = None,
        reserved: bool = False,
        consumed: bool = False,
        reason: str | None = None,
        source: Source | None = None,
    ) -> Moved:
        """Goods leave: shipped to a customer, or used in a service job (``consumed``). ``reserved``:
        the units were reserved for this (an approved order) and the reservation is used up."""
        self._require(INVENTORY_MOVE)
        kind = MovementKind.CONSUME if consumed else MovementKind.SHIP
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(errors, product_id, warehouse_id, quantity, serials, reason)
            errors.raise_if_any()
            assert checked is not None
            moved = Moved(uuid.uuid4(), kind.value)
            promised = -1 if reserved else 0
            # The level first: its row lock orders concurrent issues of the same product.
            await self._apply(
                moved, checked, checked.warehouse, -checked.quantity, promised * checked.quantity
            )
            if checked.product.serial_tracked:
                status = SerialStatus.CONSUMED if consumed else SerialStatus.SHIPPED
                for unit in await self._take_units(checked, checked.warehouse, status):
                    self._line(
                        moved, kind, checked, on_hand=-1, reserved=promised, serial_id=unit.id, source=source
                    )
            else:
                self._line(
                    moved,
                    kind,
                    checked,
                    on_hand=-checked.quantity,
                    reserved=promised * checked.quantity,
                    source=source,
                )
            self._record(moved, checked, source)
        return moved

    async def transfer(
        self,
        *,
        product_id: Any,
        from_warehouse_id: Any,
        to_warehouse_id: Any,
        quantity: Any,
        serials: Sequence[str] | None = None,
        reason: str | None = None,
        source: Source | None = None,
    ) -> Moved:
        """Goods move between warehouses (central to shop, shop to a technician's van)."""
        self._require(INVENTORY_MOVE)
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(
                errors,
                product_id,
                from_warehouse_id,
                quantity,
                serials,
                reason,
                warehouse_field="from_warehouse_id",
            )
            target = await self._live(Warehouse, to_warehouse_id)
            if target is None:
                errors.add("to_warehouse_id", "unknown_warehouse", "is not a warehouse of this tenant")
            elif checked is not None and target.id == checked.warehouse.id:
                errors.add("to_warehouse_id", "same_warehouse", "must differ from the warehouse it leaves")
            errors.raise_if_any()
            assert checked is not None and target is not None
            moved = Moved(uuid.uuid4(), "transfer")
            await self._apply(moved, checked, checked.warehouse, -checked.quantity, 0)
            await self._apply(moved, checked, target, checked.quantity, 0)
            if checked.product.serial_tracked:
                for unit in await self._take_units(
                    checked, checked.warehouse, SerialStatus.IN_STOCK, to=target
                ):
                    self._line(
                        moved,
                        MovementKind.TRANSFER_OUT,
                        checked,
                        on_hand=-1,
                        serial_id=unit.id,
                        source=source,
                    )
                    self._line(
                        moved,
                        MovementKind.TRANSFER_IN,
                        checked,
                        warehouse=target,
                        on_hand=1,
                        serial_id=unit.id,
                        source=source,
                    )
            else:
                self._line(
                    moved, MovementKind.TRANSFER_OUT, checked, on_hand=-checked.quantity, source=source
                )
                self._line(
                    moved,
                    MovementKind.TRANSFER_IN,
                    checked,
                    warehouse=target,
                    on_hand=checked.quantity,
                    source=source,
                )
            self._record(moved, checked, source, to_warehouse_id=str(target.id))
        return moved

    async def return_(
        self,
        *,
        product_id: Any,
        warehouse_id: Any,
        quantity: Any,
        serials: Sequence[str] | None = None,
        reason: str | None = None,
        source: Source | None = None,
    ) -> Moved:
        """Shipped goods come back (a customer's return); a serial number must have been shipped."""
        self._require(INVENTORY_MOVE)
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(errors, product_id, warehouse_id, quantity, serials, reason)
            errors.raise_if_any()
            assert checked is not None
            moved = Moved(uuid.uuid4(), MovementKind.RETURN.value)
            if checked.product.serial_tracked:
                back = list(
                    (
                        await self.session.scalars(
                            update(SerialUnit)
                            .where(
                                SerialUnit.product_id == checked.product.id,
                                SerialUnit.serial_number.in_(checked.serials),
                                SerialUnit.status.in_(
                                    [SerialStatus.SHIPPED.value, SerialStatus.CONSUMED.value]
                                ),
                            )
                            .values(
                                status=SerialStatus.IN_STOCK.value,
                                warehouse_id=checked.warehouse.id,
                                updated_at=func.now(),
                            )
                            .returning(SerialUnit)
                            .execution_options(synchronize_session=False)
                        )
                    ).all()
                )
                returned = {u.serial_number for u in back}
                if len(back) != len(checked.serials):
                    raise ValidationFailed(
                        [
                            FieldError(f"serial_numbers.{i}", "serial_not_out", f"{s} was not shipped")
                            for i, s in enumerate(checked.serials)
                            if s not in returned
                        ]
                    )
                for unit in sorted(back, key=lambda u: checked.serials.index(u.serial_number)):
                    self._line(
                        moved, MovementKind.RETURN, checked, on_hand=1, serial_id=unit.id, source=source
                    )
            else:
                self._line(moved, MovementKind.RETURN, checked, on_hand=checked.quantity, source=source)
            await self._apply(moved, checked, checked.warehouse, checked.quantity, 0)
            self._record(moved, checked, source)
        return moved

    async def adjust(
        self,
        *,
        product_id: Any,
        warehouse_id: Any,
        change: Any,
        serials: Sequence[str] | None = None,
        reason: str | None = None,
        source: Source | None = None,
    ) -> Moved:
        """Correct stock to what is really there (a count, damage, a find); a reason is required.
        ``change`` > 0 adds units (new serial numbers), < 0 writes the listed units off."""
        self._require(INVENTORY_MANAGE)
        async with unit_of_work(self.session):
            errors = Errors()
            delta = Whole(required=True, minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY).clean(
                errors, "change", change
            )
            if delta == 0:
                errors.add("change", "out_of_range", "must not be zero")
            checked = await self._check(
                errors, product_id, warehouse_id, abs(delta or 1), serials, reason, reason_required=True
            )
            errors.raise_if_any()
            assert checked is not None and delta is not None
            moved = Moved(uuid.uuid4(), MovementKind.ADJUST.value)
            if delta < 0:
                await self._apply(moved, checked, checked.warehouse, delta, 0)
            if checked.product.serial_tracked:
                units = (
                    await self._new_units(checked)
                    if delta > 0
                    else await self._take_units(checked, checked.warehouse, SerialStatus.WRITTEN_OFF)
                )
                for unit in units:
                    self._line(
                        moved,
                        MovementKind.ADJUST,
                        checked,
                        on_hand=1 if delta > 0 else -1,
                        serial_id=unit.id,
                        source=source,
                    )
            else:
                self._line(moved, MovementKind.ADJUST, checked, on_hand=delta, source=source)
            if delta > 0:
                await self._apply(moved, checked, checked.warehouse, delta, 0)
            self._record(moved, checked, source, change=delta)
        return moved

    async def reserve(
        self, *, product_id: Any, warehouse_id: Any, quantity: Any, source: Source | None = None
    ) -> Moved:
        """Promise units to a document (an approved order); they stay on hand but are not available."""
        return await self._promise(MovementKind.RESERVE, product_id, warehouse_id, quantity, source, 1)

    async def release(
        self, *, product_id: Any, warehouse_id: Any, quantity: Any, source: Source | None = None
    ) -> Moved:
        """Take a promise back (a cancelled order)."""
        return await self._promise(MovementKind.RELEASE, product_id, warehouse_id, quantity, source, -1)

    async def _promise(
        self,
        kind: MovementKind,
        product_id: Any,
        warehouse_id: Any,
        quantity: Any,
        source: Source | None,
        sign: int,
    ) -> Moved:
        self._require(INVENTORY_MOVE)
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(
                errors, product_id, warehouse_id, quantity, None, None, serials_allowed=False
            )
            errors.raise_if_any()
            assert checked is not None
            moved = Moved(uuid.uuid4(), kind.value)
            await self._apply(moved, checked, checked.warehouse, 0, sign * checked.quantity)
            self._line(moved, kind, checked, reserved=sign * checked.quantity, source=source)
            self._record(moved, checked, source)
        return moved

    async def set_thresholds(
        self, *, product_id: Any, warehouse_id: Any, low_stock_threshold: Any, lead_time_days: Any
    ) -> StockLevel:
        """The level below which stock is low, and the days a reorder takes to arrive (None clears)."""
        self._require(INVENTORY_MANAGE)
        async with unit_of_work(self.session):
            errors = Errors()
            checked = await self._check(errors, product_id, warehouse_id, 1, None, serials_allowed=False)
            threshold = Whole(minimum=0, maximum=MAX_QUANTITY).clean(
                errors, "low_stock_threshold", low_stock_threshold
            )
            lead = Whole(minimum=0, maximum=365).clean(errors, "lead_time_days", lead_time_days)
            errors.raise_if_any()
            assert checked is not None
            await self.session.execute(
                insert(StockLevel)
                .values(
                    product_id=checked.product.id, warehouse_id=checked.warehouse.id, on_hand=0, reserved=0
                )
                .on_conflict_do_nothing()
            )
            level = await self.session.scalar(
                select(StockLevel)
                .where(
                    and_(
                        StockLevel.product_id == checked.product.id,
                        StockLevel.warehouse_id == checked.warehouse.id,
                    )
                )
                .with_for_update()
            )
            assert level is not None
            where = {"warehouse_id": str(checked.warehouse.id)}
            before = {
                **where,
                "low_stock_threshold": level.low_stock_threshold,
                "lead_time_days": level.lead_time_days,
            }
            level.low_stock_threshold, level.lead_time_days = threshold, lead
            # On the product's audit trail: its thresholds in one warehouse changed.
            audit.record(
                self.session,
                self.actor,
                entity="product",
                entity_id=checked.product.id,
                action="update",
                before=before,
                after={**where, "low_stock_threshold": threshold, "lead_time_days": lead},
            )
        return level
