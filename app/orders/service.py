"""Orders on the entity kit: lines priced from the catalog, trade-ins, invoice details, the total
kept equal to the lines; the workflow's moves carry the stock with them (``app.orders.stock``).

Rules that are the order's own: the customer must be one the actor can see and the warehouse a live
one; lines and the customer change only while the order is in its workflow's first stage and holds
no stock; an invoice needs its title (and, for a special VAT invoice, the taxpayer ID); the delivery
address is the order's own (official province/city/district, street, recipient, phone), typed or
copied from one of the customer's addresses, and delivery booking starts from it.

The lines are the kit's (``app.kit.lines``): priced from the customer's price list, else the list
price; trade-ins negative; the total kept equal to the lines.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.domain import FieldError, ValidationFailed
from app.kit.fields import LOCAL_TZ, Choice, Errors, Fields, Mobile, Ref, Text
from app.kit.lines import LineItems, Lines, Preview, Priced, SellsLines
from app.kit.scope import OwnerScope
from app.kit.service import EntityService, batch, json_ready
from app.orders import lines as order_lines
from app.orders import repository as repo
from app.orders.entity import ORDER
from app.orders.fields import InvoiceType, StockState
from app.orders.lines import delivery_text
from app.orders.models import Order, OrderLine
from app.pricing.service import customer_prices
from app.search.grams import build_document, build_query
from app.workflows import service as workflows

TAX_NO_RE = re.compile(r"^[0-9A-Z]{15,20}$")  # 统一社会信用代码 (18) or an older 15/20-character ID


def new_number() -> str:
    """SO-20261127-7F3A9C: the dealer's day (China time) and six random hex digits (unique index)."""
    return f"SO-{datetime.now(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


# What ``new_number`` makes, whole; and a trailing part of one of at least four characters: 4-6 of
# its hex digits, or all six after the dash with any tail of the day (and of "SO-") before them.
WHOLE_NUMBER = re.compile(r"SO-\d{8}-[0-9A-F]{6}")
NUMBER_TAIL = re.compile(r"[0-9A-F]{4,6}|(?:\d{0,7}|(?:(?:S?O)?-)?\d{8})-[0-9A-F]{6}")


def number_search(search: str) -> tuple[bool, str] | None:
    """Whether a search text looks like an order number: (whole, the text upper-cased) for a whole
    number (True) or a trailing part of one (False); None for any other text."""
    text = search.strip().upper()
    if WHOLE_NUMBER.fullmatch(text):
        return True, text
    if NUMBER_TAIL.fullmatch(text):
        return False, text
    return None


