"""What an order's move does to stock: four workflow entry actions, registered for orders
(``app.workflows.actions``) and run through the ledger's verbs (``app.inventory.stock``):

| action          | when the order's stock is | does                                                 |
|-----------------|---------------------------|------------------------------------------------------|
| stock.reserve   | not reserved              | reserve every product line in the order's warehouse   |
| stock.issue     | reserved (or not reserved)| issue the units, choosing serial numbers              |
| stock.release   | reserved                  | release the reservation                               |
| stock.return    | shipped                   | return the shipped units (the same serial numbers)    |

The default order workflow puts them on 已审批, 已发货, 已取消 and 已退货; a tenant can put them on any
stage, so renaming or replacing a stage keeps the stock moving, and removing the action stops it.
The order's ``stock`` column says where its goods stand, so an action on an unexpected stage never
reserves twice or releases what was never reserved. Each ledger verb joins the order's transaction
as a savepoint (the order verb runs the move in a kit ``batch``): when one fails (not enough stock,
a serial number not in stock) the move and every earlier movement roll back together. Of two
approvals racing for the last unit, the ledger's conditional update lets one win; the other is
refused with ``insufficient_stock`` on the line.

Who moves the stock: the person moving the order may hold no inventory permission (a salesperson
approving a small order). The order's workflow authorises the move, so the ledger verbs run as an
explicit system action on their behalf (``ActionRun.system_actor``): the movements name the person,
and the audit record says "system: order→approved stock.reserve".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, ValidationFailed
from app.inventory.entity import INVENTORY_MOVE
from app.inventory.stock import Source, StockService
from app.kit.enums import N_
from app.orders import repository as repo
from app.orders.fields import LineKind, StockState
from app.orders.models import Order, OrderLine
from app.workflows.actions import ActionKindSpec, ActionRun, register_action


class OrderStock:
    """The ledger verbs an order's entry actions run, as ``actor`` (a system actor, see above)."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.stock = StockService(session, actor)

    async def reserve(self, order: Order) -> None:
        if order.stock == StockState.NONE:
            await self._each(order, self._reserve)
            order.stock = StockState.RESERVED.value
            await self.session.flush()

    async def issue(self, order: Order, serials: Mapping[Any, Sequence[str]]) -> None:
        if order.stock in (StockState.NONE, StockState.RESERVED):
            reserved = order.stock == StockState.RESERVED
            given = {str(k): list(v) for k, v in serials.items()}
            await self._each(
                order, lambda i, line: self._ship(order, i, line, given.get(str(line.id)), reserved)
            )
            order.stock = StockState.SHIPPED.value
            await self.session.flush()

    async def release(self, order: Order) -> None:
        if order.stock == StockState.RESERVED:
            await self._each(order, self._release)
            order.stock = StockState.NONE.value
            await self.session.flush()

    async def return_(self, order: Order) -> None:
        if order.stock == StockState.SHIPPED:
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

    async def _ship(
        self, order: Order, i: int, line: OrderLine, given: list[str] | None, reserved: bool
    ) -> None:
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
            reserved=reserved,
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


# -- the entry actions ----------------------------------------------------------------------------


def _stock_of(run: ActionRun) -> OrderStock:
    return OrderStock(run.session, run.system_actor(INVENTORY_MOVE))


async def _reserve_action(run: ActionRun) -> None:
    await _stock_of(run).reserve(run.record)


async def _issue_action(run: ActionRun) -> None:
    await _stock_of(run).issue(run.record, run.extras.get("serials") or {})


async def _release_action(run: ActionRun) -> None:
    await _stock_of(run).release(run.record)


async def _return_action(run: ActionRun) -> None:
    await _stock_of(run).return_(run.record)


STOCK_RESERVE = register_action(
    ActionKindSpec(
        "stock.reserve",
        N_("Reserve the order's stock"),
        _reserve_action,
        entities=("order",),
        description=N_("Promise every product line's units in the order's warehouse."),
    )
)
STOCK_ISSUE = register_action(
    ActionKindSpec(
        "stock.issue",
        N_("Ship the order's stock"),
        _issue_action,
        entities=("order",),
        description=N_("Take the units out of the warehouse, choosing serial numbers."),
    )
)
STOCK_RELEASE = register_action(
    ActionKindSpec(
        "stock.release",
        N_("Release the order's reservation"),
        _release_action,
        entities=("order",),
        description=N_("Give reserved units back to the warehouse's available stock."),
    )
)
STOCK_RETURN = register_action(
    ActionKindSpec(
        "stock.return",
        N_("Take the order's goods back into stock"),
        _return_action,
        entities=("order",),
        description=N_("Bring the shipped units back, with their serial numbers."),
    )
)
