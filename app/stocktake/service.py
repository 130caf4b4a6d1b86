"""Stocktake verbs: open a count sheet, count by quantity or by scanning serial numbers, approve.

What a warehouse should hold is the ledger summed up to the sheet's snapshot (the last ledger line
when counting began). Approval recomputes that from the ledger (a movement committed late with an
earlier id is then included), and posts, per product, ``counted - expected`` as an adjustment
through the ledger's own verb: goods that moved during the count stay accounted for by their own
movements. For serial-numbered products the units expected but not scanned are written off (those
still in this warehouse; a unit shipped after the snapshot left by its own movement). Every
adjustment of one approval commits together or not at all.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.catalog.models import Product, ProductCategory
from app.domain import FieldError, ValidationFailed
from app.events import service as events
from app.inventory.models import SerialUnit, StockMovement, Warehouse
from app.inventory.stock import Source, StockService
from app.kit.fields import LOCAL_TZ, Errors, Fields, Text
from app.kit.numbers import Whole
from app.kit.scope import TenantWide
from app.kit.service import EntityService, batch, unit_of_work
from app.stocktake.entity import STOCK_COUNT
from app.stocktake.fields import CountStatus
from app.stocktake.models import StockCount, StockCountLine

MAX_SCANS = 500  # serial numbers in one scan request


def new_number() -> str:
    """PD-20261127-7F3A9C (盘点): the dealer's day and six random hex digits."""
    return f"PD-{datetime.now(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


def _uuid(raw: Any) -> uuid.UUID | None:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None


