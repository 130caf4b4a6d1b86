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
from app.inventory import batch_sql
from app.inventory.entity import INVENTORY_MANAGE, INVENTORY_MOVE, STOCK_MOVEMENT
from app.inventory.fields import MovementKind, SerialStatus
from app.inventory.models import SerialUnit, StockLevel, StockMovement, Warehouse
from app.kit.fields import Errors, Text
from app.kit.numbers import Whole
from app.kit.service import unit_of_work

MAX_QUANTITY = 100_000
MAX_SERIALS = 500  # one receipt scans at most this many units
MAX_LEVELS = 1_000  # one batch adjustment sets at most this many levels
MAX_ON_HAND = 1_000_000


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


@dataclass(frozen=True)
class LevelTarget:
    """A level as it should stand: ``on_hand`` units of a product in a warehouse. ``ref``: the
    caller's name for the row (the ERP's product id), kept as the ledger line's source id."""

    product_id: Any
    warehouse_id: Any
    on_hand: Any
    ref: str | None = None


@dataclass
class LevelOutcome:
    """One target's fate: ``updated`` (a ledger line of ``change``), ``unchanged``, or ``error``."""

    index: int
    status: str
    change: int = 0
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class LevelsSet:
    """What a batch adjustment did: its batch id (None: nothing changed) and each target's outcome."""

    batch_id: uuid.UUID | None
    outcomes: list[LevelOutcome]


def _uuid(raw: Any) -> uuid.UUID | None:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None


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
            # Both levels are locked in one order (by warehouse id) whichever way the goods go, so
            # two transfers between the same warehouses in opposite directions never deadlock.
            steps = [(checked.warehouse, -checked.quantity), (target, checked.quantity)]
            for warehouse, change in sorted(steps, key=lambda step: str(step[0].id)):
                await self._apply(moved, checked, warehouse, change, 0)
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

    async def set_levels(
        self, targets: Sequence[LevelTarget], *, reason: Any, source_type: str | None = None
    ) -> LevelsSet:
        """A batch adjustment: each level set to its target on-hand quantity (an ERP's or a count's),
        in a few set-based statements for the whole batch — the ledger lines (one per level that
        changes, ``adjust``, the difference), the levels, one audit record and one ``stock.moved``
        event for the batch (``stock.low`` for each level that falls below its threshold).

        A target that cannot be taken is reported on its own (``errors``: unknown product or
        warehouse, a target that is not a whole number from 0, one below the units reserved there, a
        serial-tracked product — its units are counted one serial number at a time, with ``adjust``)
        and the others go through. Several targets for one level: the last one counts. A level that
        already stands at its target is left alone (no line, and nothing at all when no level moves).
        The levels are locked in key order, so single verbs on the same levels at the same time wait
        for the batch (or it for them) and the difference is taken from the level as committed."""
        self._require(INVENTORY_MANAGE)
        errors = Errors()
        why = Text(required=True, max_length=200).clean(errors, "reason", reason)
        if len(targets) > MAX_LEVELS:
            errors.add("targets", "too_many", f"at most {MAX_LEVELS} levels at once")
        errors.raise_if_any()
        outcomes = [LevelOutcome(i, "unchanged") for i in range(len(targets))]
        keyed: list[tuple[int, batch_sql.Key, int]] = []
        async with unit_of_work(self.session):
            product_ids = {p for p in (_uuid(t.product_id) for t in targets) if p}
            warehouse_ids = {w for w in (_uuid(t.warehouse_id) for t in targets) if w}
            products = await batch_sql.live_products(self.session, product_ids)
            warehouses = await batch_sql.live_warehouses(self.session, warehouse_ids)
            for index, target in enumerate(targets):
                row = Errors()
                product, warehouse = _uuid(target.product_id), _uuid(target.warehouse_id)
                if product not in products:
                    row.add("product_id", "unknown_product", "is not a product of this catalog")
                elif products[product]:
                    row.add(
                        "product_id", "serials_not_tracked", "serial-numbered stock is counted unit by unit"
                    )
                if warehouse not in warehouses:
                    row.add("warehouse_id", "unknown_warehouse", "is not a warehouse of this tenant")
                on_hand = Whole(required=True, minimum=0, maximum=MAX_ON_HAND).clean(
                    row, "on_hand", target.on_hand
                )
                if row.items or product is None or warehouse is None or on_hand is None:
                    outcomes[index] = LevelOutcome(index, "error", errors=row.items)
                    continue
                keyed.append((index, (product, warehouse), on_hand))
            last: dict[batch_sql.Key, tuple[int, int]] = {}
            for index, key, on_hand in keyed:
                last[key] = (index, on_hand)
            locked = await batch_sql.lock_levels(self.session, list(last))
            changes: list[tuple[batch_sql.Key, int, str | None]] = []
            for key, (index, on_hand) in last.items():
                now = locked[key]
                if on_hand < now.reserved:
                    problem = FieldError(
                        "on_hand", "insufficient_stock", f"{now.reserved} units are reserved here"
                    )
                    outcomes[index] = LevelOutcome(index, "error", errors=[problem])
                elif on_hand != now.on_hand:
                    outcomes[index] = LevelOutcome(index, "updated", on_hand - now.on_hand)
                    ref = targets[index].ref
                    changes.append((key, on_hand - now.on_hand, ref[:60] if ref else None))
            if not changes:
                return LevelsSet(None, outcomes)
            batch_id = uuid.uuid4()
            await batch_sql.append_lines(
                self.session,
                batch_id=batch_id,
                kind=MovementKind.ADJUST.value,
                changes=changes,
                reason=why,
                source_type=source_type[:30] if source_type else None,
                actor_id=self.actor.user_id if self.actor.via != "system" else None,
            )
            shifted = await batch_sql.shift_levels(self.session, [(key, delta) for key, delta, _ in changes])
            assert shifted == len(changes), (shifted, len(changes))
            self._record_levels(batch_id, why, source_type, changes, locked)
        return LevelsSet(batch_id, outcomes)

    def _record_levels(
        self,
        batch_id: uuid.UUID,
        reason: str | None,
        source_type: str | None,
        changes: Sequence[tuple[batch_sql.Key, int, str | None]],
        locked: dict[batch_sql.Key, batch_sql.Locked],
    ) -> None:
        """A batch adjustment's one audit record and one event (its lines carry the detail), and the
        low-stock crossings."""
        summary = {
            "kind": MovementKind.ADJUST.value,
            "levels": len(changes),
            "units_added": sum(d for _, d, _ in changes if d > 0),
            "units_removed": -sum(d for _, d, _ in changes if d < 0),
            "products": len({p for (p, _), _, _ in changes}),
            "warehouses": len({w for (_, w), _, _ in changes}),
            **({"reason": reason} if reason else {}),
            **({"source": source_type} if source_type else {}),
        }
        audit.record(
            self.session,
            self.actor,
            entity=STOCK_MOVEMENT.key,
            entity_id=batch_id,
            action=MovementKind.ADJUST.value,
            before=None,
            after=summary,
        )
        events.emit(
            self.session,
            "stock.moved",
            {"batch_id": str(batch_id), "kind": MovementKind.ADJUST.value, "levels": len(changes)},
        )
        for (product, warehouse), delta, _ in changes:
            was = locked[(product, warehouse)]
            threshold = was.low_stock_threshold
            available = was.on_hand + delta - was.reserved
            if threshold is not None and available < threshold <= available - delta:
                events.emit(
                    self.session,
                    "stock.low",
                    {
                        "product_id": str(product),
                        "warehouse_id": str(warehouse),
                        "available": available,
                        "threshold": threshold,
                    },
                )

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
