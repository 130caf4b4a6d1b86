"""Products of interest as input: catalog lines with a quantity and, optionally, the price quoted
(the list price otherwise), cleaned field by field (``products.1.quantity``).

    {"product_id": ..., "quantity": 2}                          # at the list price
    {"product_id": ..., "quantity": 1, "unit_price": "3599"}     # a quoted price
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.kit.fields import Errors, FieldType, Ref
from app.kit.numbers import Money, Whole

MAX_PRODUCTS = 50


@dataclass
class Interest:
    product_id: uuid.UUID
    quantity: int
    unit_price: Decimal | None


@dataclass(frozen=True)
class ProductsOfInterest(FieldType):
    widget: str = "products"

    def clean(self, errors: Errors, name: str, value: Any) -> list[Interest] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            errors.add(name, "invalid", "must be a list of products")
            return None
        if len(value) > MAX_PRODUCTS:
            errors.add(name, "too_many", f"at most {MAX_PRODUCTS} products")
            return None
        found: list[Interest] = []
        for i, raw in enumerate(value):
            path = f"{name}.{i}"
            if not isinstance(raw, dict):
                errors.add(path, "invalid", "must be an object with product_id and quantity")
                continue
            before = len(errors.items)
            product_id = Ref(required=True).clean(errors, f"{path}.product_id", raw.get("product_id"))
            quantity = Whole(required=True, minimum=1, maximum=10_000).clean(
                errors, f"{path}.quantity", raw.get("quantity", 1)
            )
            unit_price = Money().clean(errors, f"{path}.unit_price", raw.get("unit_price"))
            if len(errors.items) == before and product_id is not None and quantity is not None:
                found.append(Interest(product_id, quantity, unit_price))
        return found