class OrderService(SellsLines, EntityService[Order]):
    spec = ORDER
    model = Order
    line_items = LineItems(OrderLine, "order_id", extra={"serial_numbers": list})
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "warehouse_id": Ref(required=True),
            "lines": Lines(required=True),
            "invoice_type": Choice(required=True, enum=InvoiceType),
            "invoice_title": Text(max_length=100),
            "invoice_tax_no": Text(max_length=20),
            "note": Text(max_length=1000, multiline=True),
            # The delivery address (with the division group below): detail, recipient, phone.
            "delivery_detail": Text(max_length=200),
            "delivery_recipient": Text(max_length=60),
            "delivery_phone": Mobile(),
            # Not a column: one of the customer's addresses, copied into the delivery fields the
            # input does not give itself.
            "delivery_address_id": Ref(),
        },
        defaults={"invoice_type": InvoiceType.NONE.value},
        division=True,
        division_prefix="delivery_",
    )
    scope = OwnerScope()
    sort_fields = ("created_at", "updated_at", "total")

    def __init__(self, session: AsyncSession, actor: Any) -> None:
        super().__init__(session, actor)
        self._priced: Priced | None = None

    # -- checks -----------------------------------------------------------------------------------

    async def _visible_customer(self, customer_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(Customer.id).where(
                Customer.id == customer_id,
                Customer.deleted_at.is_(None),
                OwnerScope().condition(Customer, await self.owners()),
            )
        )
        return found is not None

    async def _check(self, values: dict[str, Any], record: Order | None) -> None:
        errors = Errors()
        customer_id = values.get("customer_id")
        if customer_id is not None and not await self._visible_customer(customer_id):
            # Another salesperson's customer reads exactly like an absent one.
            errors.add("customer_id", "unknown_customer", "is not a customer you can see")
        warehouse_id = values.get("warehouse_id")
        if warehouse_id is not None and await repo.live_warehouse(self.session, warehouse_id) is None:
            errors.add("warehouse_id", "unknown_warehouse", "is not a warehouse of this tenant")
        self._check_invoice(values, record, errors)
        await self._delivery_address(values, record, errors)
        lines = values.get("lines")
        if lines is not None:
            ids = [line.product_id for line in lines if line.product_id is not None]
            prices = await customer_prices(
                self.session, customer_id or getattr(record, "customer_id", None), ids
            )
            await self.price_lines(values, errors, prices)
        errors.raise_if_any()
        self.totals_into(values)

    async def _delivery_address(self, values: dict[str, Any], record: Order | None, errors: Errors) -> None:
        """A chosen address of the order's customer copied into the delivery fields not given; an
        address with a street needs its province and the other way round."""
        address_id = values.pop("delivery_address_id", None)
        if address_id is not None:
            customer_id = values.get("customer_id") or getattr(record, "customer_id", None)
            found = (
                await order_lines.address_of(self.session, customer_id, address_id) if customer_id else None
            )
            if found is None:
                errors.add("delivery_address_id", "unknown_address", "is not an address of this customer")
                return
            for name, value in order_lines.delivery_values(found).items():
                if values.get(name) is None:
                    values[name] = value
        if errors.has("delivery_province") or errors.has("delivery_city") or errors.has("delivery_district"):
            return

        def now(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        if now("delivery_detail") and not now("delivery_province"):
            errors.add("delivery_province", "required", "a delivery address needs its province")
        elif now("delivery_province") and not now("delivery_detail"):
            errors.add("delivery_detail", "required", "a delivery address needs its street address")

    def _check_invoice(self, values: dict[str, Any], record: Order | None, errors: Errors) -> None:
        def now(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        kind = now("invoice_type")
        tax_no = now("invoice_tax_no")
        if "invoice_tax_no" in values and tax_no:
            tax_no = values["invoice_tax_no"] = tax_no.upper()
            if not TAX_NO_RE.match(tax_no):
                errors.add("invoice_tax_no", "invalid_tax_no", "must be 15 to 20 letters and digits")
        if kind in (InvoiceType.NORMAL, InvoiceType.SPECIAL) and not now("invoice_title"):
            errors.add("invoice_title", "invoice_details", "an invoice needs its title")
        if kind == InvoiceType.SPECIAL and not tax_no and not errors.has("invoice_tax_no"):
            errors.add("invoice_tax_no", "invoice_details", "a special VAT invoice needs the taxpayer ID")

    # -- hooks ------------------------------------------------------------------------------------

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check(values, None)
        values["number"] = new_number()
        values["owner_id"] = self.actor.user_id
        values["stock"] = StockState.NONE.value
        values["paid"] = Decimal("0.00")

    async def before_update(self, record: Order, values: dict[str, Any]) -> None:
        if any(name in values for name in ("customer_id", "warehouse_id", "lines")):
            if not await self.editable(record):
                field = next(n for n in ("lines", "customer_id", "warehouse_id") if n in values)
                raise ValidationFailed(
                    [FieldError(field, "not_editable", "only a draft order's lines change")]
                )
        await self._check(values, record)

    def index(self, record: Order, extra_text: Sequence[str] = ()) -> None:
        doc = build_document(
            [record.number, record.invoice_title, delivery_text(record), record.note, *extra_text]
        )
        record.search_text, record.search_grams = doc.text, doc.grams

    async def snapshot(self, record: Order) -> dict[str, Any]:
        data = {
            name: json_ready(getattr(record, name))
            for name in (
                "number", "customer_id", "warehouse_id", "status", "total", "max_discount", "paid",
                "stock", "invoice_type", "invoice_title", "invoice_tax_no", "note", "owner_id",
                "delivery_province", "delivery_city", "delivery_district", "delivery_detail",
                "delivery_recipient", "delivery_phone",
            )
        }  # fmt: skip
        lines = await self.lines_snapshot(record)
        if lines:
            data["lines"] = lines
        for key, value in sorted((record.custom or {}).items()):
            data[f"custom.{key}"] = value
        data["version"] = record.version
        return data

    # -- verbs ------------------------------------------------------------------------------------

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> Order:
        """Edit an order; its stage moves only through ``transition`` (the stock moves with it)."""
        self._priced = None
        return await super().update(record_id, version, {k: v for k, v in raw.items() if k != "status"})

    async def transition(
        self,
        record_id: uuid.UUID,
        to: str,
        version: int,
        note: str | None = None,
        serials: Mapping[Any, Sequence[str]] | None = None,
        *,
        extras: Mapping[str, Any] | None = None,
    ) -> Order:
        """Move an order through its workflow (guards applied: large or discounted orders need
        ``orders:approve``) and its stock with it, in one transaction: by default approving
        reserves, shipping issues (``serials``: line id → serial numbers; the oldest units in stock
        otherwise), cancelling releases, a return brings the goods back. A refusal leaves
        everything as it was."""
        async with batch(self.session):
            # The stock moves are the stages' entry actions (app.orders.stock): the default workflow
            # puts them on approved, shipped, cancelled and returned; the tenant may move them.
            record = await super().transition(
                record_id, to, version, note, extras={**(extras or {}), "serials": serials or {}}
            )
        return record

    async def editable(self, order: Order) -> bool:
        """Whether the order's lines, customer and warehouse may still change: it is in its
        workflow's first stage and holds no stock."""
        workflow = await workflows.current(self.session, self.spec.key)
        return order.status == workflow.definition.initial.key and order.stock == StockState.NONE

    async def preview(self, raw: Mapping[str, Any]) -> Preview:
        """What an order form's lines come to, priced without saving: each line's price (the
        customer's price list, else the list price), the total and the VAT it includes, and the
        lines' problems. The rest of the order (warehouse, invoice) is checked when it is saved."""
        self.require("read")
        self._priced = None
        errors = Errors()
        customer_id = Ref().clean(errors, "customer_id", raw.get("customer_id"))
        lines = self.fields.types["lines"].clean(errors, "lines", raw.get("lines"))
        if customer_id is not None and not await self._visible_customer(customer_id):
            customer_id = None  # priced at list, as for no customer
        if lines is not None and not errors.items:
            ids = [line.product_id for line in lines if line.product_id is not None]
            prices = await customer_prices(self.session, customer_id, ids)
            await self.price_lines({"lines": lines}, errors, prices)
        return self.preview_of(list(errors.items))

    async def customer_defaults(self, customer_id: uuid.UUID) -> order_lines.CustomerDefaults:
        """What a new order for a customer the caller can see starts with: the invoice details of
        their last order (else a company's name as the title) and their addresses to deliver to."""
        self.require("read")
        if not await self._visible_customer(customer_id):
            return order_lines.CustomerDefaults()
        return await order_lines.customer_defaults(self.session, customer_id)

    async def names(self, orders: Sequence[Order], lines: Sequence[OrderLine] = ()) -> dict[uuid.UUID, str]:
        """Names of the customers, warehouses and products of orders the caller has seen."""
        return await repo.names(
            self.session,
            [o.customer_id for o in orders],
            [o.warehouse_id for o in orders],
            [line.product_id for line in lines if line.product_id],
        )

    async def moves(self, order: Order) -> list[tuple[str, dict[str, str]]]:
        """The stages the order may move to from where it is: (key, labels by locale)."""
        workflow = await workflows.current(self.session, self.spec.key)
        found = []
        for move in workflow.definition.moves_from(order.status):
            state = workflow.definition.state(move.target)
            if state is not None:
                found.append((state.key, dict(state.label)))
        return found

    async def stages(self) -> list[tuple[str, dict[str, str]]]:
        """Every stage of the order workflow, in order: (key, labels by locale)."""
        workflow = await workflows.current(self.session, self.spec.key)
        return [(s.key, dict(s.label)) for s in workflow.definition.states]


def order_conditions(
    *, customer_id: uuid.UUID | None = None, status: str | None = None, search: str | None = None
) -> list[ColumnElement[bool]]:
    """An order list's filter as query conditions: a customer, a stage, text. Text that looks like an
    order number (``number_search``) is an indexed lookup of the number (equality for a whole one,
    the suffix index for its tail); other text (invoice title, note, a part of a number) goes
    through the gram index. Bad values are field errors."""
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        conditions.append(Order.customer_id == customer_id)
    if status is not None:
        if len(status) > 32:
            raise ValidationFailed(
                [FieldError("status", "invalid_choice", "is not a stage of this workflow")]
            )
        conditions.append(Order.status == status)
    if search and search.strip():
        if len(search) > 100:
            raise ValidationFailed([FieldError("search", "too_long", "must be at most 100 characters")])
        number = number_search(search)
        if number is not None:
            whole, text = number
            conditions.append(repo.number_is(text) if whole else repo.number_ends_with(text))
            return conditions
        built = build_query(search)
        if built is not None:
            if built.grams:
                conditions.append(Order.search_grams.contains(built.grams))
            conditions += [Order.search_text.like(p) for p in built.like_patterns]
    return conditions
