"""Order lines as input: a list of products sold and trade-ins taken, cleaned field by field
(``lines.2.quantity``), then priced against the catalog.

    {"product_id": ..., "quantity": 2, "discount": "5"}              # list price less 5 %
    {"product_id": ..., "quantity": 1, "unit_price": "3599.00"}       # a negotiated price
    {"kind": "trade_in", "description": "旧海尔冰箱 BCD-215 2012年", "unit_price": "300"}   # −300

A line's amount is quantity × unit price × (1 − discount / 100), rounded to the fen; a trade-in's is
the negative of its value. The order total is the sum of the amounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.catalog.models import Product
from app.kit.fields import Errors, FieldType, Ref, Text
from app.kit.numbers import Money, Whole
from app.orders.fields import LineKind

MAX_LINES = 100
FEN = Decimal("0.01")


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
    """The order's lines, checked for shape (products are the service's to look up)."""

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


def price(
    lines: Sequence[LineInput],
    products: Mapping[uuid.UUID, Product],
    errors: Errors,
    prices: Mapping[uuid.UUID, Decimal] | None = None,
) -> Priced:
    """Each line priced (unless one was given: the customer's price list's price, else the
    product's list price); unknown products are field errors."""
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
