"""Contacts and addresses through the API keep the generic entity promises (tests/graphql_entity_cases.py)."""

from __future__ import annotations

import secrets
from typing import Any

from crm_testkit import TenantKit, actor
from graphql_entity_cases import GraphQLEntityCases
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput


async def _company(app: Litestar, tenant: TenantKit) -> str:
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await customers.create_customer(
            session,
            await actor(app, tenant, "sales_a"),
            CustomerInput(name=f"杭州{secrets.token_hex(3)}家电有限公司", kind="company"),
        )
    return str(record.id)


class TestContactThroughTheApi(GraphQLEntityCases):
    create, update, delete, restore = "createContact", "updateContact", "deleteContact", "restoreContact"
    payload_field, payload_type, selection = "contact", "ContactPayload", "name title"
    update_input = {"title": "总经理"}
    bad_input = {"email": "li@"}
    bad_field = (["input", "email"], "invalid_email")

    async def context(self, app: Litestar, tenant: TenantKit) -> dict[str, Any]:
        return {"customer_id": await _company(app, tenant)}

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {"customerId": context["customer_id"], "name": "周经理", "mobile": "13911112222"}


class TestAddressThroughTheApi(GraphQLEntityCases):
    create, update = "createCustomerAddress", "updateCustomerAddress"
    delete, restore = "deleteCustomerAddress", "restoreCustomerAddress"
    payload_field, payload_type, selection = "address", "CustomerAddressPayload", "district detail"
    update_input = {"detail": "文三路 100 号"}
    bad_input = {"district": "朝阳区"}
    bad_field = (["input", "address", "district"], "invalid_division")

    async def context(self, app: Litestar, tenant: TenantKit) -> dict[str, Any]:
        return {"customer_id": await _company(app, tenant)}

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {
            "customerId": context["customer_id"],
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "detail": "文三路 90 号",
        }
