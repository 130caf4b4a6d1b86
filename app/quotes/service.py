"""Quotes on the entity kit: lines priced from the customer's price list (else the list price), a
total with the VAT it includes, a validity date, a workflow (draft → sent → accepted / rejected /
expired), and conversion to an order in one step.

Rules that are the quote's own: the customer must be one the actor can see; a chosen price list
must be valid on the day the quote is written; lines, customer and price list change only while the
quote is a draft; only a sent or accepted quote, not past its validity date and not converted
before, becomes an order (a sent one is accepted on the way), and the quote then names the order.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.customers.models import Customer
from app.domain import FieldError, NotFound, ValidationFailed
from app.kit.fields import LOCAL_TZ, Day, Errors, Fields, Ref, Text
from app.kit.lines import (
    DEFAULT_TAX_RATE,
    LineItems,
    LineKind,
    Lines,
    Percent,
    Preview,
    Priced,
    SellsLines,
    tax_in,
)
from app.kit.scope import OwnerScope
from app.kit.service import EntityService, batch, json_ready
from app.orders.models import Order
from app.orders.service import OrderService
from app.pricing.models import PriceList
from app.pricing.service import list_for_customer, prices_on, today, usable_list
from app.quotes import repository as repo
from app.quotes.entity import ACCEPTED, CONVERTIBLE, QUOTE
from app.quotes.letterhead import letterhead
from app.quotes.models import Quote, QuoteLine
from app.quotes.pdf import PrintedLine, PrintedQuote
from app.search.grams import build_document, build_query
from app.workflows import service as workflows

DEFAULT_VALID_DAYS = 30

__all__ = ["DEFAULT_TAX_RATE", "Preview", "QuoteService", "quote_conditions", "tax_in"]


def new_number() -> str:
    """QT-20261127-7F3A9C: the dealer's day (China time) and six random hex digits (unique index)."""
    return f"QT-{datetime.now(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


