"""Warehouses owe everything every entity owes (tests/entity_cases.py): the shop, the central
warehouse and each technician's van, managed by those who manage stock and seen by all who read it."""

from __future__ import annotations

import uuid

import pytest
from crm_testkit import TenantKit, actor
from entity_cases import KitEntityCases
from litestar import Litestar

from app.domain import ValidationFailed
from app.inventory.service import WarehouseService


class TestWarehouseEntity(KitEntityCases):
    service = WarehouseService
    writer = "manager_a"
    deleter = "manager_a"
    read_only = "technician"
    sees_writers_record = ("sales_a", "sales_b", "manager_b", "technician", "viewer", "owner")
    blind_to_writers_record = ()
    valid_input = {"name": "西湖门店", "kind": "shop", "address": "杭州市西湖区文三路 100 号"}
    update_input = {"name": "西湖旗舰店", "kind": "central"}
    bad_inputs = [
        ({"code": ""}, {("code", "required")}),
        ({"name": ""}, {("name", "required")}),
        ({"kind": "garage"}, {("kind", "invalid_choice")}),
        ({"keeper_id": str(uuid.uuid4())}, {("keeper_id", "unknown_keeper")}),
        ({"address": "路" * 201}, {("address", "too_long")}),
    ]

    async def context(self, app: Litestar, kit: TenantKit) -> dict[str, str]:
        return {"code": f"WH-{uuid.uuid4().hex[:6]}"}


async def test_a_code_names_one_live_warehouse(app: Litestar, tenant: TenantKit) -> None:
    service = WarehouseService(
        app.state.db.tenant_session(tenant.schema), await actor(app, tenant, "manager_a")
    )
    await service.create({"code": "XH", "name": "西湖门店", "kind": "shop"})
    with pytest.raises(ValidationFailed) as caught:
        await service.create({"code": "XH", "name": "西湖二店", "kind": "shop"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("code", "duplicate_code")]
    await service.session.close()
