"""What an order's move does to stock, through the ledger's verbs (``app.inventory.stock``):

| entering    | when the order's stock is | does                                              |
|-------------|---------------------------|---------------------------------------------------|
| approved    | not reserved              | reserve every product line in the order's warehouse |
| shipped     | reserved                  | issue the reserved units, choosing serial numbers   |
| cancelled   | reserved                  | release the reservation                            |
| returned    | shipped                   | return the shipped units (the same serial numbers)  |

The order's ``stock`` column says where its goods stand, so a tenant that renames or skips stages
never reserves twice or releases what it never reserved. Each ledger verb joins the order's
transaction as a savepoint (the order verb runs them in a kit ``batch``): when one fails (not enough
stock, a serial number not in stock) the move and every earlier movement roll back together. Of two
approvals racing for the last unit, the ledger's conditional update lets one win; the other is
refused with ``insufficient_stock`` on the line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, ValidationFailed
from app.inventory.entity import INVENTORY_MOVE
from app.inventory.stock import Source, StockService
from app.orders import repository as repo
from app.orders.fields import LineKind, StockState
from app.orders.models import Order, OrderLine


class OrderStock:
    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        # The order's workflow authorises its stock moves: a salesperson approving a small order
        # reserves stock without holding the inventory permission; the ledger still names them.
        self.stock = StockService(
            session, dataclasses.replace(actor, permissions=actor.permissions | {INVENTORY_MOVE})
        )

    async def follow(self, order: Order, serials: Mapping[Any, Sequence[str]]) -> None:
        target, state = order.status, order.stock
        if target == "approved" and state == StockState.NONE:
            await self._each(order, self._reserve)
            order.stock = StockState.RESERVED.value
        elif target == "shipped" and state == StockState.RESERVED:
            given = {str(k): list(v) for k, v in serials.items()}
            await self._each(order, lambda i, line: self._ship(order, i, line, given.get(str(line.id))))
            order.stock = StockState.SHIPPED.value
        elif target == "cancelled" and state == StockState.RESERVED:
            await self._each(order, self._release)
            order.stock = StockState.NONE.value
        elif target == "returned" and state == StockState.SHIPPED:
            await self._each(order, self._return)
            order.stock = StockState.RETURNED.value
        await self.session.flush()

    async def _each(self, order: Order, step: Any) -> None:
        lines = (await repo.lines_of(self.session, [order.id]))[order.id]
        self._order = order
        # One product's level at a time, in a fixed order: two orders never wait on each other crosswise.
        products = sorted(
            ((i, line) for i, line in enumerate(lines) if line.kind == LineKind.PRODUCT),
            key=lambda pair: (str(pair[1].product_id), pair[0]),
        )
        for i, line in products:
            try:
                await step(i, line)
            except ValidationFailed as exc:
                raise ValidationFailed([_on_line(i, e) for e in exc.errors]) from exc

    def _source(self) -> Source:
        return Source("order", self._order.number)

    async def _reserve(self, i: int, line: OrderLine) -> None:
        await self.stock.reserve(
            product_id=line.product_id,
            warehouse_id=self._order.warehouse_id,
            quantity=line.quantity,
            source=self._source(),
        )

    async def _release(self, i: int, line: OrderLine) -> None:
        await self.stock.release(
            product_id=line.product_id,
            warehouse_id=self._order.warehouse_id,
            quantity=line.quantity,
            source=self._source(),
        )

    async def _ship(self, order: Order, i: int, line: OrderLine, given: list[str] | None) -> None:
        assert line.product_id is not None
        numbers: list[str] | None = None
        product = (await repo.live_products(self.session, [line.product_id])).get(line.product_id)
        if product is not None and product.serial_tracked:
            numbers = given or await repo.units_to_ship(
                self.session, line.product_id, order.warehouse_id, line.quantity
            )
        elif given:
            numbers = given  # the ledger refuses serial numbers for a product without them
        await self.stock.issue(
            product_id=line.product_id,
            warehouse_id=order.warehouse_id,
            quantity=line.quantity,
            serials=numbers,
            reserved=True,
            source=self._source(),
        )
        line.serial_numbers = list(numbers or [])

    async def _return(self, i: int, line: OrderLine) -> None:
        await self.stock.return_(
            product_id=line.product_id,
            warehouse_id=self._order.warehouse_id,
            quantity=line.quantity,
            serials=list(line.serial_numbers or []) or None,
            source=self._source(),
        )


def _on_line(i: int, error: FieldError) -> FieldError:
    """A ledger error on ``quantity`` or ``serial_numbers.0`` as the order line's (``lines.2.quantity``)."""
    name = error.field if error.field == "quantity" or error.field.startswith("serial") else ""
    return FieldError(f"lines.{i}.{name}" if name else f"lines.{i}", error.code, error.message)