class QuoteService(SellsLines, EntityService[Quote]):
    spec = QUOTE
    model = Quote
    line_items = LineItems(QuoteLine, "quote_id")
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "price_list_id": Ref(),
            "valid_until": Day(),
            "tax_rate": Percent(),
            "lines": Lines(required=True),
            "note": Text(max_length=1000, multiline=True),
        },
        defaults={"tax_rate": str(DEFAULT_TAX_RATE)},
    )
    scope = OwnerScope()
    sort_fields = ("created_at", "updated_at", "total")

    def __init__(self, session: AsyncSession, actor: Any) -> None:
        super().__init__(session, actor)
        self._priced: Priced | None = None

    # -- checks -----------------------------------------------------------------------------------

    async def _check(self, values: dict[str, Any], record: Quote | None) -> None:
        def now(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        errors = Errors()
        day = today()
        customer_id = values.get("customer_id")
        if customer_id is not None:
            customer = await self.session.scalar(
                select(Customer.id).where(
                    Customer.id == customer_id,
                    Customer.deleted_at.is_(None),
                    OwnerScope().condition(Customer, await self.owners()),
                )
            )
            if customer is None:
                # Another salesperson's customer reads exactly like an absent one.
                errors.add("customer_id", "unknown_customer", "is not a customer you can see")
        valid_until = values.get("valid_until")
        if valid_until is not None and valid_until < day:
            errors.add("valid_until", "in_the_past", "must not be in the past")
        price_list_id = now("price_list_id")
        if "price_list_id" in values and price_list_id is not None:
            try:
                await usable_list(self.session, price_list_id, day)
            except ValidationFailed as exc:
                errors.items.extend(exc.errors)
        elif record is None and customer_id is not None and not errors.has("customer_id"):
            # No list chosen: the customer's own list today, if the dealer keeps one.
            found = await list_for_customer(self.session, customer_id, day)
            values["price_list_id"] = price_list_id = found.id if found else None
        lines = values.get("lines")
        if lines is not None:
            ids = [line.product_id for line in lines if line.product_id is not None]
            prices = await prices_on(
                self.session, None if errors.has("price_list_id") else price_list_id, ids
            )
            await self.price_lines(values, errors, prices)
        errors.raise_if_any()
        rate = now("tax_rate")
        if rate is None:
            rate = values["tax_rate"] = DEFAULT_TAX_RATE
        self.totals_into(values)
        total = values.get("total", getattr(record, "total", Decimal("0.00")))
        values["tax"] = tax_in(total, rate)

    async def before_create(self, values: dict[str, Any]) -> None:
        if values.get("valid_until") is None:
            values["valid_until"] = today() + timedelta(days=DEFAULT_VALID_DAYS)
        await self._check(values, None)
        values["number"] = new_number()
        values["owner_id"] = self.actor.user_id

    async def before_update(self, record: Quote, values: dict[str, Any]) -> None:
        if any(name in values for name in ("customer_id", "price_list_id", "lines")):
            workflow = await workflows.current(self.session, self.spec.key)
            if record.status != workflow.definition.initial.key or record.order_id is not None:
                field = next(n for n in ("lines", "customer_id", "price_list_id") if n in values)
                raise ValidationFailed(
                    [FieldError(field, "not_editable", "only a draft quote's lines change")]
                )
        await self._check(values, record)

    def index(self, record: Quote, extra_text: Sequence[str] = ()) -> None:
        doc = build_document([record.number, record.note, *extra_text])
        record.search_text, record.search_grams = doc.text, doc.grams

    async def snapshot(self, record: Quote) -> dict[str, Any]:
        data = {
            name: json_ready(getattr(record, name))
            for name in (
                "number", "customer_id", "price_list_id", "status", "valid_until", "total", "tax_rate",
                "tax", "max_discount", "note", "order_id", "owner_id",
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

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> Quote:
        """Edit a quote; its stage moves only through ``transition``."""
        self._priced = None
        changes = {k: v for k, v in raw.items() if k not in ("status", "order_id", "number")}
        return await super().update(record_id, version, changes)

    async def convert_to_order(
        self, record_id: uuid.UUID, version: int, order_values: Mapping[str, Any]
    ) -> tuple[Quote, Order]:
        """Turn a sent or accepted quote into a draft order in one transaction: the lines carried
        over at the quote's prices, the quote accepted (if it was only sent) and linked to the
        order. ``order_values``: the order's own fields (warehouse, invoice details, note)."""
        self.require("edit")
        async with batch(self.session):
            quote = await self._load(record_id, for_update=True)
            if quote.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            await self._check_version(quote, version)
            if quote.order_id is not None:
                raise ValidationFailed([FieldError("id", "already_converted", "is already an order")])
            if quote.status not in CONVERTIBLE:
                raise ValidationFailed([FieldError("status", "not_convertible", "is not sent or accepted")])
            if quote.valid_until < today():
                raise ValidationFailed([FieldError("valid_until", "quote_expired", "the quote has expired")])
            lines = (await self.lines([quote.id]))[quote.id]
            carried = [
                {
                    "kind": line.kind,
                    "product_id": line.product_id,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount": line.discount,
                }
                for line in lines
            ]
            values = {k: v for k, v in order_values.items() if k not in ("customer_id", "lines")}
            if not values.get("note"):
                values["note"] = f"{quote.number}"
            order = await OrderService(self.session, self.actor).create(
                {**values, "customer_id": quote.customer_id, "lines": carried}
            )
            if quote.status != ACCEPTED:
                quote = await self.transition(quote.id, ACCEPTED, quote.version)
            before = {"order_id": None, "version": quote.version}
            quote.order_id = order.id
            quote.version += 1
            quote.updated_at = datetime.now(LOCAL_TZ)
            quote.updated_by = self.actor.user_id
            self._audit(quote, "convert", before, {"order_id": str(order.id), "version": quote.version})
            self._emit(quote, "converted", order_id=str(order.id))
            await self.session.flush()
        return quote, order

    async def preview(self, raw: Mapping[str, Any]) -> Preview:
        """What a quote form would save, priced without saving: each line's price (the customer's
        list or the one chosen, else the list price), the total and its VAT, and the problems."""
        self.require("read")
        self._priced = None
        problems: list[FieldError] = []
        try:
            cleaned = await self.clean(raw)
            values = cleaned.values
            if values.get("valid_until") is None:
                values["valid_until"] = today() + timedelta(days=DEFAULT_VALID_DAYS)
            await self._check(values, None)
        except ValidationFailed as exc:
            problems = list(exc.errors)
        given = raw.get("tax_rate")
        blank = given is None or (isinstance(given, str) and not given.strip())
        rate = (
            DEFAULT_TAX_RATE if blank else (Percent().clean(Errors(), "tax_rate", given) or Decimal("0.00"))
        )
        return self.preview_of(problems, rate)

    # -- reads ------------------------------------------------------------------------------------

    async def names(self, quotes: Sequence[Quote], lines: Sequence[QuoteLine] = ()) -> dict[uuid.UUID, str]:
        """Names of the customers, price lists and products of quotes the caller has seen."""
        found: dict[uuid.UUID, str] = {}
        customer_ids = {q.customer_id for q in quotes}
        if customer_ids:
            rows = await self.session.execute(
                select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))
            )
            found.update({r[0]: r[1] for r in rows.all()})
        list_ids = {q.price_list_id for q in quotes if q.price_list_id}
        if list_ids:
            rows = await self.session.execute(
                select(PriceList.id, PriceList.name).where(PriceList.id.in_(list_ids))
            )
            found.update({r[0]: r[1] for r in rows.all()})
        products = await repo.products(self.session, [line.product_id for line in lines if line.product_id])
        found.update({p.id: f"{p.name} {p.model}" if p.model else p.name for p in products.values()})
        orders = {q.order_id for q in quotes if q.order_id}
        if orders:
            rows = await self.session.execute(select(Order.id, Order.number).where(Order.id.in_(orders)))
            found.update({r[0]: r[1] for r in rows.all()})
        return found

    async def printable(self, record_id: uuid.UUID, tenant_name: str, status_label: str) -> PrintedQuote:
        """What the PDF prints of a quote the caller may see, with the dealer's letterhead."""
        quote = await self.get(record_id)
        lines = (await self.lines([quote.id]))[quote.id]
        products = await repo.products(self.session, [line.product_id for line in lines if line.product_id])
        names = await self.names([quote])
        customer = await self.session.get(Customer, quote.customer_id)
        owner = await accounts_repo.user_by_id(self.session, quote.owner_id) if quote.owner_id else None
        printed = []
        for line in lines:
            product = products.get(line.product_id) if line.product_id else None
            if product is not None:
                name = f"{product.name} {product.model}" if product.model else product.name
            else:
                name = line.description or ""
            printed.append(
                PrintedLine(
                    name=name,
                    trade_in=line.kind == LineKind.TRADE_IN,
                    quantity=line.quantity,
                    unit=product.unit if product is not None else "",
                    unit_price=line.unit_price,
                    discount=line.discount,
                    amount=line.amount,
                )
            )
        return PrintedQuote(
            tenant_name=tenant_name,
            letterhead=await letterhead(self.session),
            number=quote.number,
            written_on=quote.created_at.astimezone(LOCAL_TZ).date(),
            valid_until=quote.valid_until,
            status_label=status_label,
            customer_name=customer.name if customer is not None else "",
            customer_phone=customer.mobile if customer is not None else None,
            salesperson=owner.name if owner is not None else None,
            price_list=names.get(quote.price_list_id) if quote.price_list_id else None,
            lines=printed,
            total=quote.total,
            tax_rate=quote.tax_rate,
            tax=quote.tax,
            note=quote.note,
        )

    async def moves(self, quote: Quote) -> list[tuple[str, dict[str, str]]]:
        """The stages the quote may move to from where it is: (key, labels by locale)."""
        workflow = await workflows.current(self.session, self.spec.key)
        found = []
        for move in workflow.definition.moves_from(quote.status):
            state = workflow.definition.state(move.target)
            if state is not None:
                found.append((state.key, dict(state.label)))
        return found

    async def stages(self) -> list[tuple[str, dict[str, str]]]:
        workflow = await workflows.current(self.session, self.spec.key)
        return [(s.key, dict(s.label)) for s in workflow.definition.states]


def quote_conditions(
    *, customer_id: uuid.UUID | None = None, status: str | None = None, search: str | None = None
) -> list[ColumnElement[bool]]:
    """A quote list's filter as query conditions: a customer, a stage, text (number, note)."""
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        conditions.append(Quote.customer_id == customer_id)
    if status is not None:
        if len(status) > 32:
            raise ValidationFailed(
                [FieldError("status", "invalid_choice", "is not a stage of this workflow")]
            )
        conditions.append(Quote.status == status)
    if search and search.strip():
        if len(search) > 100:
            raise ValidationFailed([FieldError("search", "too_long", "must be at most 100 characters")])
        built = build_query(search)
        if built is not None:
            if built.grams:
                conditions.append(Quote.search_grams.contains(built.grams))
            conditions += [Quote.search_text.like(p) for p in built.like_patterns]
    return conditions