class StockCountService(EntityService[StockCount]):
    spec = STOCK_COUNT
    model = StockCount
    fields = Fields({"note": Text(max_length=200)})
    scope = TenantWide()

    def require(self, action: str) -> None:
        # Reading and counting are inventory's everyday rights; approval posts adjustments.
        super().require({"read": "read", "approve": "manage"}.get(action, "create"))

    # -- the ledger at the snapshot -----------------------------------------------------------------

    def _category_products(self, category_id: uuid.UUID | None) -> Any:
        if category_id is None:
            return None
        categories = select(ProductCategory.id).where(
            or_(ProductCategory.id == category_id, ProductCategory.parent_id == category_id)
        )
        return select(Product.id).where(Product.category_id.in_(categories))

    async def _expected(
        self, count: StockCount, product_ids: Sequence[uuid.UUID] | None = None
    ) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, list[str]]]:
        """Per product: units on hand at the snapshot, and the serial numbers among them."""
        ledger = StockMovement
        where = [ledger.warehouse_id == count.warehouse_id, ledger.id <= count.snapshot_movement_id]
        products = self._category_products(count.category_id)
        if products is not None:
            where.append(ledger.product_id.in_(products))
        if product_ids is not None:
            where.append(ledger.product_id.in_(list(product_ids)))
        sums = await self.session.execute(
            select(ledger.product_id, func.sum(ledger.on_hand_delta))
            .where(*where)
            .group_by(ledger.product_id)
        )
        quantities = {product: int(total) for product, total in sums.all()}
        units = await self.session.execute(
            select(SerialUnit.product_id, SerialUnit.serial_number)
            .join(ledger, ledger.serial_id == SerialUnit.id)
            .where(*where)
            .group_by(SerialUnit.product_id, SerialUnit.serial_number)
            .having(func.sum(ledger.on_hand_delta) > 0)
            .order_by(SerialUnit.serial_number)
        )
        serials: dict[uuid.UUID, list[str]] = {}
        for product, number in units.all():
            serials.setdefault(product, []).append(number)
        return quantities, serials

    # -- verbs --------------------------------------------------------------------------------------

    async def open(self, *, warehouse_id: Any, category_id: Any = None, note: Any = None) -> StockCount:
        """A new count sheet: the ledger's snapshot now, one line per product the warehouse holds."""
        self.require("create")
        async with unit_of_work(self.session):
            errors = Errors()
            warehouse = await self._live_warehouse(warehouse_id)
            if warehouse is None:
                errors.add("warehouse_id", "unknown_warehouse", "is not a warehouse of this tenant")
            category = None
            if category_id not in (None, ""):
                ident = _uuid(category_id)
                category = await self.session.get(ProductCategory, ident) if ident else None
                if category is None:
                    errors.add("category_id", "unknown_category", "is not a category of this catalog")
            text = Text(max_length=200).clean(errors, "note", note)
            errors.raise_if_any()
            assert warehouse is not None
            last = await self.session.scalar(select(func.coalesce(func.max(StockMovement.id), 0)))
            count = StockCount(
                number=new_number(),
                warehouse_id=warehouse.id,
                category_id=category.id if category else None,
                status=CountStatus.OPEN.value,
                snapshot_movement_id=int(last or 0),
                snapshot_at=datetime.now(UTC),
                note=text,
                created_by=self.actor.user_id,
                updated_by=self.actor.user_id,
                adjustment_batches=[],
            )
            self.session.add(count)
            await self.session.flush()
            quantities, serials = await self._expected(count)
            for product_id in sorted(set(quantities) | set(serials), key=str):
                self.session.add(
                    StockCountLine(
                        count_id=count.id,
                        product_id=product_id,
                        expected=quantities.get(product_id, 0),
                        expected_serials=serials.get(product_id, []),
                        counted_serials=[],
                    )
                )
            self._audit(count, "create", None, await self._summary(count))
        return count

    async def lines(self, count_id: uuid.UUID) -> list[StockCountLine]:
        """The sheet's lines, in product SKU order."""
        await self.get(count_id)
        return list(
            (
                await self.session.scalars(
                    select(StockCountLine)
                    .join(Product, Product.id == StockCountLine.product_id)
                    .where(StockCountLine.count_id == count_id)
                    .order_by(Product.sku)
                )
            ).all()
        )

    async def count_quantity(self, count_id: uuid.UUID, *, product_id: Any, quantity: Any) -> StockCountLine:
        """Record how many units of a product were found (0 for a serial-numbered one: none found)."""
        self.require("create")
        async with unit_of_work(self.session):
            count = await self._open_sheet(count_id)
            errors = Errors()
            product = await self._live_product(product_id)
            if product is None:
                errors.add("product_id", "unknown_product", "is not a product of this catalog")
            qty = Whole(required=True, minimum=0, maximum=100_000).clean(errors, "quantity", quantity)
            if product is not None and product.serial_tracked and qty:
                errors.add("quantity", "count_by_serial", "scan this product's serial numbers")
            if product is not None and not await self._on_sheet(count, product.id):
                errors.add("product_id", "not_on_sheet", "is not in the category being counted")
            errors.raise_if_any()
            assert product is not None and qty is not None
            line = await self._line(count, product.id)
            line.counted = qty
            line.counted_serials = []
            self._counted(line)
            self._audit(count, "count", None, {"product_id": str(product.id), "quantity": qty})
        return line

    async def scan(self, count_id: uuid.UUID, serials: Sequence[Any]) -> list[StockCountLine]:
        """Count serial-numbered units by their numbers (a repeated scan counts once). A number that
        names no unit, or a unit that is in neither this warehouse now nor at the snapshot, is
        refused, and nothing of that scan is recorded."""
        self.require("create")
        async with unit_of_work(self.session):
            count = await self._open_sheet(count_id)
            numbers = [str(s).strip() for s in serials if str(s).strip()]
            errors = Errors()
            if not numbers:
                errors.add("serial_numbers", "required", "scan at least one serial number")
            if len(numbers) > MAX_SCANS:
                errors.add("serial_numbers", "too_many", f"at most {MAX_SCANS} serial numbers at once")
            errors.raise_if_any()
            expected = {
                (line.product_id, number)
                for line in await self._all_lines(count.id)
                for number in line.expected_serials
            }
            units = (
                await self.session.execute(
                    select(SerialUnit.product_id, SerialUnit.serial_number, SerialUnit.warehouse_id).where(
                        SerialUnit.serial_number.in_(numbers)
                    )
                )
            ).all()
            found: dict[str, list[uuid.UUID]] = {}
            known: set[str] = set()
            for product, number, where in units:
                known.add(number)
                here = where == count.warehouse_id or (product, number) in expected
                if here and await self._on_sheet(count, product):
                    found.setdefault(number, []).append(product)
            for index, number in enumerate(numbers):
                if number not in known:
                    errors.add(f"serial_numbers.{index}", "unknown_serial", f"{number} names no unit")
                elif number not in found:
                    errors.add(
                        f"serial_numbers.{index}",
                        "serial_not_in_warehouse",
                        f"{number} is not in this warehouse",
                    )
            errors.raise_if_any()
            touched: dict[uuid.UUID, StockCountLine] = {}
            for number in dict.fromkeys(numbers):
                for product in found[number]:
                    line = touched.get(product) or await self._line(count, product)
                    touched[product] = line
                    if number not in line.counted_serials:
                        line.counted_serials = [*line.counted_serials, number]
            for line in touched.values():
                line.counted = len(line.counted_serials)
                self._counted(line)
            self._audit(count, "count", None, {"serial_numbers": list(dict.fromkeys(numbers))})
        return list(touched.values())

    async def approve(self, count_id: uuid.UUID, version: int) -> StockCount:
        """Post the differences as adjustments and close the sheet, all at once or not at all."""
        self.require("approve")
        async with batch(self.session):
            count = await self._load(count_id, for_update=True)
            if count.status != CountStatus.OPEN.value:
                raise ValidationFailed([FieldError("id", "not_open", "the count is already closed")])
            await self._check_version(count, version)
            lines = await self._all_lines(count.id)
            uncounted = [line for line in lines if line.counted is None]
            if uncounted:
                raise ValidationFailed(
                    [FieldError("lines", "uncounted_lines", f"{len(uncounted)} products are not counted")]
                )
            quantities, serials = await self._expected(count)
            stock = StockService(self.session, self.actor)
            source = Source("stocktake", str(count.id))
            reason = f"盘点 {count.number}"
            posted: list[uuid.UUID] = []
            variances: dict[str, int] = {}
            for line in lines:
                product = await self.session.get(Product, line.product_id)
                assert product is not None
                line.expected = quantities.get(line.product_id, 0)
                line.expected_serials = serials.get(line.product_id, [])
                if product.serial_tracked:
                    missing = [n for n in line.expected_serials if n not in set(line.counted_serials)]
                    still_here = await self._still_here(count, product.id, missing)
                    if still_here:
                        moved = await stock.adjust(
                            product_id=product.id,
                            warehouse_id=count.warehouse_id,
                            change=-len(still_here),
                            serials=still_here,
                            reason=reason,
                            source=source,
                        )
                        posted.append(moved.batch_id)
                        variances[str(product.id)] = -len(still_here)
                    continue
                delta = (line.counted or 0) - line.expected
                if delta:
                    moved = await stock.adjust(
                        product_id=product.id,
                        warehouse_id=count.warehouse_id,
                        change=delta,
                        reason=reason,
                        source=source,
                    )
                    posted.append(moved.batch_id)
                    variances[str(product.id)] = delta
            before = await self._summary(count)
            count.status = CountStatus.APPROVED.value
            count.approved_at = datetime.now(UTC)
            count.approved_by = self.actor.user_id
            count.adjustment_batches = posted
            count.version += 1
            count.updated_by = self.actor.user_id
            count.updated_at = datetime.now(UTC)
            self._audit(count, "approve", before, {**await self._summary(count), "variances": variances})
            events.emit(self.session, "stock_count.approved", {"id": str(count.id), "variances": variances})
        return count

    async def cancel(self, count_id: uuid.UUID, version: int) -> StockCount:
        """Abandon an open sheet; nothing is posted."""
        self.require("approve")
        async with unit_of_work(self.session):
            count = await self._load(count_id, for_update=True)
            if count.status != CountStatus.OPEN.value:
                raise ValidationFailed([FieldError("id", "not_open", "the count is already closed")])
            await self._check_version(count, version)
            before = await self._summary(count)
            count.status = CountStatus.CANCELLED.value
            count.version += 1
            count.updated_by = self.actor.user_id
            count.updated_at = datetime.now(UTC)
            self._audit(count, "update", before, await self._summary(count))
        return count

    # -- helpers ------------------------------------------------------------------------------------

    async def _summary(self, count: StockCount) -> dict[str, Any]:
        return {
            "number": count.number,
            "warehouse_id": str(count.warehouse_id),
            "status": count.status,
            "version": count.version,
        }

    async def _open_sheet(self, count_id: uuid.UUID) -> StockCount:
        count = await self._load(count_id, for_update=True)
        if count.status != CountStatus.OPEN.value:
            raise ValidationFailed([FieldError("id", "not_open", "the count is already closed")])
        return count

    async def _all_lines(self, count_id: uuid.UUID) -> list[StockCountLine]:
        return list(
            (
                await self.session.scalars(select(StockCountLine).where(StockCountLine.count_id == count_id))
            ).all()
        )

    async def _line(self, count: StockCount, product_id: uuid.UUID) -> StockCountLine:
        line = await self.session.scalar(
            select(StockCountLine).where(
                StockCountLine.count_id == count.id, StockCountLine.product_id == product_id
            )
        )
        if line is None:
            quantities, serials = await self._expected(count, [product_id])
            line = StockCountLine(
                count_id=count.id,
                product_id=product_id,
                expected=quantities.get(product_id, 0),
                expected_serials=serials.get(product_id, []),
                counted_serials=[],
            )
            self.session.add(line)
        return line

    def _counted(self, line: StockCountLine) -> None:
        line.counted_at = datetime.now(UTC)
        line.counted_by = self.actor.user_id

    async def _on_sheet(self, count: StockCount, product_id: uuid.UUID) -> bool:
        products = self._category_products(count.category_id)
        if products is None:
            return True
        return await self.session.scalar(products.where(Product.id == product_id)) is not None

    async def _still_here(self, count: StockCount, product_id: uuid.UUID, numbers: list[str]) -> list[str]:
        if not numbers:
            return []
        here = set(
            (
                await self.session.scalars(
                    select(SerialUnit.serial_number).where(
                        SerialUnit.product_id == product_id,
                        SerialUnit.serial_number.in_(numbers),
                        SerialUnit.warehouse_id == count.warehouse_id,
                    )
                )
            ).all()
        )
        return [n for n in numbers if n in here]

    async def _live_warehouse(self, raw: Any) -> Warehouse | None:
        ident = _uuid(raw)
        found = await self.session.get(Warehouse, ident) if ident else None
        return found if found is not None and found.deleted_at is None else None

    async def _live_product(self, raw: Any) -> Product | None:
        ident = _uuid(raw)
        found = await self.session.get(Product, ident) if ident else None
        return found if found is not None and found.deleted_at is None else None
