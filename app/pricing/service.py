"""Price lists on the entity kit, and the price a customer pays.

Rules that are the list's own: the period runs from ``valid_from`` to ``valid_to`` (open-ended when
empty); two live lists serving the same customers (the same tier, or both every customer) may not
overlap in time, so a customer's price is never ambiguous; a product appears once on a list, at a
price that is an amount in yuan.

A customer's list on a day is the valid list of their tier, else the valid list for every customer;
a product missing from it is sold at its list price (``app.orders.lines.price`` falls back).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.customers.fields import CustomerTier
from app.customers.models import Customer
from app.domain import FieldError, ValidationFailed
from app.kit.fields import LOCAL_TZ, Choice, Day, Errors, Fields, FieldType, Ref, Text
from app.kit.numbers import Money
from app.kit.scope import TenantWide
from app.kit.service import EntityService, json_ready
from app.orders.repository import live_products
from app.pricing.entity import PRICE_LIST
from app.pricing.fields import PriceListKind
from app.pricing.models import PriceList, PriceListItem

MAX_ITEMS = 2000


@dataclass(frozen=True)
class PriceInput:
    product_id: uuid.UUID
    price: Decimal


@dataclass(frozen=True)
class Prices(FieldType):
    """A list's prices: ``[{"product_id": ..., "price": "3599.00"}]``, checked row by row
    (``items.3.price``); a product twice is an error on its second row."""

    widget: str = "prices"

    def clean(self, errors: Errors, name: str, value: Any) -> list[PriceInput] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            errors.add(name, "invalid", "must be a list of prices")
            return None
        if len(value) > MAX_ITEMS:
            errors.add(name, "too_many", f"at most {MAX_ITEMS} prices")
            return None
        found: list[PriceInput] = []
        seen: set[uuid.UUID] = set()
        for i, raw in enumerate(value):
            path = f"{name}.{i}"
            if not isinstance(raw, Mapping):
                errors.add(path, "invalid", "must be an object")
                continue
            product_id = Ref(required=True).clean(errors, f"{path}.product_id", raw.get("product_id"))
            price = Money(required=True).clean(errors, f"{path}.price", raw.get("price"))
            if product_id is None or price is None:
                continue
            if product_id in seen:
                errors.add(f"{path}.product_id", "repeated_product", "is priced twice on this list")
                continue
            seen.add(product_id)
            found.append(PriceInput(product_id, price))
        return found


class PriceListService(EntityService[PriceList]):
    spec = PRICE_LIST
    model = PriceList
    fields = Fields(
        {
            "name": Text(required=True, max_length=60),
            "kind": Choice(required=True, enum=PriceListKind),
            "tier": Choice(enum=CustomerTier),
            "valid_from": Day(required=True),
            "valid_to": Day(),
            "note": Text(max_length=200),
            "items": Prices(),
        },
        defaults={"kind": PriceListKind.RETAIL.value},
    )
    scope = TenantWide()
    sort_fields = ("created_at", "updated_at", "name", "valid_from")

    def __init__(self, session: AsyncSession, actor: Any) -> None:
        super().__init__(session, actor)
        self._items: list[PriceInput] | None = None

    async def _check(self, values: dict[str, Any], record: PriceList | None) -> None:
        def now(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        errors = Errors()
        start, end = now("valid_from"), now("valid_to")
        if start is not None and end is not None and end < start:
            errors.add("valid_to", "before_start", "is before the start date")
        elif start is not None and await self._overlapping(now("tier"), start, end, record):
            errors.add("valid_from", "overlapping", "another list serves these customers then")
        items = values.get("items")
        self._items = items
        if items:
            known = await live_products(self.session, [i.product_id for i in items])
            for i, item in enumerate(items):
                if item.product_id not in known:
                    errors.add(f"items.{i}.product_id", "unknown_product", "is not a product of this catalog")
        errors.raise_if_any()

    async def _overlapping(
        self, tier: str | None, start: date, end: date | None, record: PriceList | None
    ) -> bool:
        same_customers = PriceList.tier.is_(None) if tier is None else PriceList.tier == tier
        query = select(PriceList.id).where(
            PriceList.deleted_at.is_(None),
            same_customers,
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= start),
        )
        if end is not None:
            query = query.where(PriceList.valid_from <= end)
        if record is not None:
            query = query.where(PriceList.id != record.id)
        return await self.session.scalar(query.limit(1)) is not None

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check(values, None)

    async def before_update(self, record: PriceList, values: dict[str, Any]) -> None:
        await self._check(values, record)

    async def before_delete(self, record: PriceList, *, deleted: bool) -> None:
        if not deleted and await self._overlapping(record.tier, record.valid_from, record.valid_to, record):
            raise ValidationFailed([FieldError("valid_from", "overlapping", "another list serves them")])

    async def after_write(self, record: PriceList, values: dict[str, Any], *, creating: bool) -> None:
        if self._items is None:
            return
        await self.session.execute(delete(PriceListItem).where(PriceListItem.price_list_id == record.id))
        self.session.add_all(
            PriceListItem(price_list_id=record.id, product_id=i.product_id, price=i.price)
            for i in self._items
        )
        await self.session.flush()

    async def snapshot(self, record: PriceList) -> dict[str, Any]:
        data = {
            name: json_ready(getattr(record, name))
            for name in ("name", "kind", "tier", "valid_from", "valid_to", "note")
        }
        if self._items is not None:
            data["items"] = {str(i.product_id): str(i.price) for i in self._items}
        data["version"] = record.version
        return data

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> PriceList:
        self._items = None
        return await super().update(record_id, version, raw)

    # -- reads ------------------------------------------------------------------------------------

    async def items(self, price_list_id: uuid.UUID) -> list[PriceListItem]:
        """The prices of a list the caller may see, by product name."""
        await self.get(price_list_id)
        rows = await self.session.scalars(
            select(PriceListItem)
            .join(Product, Product.id == PriceListItem.product_id)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(Product.name, Product.sku)
        )
        return list(rows.all())

    async def valid_lists(self, on: date) -> list[PriceList]:
        """Every live list valid on ``on`` (forms offer these)."""
        self.require("read")
        rows = await self.session.scalars(
            select(PriceList).where(PriceList.deleted_at.is_(None), valid_on(on)).order_by(PriceList.name)
        )
        return list(rows.all())


def valid_on(day: date) -> ColumnElement[bool]:
    return and_(PriceList.valid_from <= day, or_(PriceList.valid_to.is_(None), PriceList.valid_to >= day))


async def list_for_customer(session: AsyncSession, customer_id: uuid.UUID, on: date) -> PriceList | None:
    """The customer's price list on a day: the valid list of their tier, else the list for everyone."""
    tier = await session.scalar(select(Customer.tier).where(Customer.id == customer_id))
    query = select(PriceList).where(PriceList.deleted_at.is_(None), valid_on(on))
    if tier:
        query = query.where(or_(PriceList.tier == tier, PriceList.tier.is_(None)))
    else:
        query = query.where(PriceList.tier.is_(None))
    # The tier's own list first (NULLS LAST), then the newest period.
    rows = await session.scalars(
        query.order_by(PriceList.tier.asc().nulls_last(), PriceList.valid_from.desc())
    )
    return rows.first()


