"""Line items of a sale, declared once: quotes and orders (and the next module that sells or fits
products: a service ticket's parts) read their lines, prices and totals from here.

Input, cleaned field by field (``lines.2.quantity``):

    {"product_id": ..., "quantity": 2, "discount": "5"}              # the price less 5 %
    {"product_id": ..., "quantity": 1, "unit_price": "3599.00"}       # a negotiated price
    {"kind": "trade_in", "description": "旧海尔冰箱 BCD-215 2012年", "unit_price": "300"}   # −300

A product line without a price is priced from the customer's (or the chosen) price list, else the
product's list price. A line's amount is quantity × unit price × (1 − discount / 100), rounded to
the fen; a trade-in's (以旧换新) is the negative of its value. The total is the sum of the amounts,
prices include VAT (含税价), and ``tax_in`` is the VAT inside a total.

A module with lines declares them and mixes ``SellsLines`` into its service::

    class OrderService(SellsLines, EntityService[Order]):
        line_items = LineItems(OrderLine, "order_id", extra={"serial_numbers": list})
        fields = Fields({..., "lines": Lines(required=True)})

        async def _check(self, values, record):
            errors = Errors()
            ...
            await self.price_lines(values, errors, prices)   # unknown products: lines.N.product_id
            errors.raise_if_any()
            self.totals_into(values)                         # total, max_discount

and the service gets its lines written with the record (``after_write``), read (``lines``), in the
audit snapshot (``lines_snapshot``) and priced without saving for a form (``preview_lines``).
The admin's editor for them is ``web.kit.lines``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.kit.enums import N_, LabeledEnum
from app.kit.fields import Errors, FieldType, Ref, Text
from app.kit.numbers import Money, Whole
from app.kit.service import json_ready

MAX_LINES = 100
FEN = Decimal("0.01")
DEFAULT_TAX_RATE = Decimal("13.00")  # 增值税 on appliances


class LineKind(LabeledEnum):
    PRODUCT = "product", N_("Product")
    # 以旧换新: the customer's old unit taken in part-payment; its amount is negative.
    TRADE_IN = "trade_in", N_("Trade-in")


@dataclass(frozen=True)
class Percent(FieldType):
    """A percentage from 0 to 100 with at most two decimals."""

    widget: str = "number"

    def clean(self, errors: Errors, name: str, value: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return Decimal("0.00")
        try:
            number = Decimal(value.strip() if isinstance(value, str) else str(value))
        except InvalidOperation:
            errors.add(name, "invalid_number", "must be a percentage (e.g. 5 or 7.5)")
            return None
        if isinstance(value, bool) or not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.add(name, "invalid_number", "must be a percentage (e.g. 5 or 7.5)")
            return None
        if not Decimal(0) <= number <= Decimal(100):
            errors.add(name, "out_of_range", "must be between 0 and 100")
            return None
        return number.quantize(FEN)


@dataclass
class LineInput:
    kind: str
    product_id: uuid.UUID | None
    quantity: int
    unit_price: Decimal | None
    discount: Decimal
    description: str | None


@dataclass(frozen=True)
class Lines(FieldType):
    """The lines, checked for shape (products are looked up when they are priced)."""

    widget: str = "lines"

    def clean(self, errors: Errors, name: str, value: Any) -> list[LineInput] | None:
        if value is None:
            if self.required:
                errors.add(name, "no_lines", "an order needs at least one product line")
            return None
        if not isinstance(value, list | tuple):
            errors.add(name, "invalid", "must be a list of lines")
            return None
        if len(value) > MAX_LINES:
            errors.add(name, "too_many", f"at most {MAX_LINES} lines")
            return None
        found: list[LineInput] = []
        for i, raw in enumerate(value):
            line = _line(errors, f"{name}.{i}", raw)
            if line is not None:
                found.append(line)
        if not errors.has(name) and not any(line.kind == LineKind.PRODUCT for line in found):
            errors.add(name, "no_lines", "an order needs at least one product line")
        return found


def _line(errors: Errors, path: str, raw: Any) -> LineInput | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "invalid", "must be an object")
        return None
    before = len(errors.items)
    kind = str(raw.get("kind") or LineKind.PRODUCT.value)
    if LineKind.parse(kind) is None:
        errors.add(f"{path}.kind", "invalid_choice", f"must be one of {', '.join(LineKind.values())}")
        return None
    quantity = Whole(required=True, minimum=1, maximum=10_000).clean(
        errors, f"{path}.quantity", raw.get("quantity", 1)
    )
    unit_price = Money().clean(errors, f"{path}.unit_price", raw.get("unit_price"))
    discount = Percent().clean(errors, f"{path}.discount", raw.get("discount"))
    if kind == LineKind.PRODUCT:
        product_id = Ref(required=True).clean(errors, f"{path}.product_id", raw.get("product_id"))
        description = Text(max_length=200).clean(errors, f"{path}.description", raw.get("description"))
    else:
        # The old unit is described (brand, model, age), not a catalog product; its value is required.
        product_id = None
        description = Text(required=True, max_length=200).clean(
            errors, f"{path}.description", raw.get("description")
        )
        if unit_price is None and not errors.has(f"{path}.unit_price"):
            errors.add(f"{path}.unit_price", "required", "is required")
        if discount:
            errors.add(f"{path}.discount", "invalid", "a trade-in has no discount")
    if len(errors.items) != before or quantity is None or discount is None:
        return None
    return LineInput(kind, product_id, quantity, unit_price, discount, description)


@dataclass
class PricedLine:
    kind: str
    product_id: uuid.UUID | None
    description: str | None
    quantity: int
    unit_price: Decimal
    discount: Decimal
    amount: Decimal


@dataclass
class Priced:
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def max_discount(self) -> Decimal:
        return max((line.discount for line in self.lines), default=Decimal("0.00"))


def amount_of(kind: str, quantity: int, unit_price: Decimal, discount: Decimal) -> Decimal:
    gross = Decimal(quantity) * unit_price * (Decimal(100) - discount) / Decimal(100)
    amount = gross.quantize(FEN, rounding=ROUND_HALF_UP)
    return -amount if kind == LineKind.TRADE_IN else amount


def tax_in(total: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a tax-inclusive total (含税价): total − total / (1 + rate)."""
    net = (total * Decimal(100) / (Decimal(100) + rate)).quantize(FEN, rounding=ROUND_HALF_UP)
    return total - net


