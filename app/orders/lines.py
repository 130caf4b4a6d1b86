"""Order lines: the kit's line items (``app.kit.lines``), named here for the callers that import
them from the orders module, and the queries a new order's form starts from.

    {"product_id": ..., "quantity": 2, "discount": "5"}              # list price less 5 %
    {"kind": "trade_in", "description": "旧海尔冰箱 BCD-215 2012年", "unit_price": "300"}   # −300
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses.fields import AddressKind
from app.addresses.models import Address
from app.customers.fields import CustomerKind
from app.customers.models import Customer
from app.kit.lines import (
    FEN,
    MAX_LINES,
    LineInput,
    Lines,
    Percent,
    Priced,
    PricedLine,
    amount_of,
    price,
)
from app.orders.fields import InvoiceType
from app.orders.models import Order

__all__ = [
    "FEN", "MAX_LINES", "CustomerDefaults", "LineInput", "Lines", "Percent", "Priced", "PricedLine",
    "address_of", "address_text", "amount_of", "customer_defaults", "delivery_text", "delivery_values",
    "price",
]  # fmt: skip


@dataclass
class CustomerDefaults:
    """What a new order for a customer starts with."""

    invoice_type: str = InvoiceType.NONE.value
    invoice_title: str = ""
    invoice_tax_no: str = ""
    # (address id, the address as one line), delivery addresses and the default first.
    addresses: list[tuple[str, str]] = field(default_factory=list)
    # Each of them as the order's delivery fields (delivery_province...), by address id.
    delivery: dict[str, dict[str, str]] = field(default_factory=dict)


DELIVERY_PARTS = ("province", "city", "district", "detail", "recipient", "phone")


def delivery_values(address: Address) -> dict[str, str | None]:
    """A customer address as an order's delivery fields."""
    return {f"delivery_{part}": getattr(address, part) for part in DELIVERY_PARTS}


def delivery_text(order: Order) -> str:
    """An order's delivery address as one line (as a customer address is shown); '' without one."""
    place = "".join(
        p
        for p in (
            order.delivery_province,
            order.delivery_city,
            order.delivery_district,
            order.delivery_detail,
        )
        if p
    )
    who = " ".join(p for p in (order.delivery_recipient, order.delivery_phone) if p)
    return f"{place} {who}".strip() if place else ""


def _one_line(address: Address) -> str:
    place = "".join(p for p in (address.province, address.city, address.district, address.detail) if p)
    who = " ".join(p for p in (address.recipient, address.phone) if p)
    return f"{place} {who}".strip()


async def _addresses(session: AsyncSession, customer_id: uuid.UUID) -> list[Address]:
    rows = await session.scalars(
        select(Address)
        .where(Address.customer_id == customer_id, Address.deleted_at.is_(None))
        .order_by(Address.is_default.desc(), Address.created_at)
        .limit(50)
    )
    found = list(rows.all())
    return sorted(found, key=lambda a: (a.kind == AddressKind.BILLING, not a.is_default))


async def customer_defaults(session: AsyncSession, customer_id: uuid.UUID) -> CustomerDefaults:
    """The invoice details of the customer's newest order that had an invoice, else a company's own
    name as the title; the customer's live addresses (not billing ones last)."""
    defaults = CustomerDefaults()
    last = (
        await session.execute(
            select(Order.invoice_type, Order.invoice_title, Order.invoice_tax_no)
            .where(
                Order.customer_id == customer_id,
                Order.deleted_at.is_(None),
                Order.invoice_type != InvoiceType.NONE.value,
            )
            .order_by(Order.created_at.desc())
            .limit(1)
        )
    ).first()
    if last is not None:
        defaults.invoice_type, defaults.invoice_title, defaults.invoice_tax_no = (
            last[0],
            last[1] or "",
            last[2] or "",
        )
    else:
        customer = (
            await session.execute(select(Customer.kind, Customer.name).where(Customer.id == customer_id))
        ).first()
        if customer is not None and customer[0] == CustomerKind.COMPANY:
            defaults.invoice_title = customer[1]
    addresses = await _addresses(session, customer_id)
    defaults.addresses = [(str(a.id), _one_line(a)) for a in addresses]
    defaults.delivery = {str(a.id): {k: v or "" for k, v in delivery_values(a).items()} for a in addresses}
    return defaults


async def address_of(session: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID) -> Address | None:
    """A live address of the customer; None when it is not theirs."""
    found = await session.get(Address, address_id)
    if found is None or found.deleted_at is not None or found.customer_id != customer_id:
        return None
    return found


async def address_text(session: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID) -> str | None:
    """A live address of the customer as one line; None when it is not theirs."""
    found = await address_of(session, customer_id, address_id)
    return None if found is None else _one_line(found)