async def usable_list(session: AsyncSession, price_list_id: uuid.UUID, on: date) -> PriceList | None:
    """A live list by id if it is valid on ``on``; raises a field error when it is not."""
    found = await session.get(PriceList, price_list_id)
    if found is None or found.deleted_at is not None:
        raise ValidationFailed([FieldError("price_list_id", "unknown_price_list", "is not a price list")])
    if not (found.valid_from <= on and (found.valid_to is None or found.valid_to >= on)):
        raise ValidationFailed(
            [FieldError("price_list_id", "price_list_expired", f"is not valid on {on.isoformat()}")]
        )
    return found


async def prices_on(
    session: AsyncSession, price_list_id: uuid.UUID | None, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Product → price on a list (products it does not price are left out)."""
    if price_list_id is None or not product_ids:
        return {}
    rows = await session.execute(
        select(PriceListItem.product_id, PriceListItem.price).where(
            PriceListItem.price_list_id == price_list_id, PriceListItem.product_id.in_(set(product_ids))
        )
    )
    return {row[0]: row[1] for row in rows.all()}


async def customer_prices(
    session: AsyncSession,
    customer_id: uuid.UUID | None,
    product_ids: Sequence[uuid.UUID],
    on: date | None = None,
) -> dict[uuid.UUID, Decimal]:
    """Product → the price on the customer's list today (or ``on``); empty without a list."""
    if customer_id is None or not product_ids:
        return {}
    found = await list_for_customer(session, customer_id, on or today())
    return await prices_on(session, found.id if found else None, product_ids)


def today() -> date:
    """The dealer's day (China time), which validity dates are read against."""
    return datetime.now(LOCAL_TZ).date()