def price(
    lines: Sequence[LineInput],
    products: Mapping[uuid.UUID, Product],
    errors: Errors,
    prices: Mapping[uuid.UUID, Decimal] | None = None,
) -> Priced:
    """Each line priced (unless one was given: the price list's price, else the product's list
    price); unknown products are field errors (``lines.N.product_id``)."""
    priced = Priced()
    for i, line in enumerate(lines):
        unit_price = line.unit_price
        if line.kind == LineKind.PRODUCT:
            product = products.get(line.product_id) if line.product_id else None
            if product is None:
                errors.add(f"lines.{i}.product_id", "unknown_product", "is not a product of this catalog")
                continue
            if unit_price is None:
                unit_price = (prices or {}).get(product.id, product.list_price)
            if unit_price is None:
                errors.add(f"lines.{i}.unit_price", "no_price", "the product has no list price")
                continue
        assert unit_price is not None
        amount = amount_of(line.kind, line.quantity, unit_price, line.discount)
        priced.lines.append(
            PricedLine(
                line.kind, line.product_id, line.description, line.quantity, unit_price, line.discount, amount
            )
        )
    if not errors.items and priced.total < 0:
        errors.add("lines", "negative_total", "trade-ins exceed what the order sells")
    return priced


async def live_products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Products by id that are in the catalog now (deleted ones are not sold)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Product).where(Product.id.in_(set(ids)), Product.deleted_at.is_(None))
    )
    return {p.id: p for p in rows.all()}


def line_row(line: Any) -> list[Any]:
    """A line as the audit snapshot records it: kind, product, description, quantity, price,
    discount, amount."""
    return [
        line.kind, json_ready(line.product_id), line.description, line.quantity,
        str(line.unit_price), str(line.discount), str(line.amount),
    ]  # fmt: skip


