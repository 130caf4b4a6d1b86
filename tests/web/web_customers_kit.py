"""Customers for the admin tests, created through the service as the person who owns them."""

from __future__ import annotations

import re
import uuid
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput


async def add_customer(app: Litestar, kit: TenantKit, by: str, name: str, **fields: Any) -> uuid.UUID:
    """``by`` creates the customer (and owns it unless ``owner_id`` says otherwise)."""
    who = await actor(app, kit, by)
    async with app.state.db.tenant_session(kit.schema) as session:
        customer = await customers.create_customer(session, who, CustomerInput(name=name, **fields))
        return customer.id


async def load(app: Litestar, kit: TenantKit, customer_id: uuid.UUID) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        return customer


async def count_customers(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)


def listed_ids(html: str) -> list[str]:
    """Customer ids of the rows a list page shows, in order."""
    return re.findall(r'<tr id="customer-([0-9a-f-]{36})"', html)


def field_value(html: str, name: str) -> str | None:
    """The value of a text input in a rendered form."""
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
    return found.group(1) if found else None


def selected_value(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', html, re.S)
    if not select:
        return None
    found = re.search(r'<option value="([^"]*)"\s+selected', select.group(1))
    return found.group(1) if found else None
