"""Contacts owe everything every entity owes (tests/entity_cases.py), plus their own rules:
only company customers have contacts, and a customer has one primary contact."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from entity_cases import KitEntityCases
from litestar import Litestar

from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.domain import ValidationFailed


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        # A company of its own each time: the duplicate control (撞单) refuses a second one by name.
        name = f"杭州西湖家电{secrets.token_hex(2)}有限公司"
        data = CustomerInput(**{"name": name, "kind": "company", **fields})
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


class TestContactEntity(KitEntityCases):
    service = ContactService
    valid_input = {"name": "周经理", "title": "采购经理", "mobile": "13911112222"}
    update_input = {"name": "周建华", "title": "总经理"}
    bad_inputs = [
        ({"name": ""}, {("name", "required")}),
        ({"name": "周" * 61}, {("name", "too_long")}),
        ({"mobile": "139111"}, {("mobile", "invalid_mobile")}),
        ({"email": "zhou@"}, {("email", "invalid_email")}),
        ({"customer_id": "nope"}, {("customer_id", "invalid_id")}),
        ({"customer_id": str(uuid.uuid4())}, {("customer_id", "unknown_customer")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        return {"customer_id": await _customer(app, kit, self.writer)}


async def _contacts(app: Litestar, kit: TenantKit, who: str) -> ContactService:
    session = app.state.db.tenant_session(kit.schema)
    return ContactService(session, await actor(app, kit, who))


async def test_a_person_customer_has_no_contacts(app: Litestar, tenant: TenantKit) -> None:
    """张伟's customer 李红梅 is a person: her contact details are her own, not a contact's."""
    person = await _customer(app, tenant, "sales_a", name="李红梅", kind="individual")
    service = await _contacts(app, tenant, "sales_a")
    with pytest.raises(ValidationFailed) as caught:
        await service.create({"customer_id": person, "name": "李红梅的丈夫"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("customer_id", "not_a_company")]
    await service.session.close()


async def test_the_first_contact_is_primary_and_a_new_primary_takes_the_mark(
    app: Litestar, tenant: TenantKit
) -> None:
    company = await _customer(app, tenant, "sales_a")
    service = await _contacts(app, tenant, "sales_a")
    first = await service.create({"customer_id": company, "name": "周经理"})
    second = await service.create({"customer_id": company, "name": "吴会计"})
    assert first.is_primary and not second.is_primary
    await service.update(second.id, second.version, {"is_primary": True})
    listed = await service.for_parent(company)
    # The primary contact is listed first, and there is only one.
    assert [(c.name, c.is_primary) for c in listed] == [("吴会计", True), ("周经理", False)]
    await service.session.close()


async def test_a_contact_cannot_move_to_another_customer(app: Litestar, tenant: TenantKit) -> None:
    company = await _customer(app, tenant, "sales_a")
    other = await _customer(app, tenant, "sales_a", name="宁波三江电器有限公司")
    service = await _contacts(app, tenant, "sales_a")
    contact = await service.create({"customer_id": company, "name": "周经理"})
    moved = await service.update(contact.id, contact.version, {"customer_id": other, "title": "店长"})
    # The customer is set at creation only; the rest of the change applies.
    assert (moved.customer_id, moved.title) == (company, "店长")
    await service.session.close()