@dataclass(frozen=True)
class LineItems:
    """Where a module keeps its lines: the line model (columns ``position``, ``kind``,
    ``product_id``, ``description``, ``quantity``, ``unit_price``, ``discount``, ``amount``), the
    column naming the parent record, and defaults of the model's further columns
    (``{"serial_numbers": list}``: a factory per row)."""

    model: type[Any]
    parent: str
    extra: Mapping[str, Callable[[], Any]] = field(default_factory=dict)

    async def price(
        self,
        session: AsyncSession,
        lines: Sequence[LineInput],
        errors: Errors,
        prices: Mapping[uuid.UUID, Decimal] | None = None,
    ) -> Priced:
        ids = [line.product_id for line in lines if line.product_id is not None]
        return price(lines, await live_products(session, ids), errors, prices)

    def rows(self, parent_id: uuid.UUID, priced: Priced) -> list[Any]:
        return [
            self.model(
                **{self.parent: parent_id},
                position=i,
                kind=line.kind,
                product_id=line.product_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                amount=line.amount,
                **{name: make() for name, make in self.extra.items()},
            )
            for i, line in enumerate(priced.lines)
        ]

    async def replace(self, session: AsyncSession, parent_id: uuid.UUID, priced: Priced) -> None:
        """The parent's lines become ``priced`` (in the caller's transaction)."""
        column = getattr(self.model, self.parent)
        await session.execute(delete(self.model).where(column == parent_id))
        session.add_all(self.rows(parent_id, priced))
        await session.flush()

    async def of(self, session: AsyncSession, parent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        """The lines of each parent, in order (every id present, an empty list when it has none)."""
        found: dict[uuid.UUID, list[Any]] = {i: [] for i in parent_ids}
        if not parent_ids:
            return found
        column = getattr(self.model, self.parent)
        rows = await session.scalars(
            select(self.model).where(column.in_(list(parent_ids))).order_by(column, self.model.position)
        )
        for line in rows.all():
            found.setdefault(getattr(line, self.parent), []).append(line)
        return found


@dataclass
class Preview:
    """What a form's lines come to before saving: the priced lines (empty while the input has
    problems), the total with the VAT it includes, and the problems."""

    lines: list[PricedLine]
    total: Decimal
    tax: Decimal
    problems: list[Any]


class SellsLines:
    """Lines for an ``EntityService``: mixed in before it, with ``line_items`` declared."""

    line_items: ClassVar[LineItems]
    session: AsyncSession
    _priced: Priced | None = None

    async def price_lines(
        self, values: dict[str, Any], errors: Errors, prices: Mapping[uuid.UUID, Decimal] | None
    ) -> None:
        """Price ``values["lines"]`` (when given) for the write; problems go to ``errors``."""
        lines = values.get("lines")
        if lines is not None:
            self._priced = await self.line_items.price(self.session, lines, errors, prices)

    def totals_into(self, values: dict[str, Any]) -> None:
        """The record's ``total`` and ``max_discount`` from the lines being written."""
        if self._priced is not None:
            values["total"] = self._priced.total
            values["max_discount"] = self._priced.max_discount

    async def after_write(self, record: Any, values: dict[str, Any], *, creating: bool) -> None:
        if self._priced is not None:
            await self.line_items.replace(self.session, record.id, self._priced)

    async def lines(self, parent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        """Lines of records the caller has already been allowed to see."""
        return await self.line_items.of(self.session, parent_ids)

    async def lines_snapshot(self, record: Any) -> list[list[Any]]:
        """The lines in the audit snapshot: those being written, else those stored."""
        if self._priced is not None:
            rows: Sequence[Any] = self._priced.lines
        else:
            rows = (await self.lines([record.id]))[record.id] if record.id else []
        return [line_row(line) for line in rows]

    def preview_of(self, problems: list[Any], rate: Decimal = DEFAULT_TAX_RATE) -> Preview:
        """The preview after a check: priced lines only when nothing was wrong."""
        priced = self._priced.lines if self._priced is not None and not problems else []
        total = sum((line.amount for line in priced), Decimal("0.00"))
        return Preview(priced, total, tax_in(total, rate), problems)
