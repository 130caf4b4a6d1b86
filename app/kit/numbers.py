"""Numeric input fields (quantities, months, prices), beside the text-like ones in ``app.kit.fields``.

    "warranty_months": Whole(minimum=0, maximum=240),
    "list_price": Money(),

Both accept numbers or the text a form posts, and report one field error when the value is not a
number or out of range.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.kit.fields import Errors, FieldType


@dataclass(frozen=True)
class Whole(FieldType):
    """A whole number within ``minimum``..``maximum``."""

    minimum: int = 0
    maximum: int = 1_000_000
    widget: str = "number"

    def clean(self, errors: Errors, name: str, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if isinstance(value, bool):
            errors.add(name, "invalid_number", "must be a whole number")
            return None
        try:
            number = int(value.strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            errors.add(name, "invalid_number", "must be a whole number")
            return None
        if not isinstance(value, str) and number != value:
            errors.add(name, "invalid_number", "must be a whole number")
            return None
        if not self.minimum <= number <= self.maximum:
            errors.add(name, "out_of_range", f"must be between {self.minimum} and {self.maximum}")
            return None
        return number


@dataclass(frozen=True)
class Money(FieldType):
    """An amount in yuan with at most two decimals, not negative, below ``maximum``."""

    maximum: Decimal = Decimal("9999999999.99")
    widget: str = "money"

    def clean(self, errors: Errors, name: str, value: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if isinstance(value, bool):
            errors.add(name, "invalid_amount", "must be an amount in yuan (e.g. 3999.00)")
            return None
        try:
            amount = Decimal(value.strip().replace(",", "") if isinstance(value, str) else str(value))
        except InvalidOperation:
            errors.add(name, "invalid_amount", "must be an amount in yuan (e.g. 3999.00)")
            return None
        if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.add(name, "invalid_amount", "must be an amount in yuan (e.g. 3999.00)")
            return None
        if amount < 0 or amount > self.maximum:
            errors.add(name, "out_of_range", f"must be between 0 and {self.maximum}")
            return None
        return amount.quantize(Decimal("0.01"))
