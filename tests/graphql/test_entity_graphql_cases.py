"""Customers, products, orders and follow-ups through the API keep the generic entity promises
(tests/graphql_entity_cases.py), as contacts and addresses do: create and update, a bad input as a
typed error naming its path, a stale version, read-only role and token refused, another team's
manager (for scoped records) and another dealer finding nothing; the top-level lists refuse a bad
filter by its path, cap the page and never show another dealer's records.

The cast (crm_testkit): 张伟 (sales_a) sells to his own customers from the 西湖门店 shop, 刘洋
(manager_a) keeps the catalog, 周强 (manager_b) manages the other team.
"""

from __future__ import annotations

import secrets
from typing import Any

from crm_testkit import TenantKit, actor
from graphql_entity_cases import GraphQLEntityCases
from litestar import Litestar

from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.inventory.service import WarehouseService


async def _customer_of_sales_a(app: Litestar, tenant: TenantKit) -> str:
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": f"赵敏{secrets.token_hex(2)}", "mobile": f"139{secrets.randbelow(10**8):08d}"}
        )
    return str(record.id)


async def _shop_and_product(app: Litestar, tenant: TenantKit) -> tuple[str, str]:
    async with app.state.db.tenant_session(tenant.schema) as session:
        manager = await actor(app, tenant, "manager_a")
        product = await ProductService(session, manager).create(
            {"sku": f"MD-{secrets.token_hex(3)}", "name": "美的净水器", "list_price": "1999.00"}
        )
        shop = await WarehouseService(session, manager).create(
            {"code": f"S{secrets.token_hex(2)}", "name": "西湖门店", "kind": "shop"}
        )
    return str(shop.id), str(product.id)


class TestProductThroughTheApi(GraphQLEntityCases):
    create, update = "createProduct", "updateProduct"
    payload_field, payload_type, selection = "product", "ProductPayload", "sku name"
    update_input = {"name": "美的净水器 MRO1586"}
    bad_input = {"warrantyMonths": 999}
    bad_field = (["input", "warrantyMonths"], "out_of_range")
    writer, deleter = "manager_a", "manager_a"
    scoped = False  # the catalog is the whole dealer's
    list_query, list_filter_type = "products", "ProductFilter"
    bad_filter = {"search": "净" * 101}
    bad_filter_field = (["filter", "search"], "too_long")

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {"sku": f"HR-{secrets.token_hex(3)}", "name": "海尔十字门冰箱", "listPrice": "5999.00"}


class TestOrderThroughTheApi(GraphQLEntityCases):
    create, update = "createOrder", "updateOrder"
    payload_field, payload_type, selection = "order", "OrderPayload", "number note"
    update_input = {"note": "周六上午送货"}
    bad_input = {"invoiceType": "SPECIAL", "invoiceTitle": "杭州某某家电有限公司", "invoiceTaxNo": "12-34"}
    bad_field = (["input", "invoiceTaxNo"], "invalid_tax_no")
    list_query, list_filter_type = "orders", "OrderFilter"
    bad_filter = {"search": "单" * 101}
    bad_filter_field = (["filter", "search"], "too_long")

    async def context(self, app: Litestar, tenant: TenantKit) -> dict[str, Any]:
        shop, product = await _shop_and_product(app, tenant)
        return {"customer": await _customer_of_sales_a(app, tenant), "shop": shop, "product": product}

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {
            "customerId": context["customer"],
            "warehouseId": context["shop"],
            "lines": [{"productId": context["product"], "quantity": 1}],
        }


class TestFollowUpThroughTheApi(GraphQLEntityCases):
    create, update, delete = "logFollowUp", "updateFollowUp", "deleteFollowUp"
    payload_field, payload_type, selection = "followUp", "FollowUpPayload", "summary"
    update_input = {"summary": "客户想看样机，约周六到店"}
    bad_input = {"summary": ""}
    bad_field = (["input", "summary"], "required")

    async def context(self, app: Litestar, tenant: TenantKit) -> dict[str, Any]:
        return {"customer": await _customer_of_sales_a(app, tenant)}

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {"customerId": context["customer"], "channel": "CALL", "summary": "电话回访，客户考虑换空调"}


class TestCustomerThroughTheApi(GraphQLEntityCases):
    create, update, delete, restore = "createCustomer", "updateCustomer", "deleteCustomer", "restoreCustomer"
    payload_field, payload_type, selection = "customer", "CustomerPayload", "name"
    update_input = {"notes": "想换一台变频空调"}
    bad_input = {"mobile": "1380013"}
    bad_field = (["input", "mobile"], "invalid_mobile")
    list_query, list_filter_type = "customers", "CustomerFilter"
    bad_filter = {"search": "李" * 201}  # the customer search takes up to 200
    bad_filter_field = (["filter", "search"], "too_long")

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        # Each customer its own mobile: the duplicate control (撞单) refuses a repeat.
        return {"name": f"李红梅{secrets.token_hex(2)}", "mobile": f"137{secrets.randbelow(10**8):08d}"}


class TestWarehouseThroughTheApi(GraphQLEntityCases):
    # The API had no updateWarehouse until these cases asked for one.
    create, update = "createWarehouse", "updateWarehouse"
    payload_field, payload_type, selection = "warehouse", "WarehousePayload", "code name"
    update_input = {"name": "西湖旗舰店", "kind": "CENTRAL"}
    bad_input = {"code": ""}
    bad_field = (["input", "code"], "required")
    writer, deleter = "manager_a", "manager_a"
    scoped = False  # every shop sees every warehouse

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        return {"code": f"WH-{secrets.token_hex(3)}", "name": "西湖门店", "kind": "SHOP"}
