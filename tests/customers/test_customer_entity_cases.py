"""Customers owe everything every entity owes (tests/entity_cases.py)."""

from __future__ import annotations

import uuid

from entity_cases import EntityServiceCases
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers import service
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.domain import Actor


async def _visible_ids(session: AsyncSession, who: Actor) -> set[uuid.UUID]:
    page = await service.list_customers(session, who, CustomerFilter(), first=100)
    return {c.id for c in page.items}


class TestCustomerEntity(EntityServiceCases):
    entity = "customer"
    model = Customer
    input_type = CustomerInput
    create = staticmethod(service.create_customer)
    get = staticmethod(service.get_customer)
    update = staticmethod(service.update_customer)
    delete = staticmethod(service.delete_customer)
    restore = staticmethod(service.restore_customer)
    list_ids = staticmethod(_visible_ids)
    valid_input = {"name": "钱学森", "mobile": "13811112222", "status": "lead"}
    update_input = {"name": "钱学森（已签约）", "status": "won"}
    bad_inputs = [
        ({"name": ""}, {("name", "required")}),
        ({"name": "钱" * 101}, {("name", "too_long")}),
        ({"mobile": "1381111222"}, {("mobile", "invalid_mobile")}),
        ({"email": "qian@"}, {("email", "invalid_email")}),
        ({"status": "sold"}, {("status", "invalid_choice")}),
        ({"kind": "robot"}, {("kind", "invalid_choice")}),
        ({"birthday": "1990-02-30"}, {("birthday", "invalid_date")}),
        ({"owner_id": "not-a-uuid"}, {("owner_id", "invalid_id")}),
    ]
