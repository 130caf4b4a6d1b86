"""Customer addresses owe everything every entity owes (tests/entity_cases.py), plus their own
rules: official province/city/district, and one default address per customer."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from crm_testkit import TenantKit, actor
from entity_cases import KitEntityCases
from litestar import Litestar

from app.addresses.service import AddressService
from app.customers import service as customers
from app.customers.validation import CustomerInput

WEST_LAKE = {"province": "浙江省", "city": "杭州市", "district": "西湖区"}


async def _customer(app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        # A mobile of its own each time: the duplicate control (撞单) refuses a second one.
        data = CustomerInput(name="李红梅", mobile=f"137{secrets.randbelow(10**8):08d}")
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


class TestAddressEntity(KitEntityCases):
    service = AddressService
    valid_input = {"kind": "installation", **WEST_LAKE, "detail": "文三路 90 号 502", "recipient": "李红梅"}
    update_input = {"detail": "文三路 90 号 3 幢 601", "kind": "delivery"}
    bad_inputs = [
        ({"detail": ""}, {("detail", "required")}),
        ({"kind": "holiday_home"}, {("kind", "invalid_choice")}),
        ({"district": "朝阳区"}, {("district", "invalid_division")}),
        ({"province": "", "city": "", "district": ""}, {("province", "required")}),
        ({"phone": "12345"}, {("phone", "invalid_mobile")}),
        ({"customer_id": str(uuid.uuid4())}, {("customer_id", "unknown_customer")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, Any]:
        return {"customer_id": await _customer(app, kit, self.writer)}


async def test_the_first_address_is_the_default_and_there_is_one_default(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = AddressService(session, await actor(app, tenant, "sales_a"))
        home = await service.create({"customer_id": customer, **WEST_LAKE, "detail": "文三路 90 号"})
        home_was_default = home.is_default
        shop = await service.create(
            {
                "customer_id": customer,
                "kind": "billing",
                **WEST_LAKE,
                "detail": "天目山路 1 号",
                "is_default": True,
            }
        )
        listed = await service.for_parent(customer)
    assert home_was_default is True  # the first one, until another is made the default
    assert [(a.id, a.is_default) for a in listed] == [(shop.id, True), (home.id, False)]
