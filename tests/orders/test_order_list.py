"""The order list (/orders) and the quote list (/quotes) on the web list kit: each passes the kit's
generic list cases (tests/lists/list_kit_cases.py), plus what is their own: a stage the tenant's
workflow does not have is ignored with a message (an old link), a stage narrows the list, and
王芳 (her own customers only) sees none of 张伟's orders or quotes."""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.inventory.service import WarehouseService
from app.orders.service import OrderService
from app.quotes.service import QuoteService

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lists"))
from list_kit_cases import ListKitCases, mobile, unique  # noqa: E402


async def _sale(app: Litestar, kit: TenantKit, who: str) -> dict[str, Any]:
    """A product, a shop and a customer of ``who``: what an order or a quote needs."""
    async with app.state.db.tenant_session(kit.schema) as session:
        manager = await actor(app, kit, "manager_a")
        n = unique()
        product = await ProductService(session, manager).create(
            {"sku": f"LS-{n}", "name": f"列表冰箱{n}", "list_price": "1000"}
        )
        shop = await WarehouseService(session, manager).create({"code": f"L{n}", "name": f"列表门店{n}"})
        customer = await CustomerService(session, await actor(app, kit, who)).create(
            {"name": f"列表客户{n}", "mobile": mobile()}
        )
        return {"product": product.id, "shop": shop.id, "customer": customer.id}


class TestOrderList(ListKitCases):
    path = "/orders"
    row_prefix = "order"
    reader = "sales_a"
    bad_query = {"status": "dreaming"}
    bad_message = "“dreaming”不是有效的订单状态"
    sort = "total"
    empty_text = "没有符合筛选条件的记录。"
    empty_query = {"q": "不存在的订单"}

    async def make(self, app: Litestar, kit: TenantKit, count: int, who: str = "sales_a") -> list[str]:
        sale = await _sale(app, kit, who)
        async with app.state.db.tenant_session(kit.schema) as session:
            service = OrderService(session, await actor(app, kit, who))
            made = []
            for i in range(count):
                order = await service.create(
                    {
                        "customer_id": sale["customer"],
                        "warehouse_id": sale["shop"],
                        "lines": [{"product_id": sale["product"], "quantity": i + 1}],
                    }
                )
                made.append(str(order.id))
            return made

    async def test_a_stage_narrows_and_another_salesperson_sees_nothing(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        draft, submitted = await self.make(app, tenant, 2)
        async with app.state.db.tenant_session(tenant.schema) as session:
            service = OrderService(session, await actor(app, tenant, "sales_a"))
            moved = await service.get(uuid.UUID(submitted))
            await service.transition(moved.id, "submitted", moved.version)
        zhang = await logged_in(app, tenant, "sales_a")
        page = await zhang.get("/orders", params={"status": "submitted"})
        assert page.status_code == 200 and self.listed(page.text) == [submitted]
        assert re.search(r'<option value="submitted"\s+selected', page.text)
        wang = await logged_in(app, tenant, "sales_a2")
        theirs = await wang.get("/orders")
        assert draft not in theirs.text and submitted not in theirs.text


class TestQuoteList(ListKitCases):
    path = "/quotes"
    row_prefix = "quote"
    reader = "sales_a"
    bad_query = {"status": "dreaming"}
    bad_message = "“dreaming”不是有效的报价状态"
    sort = "total"
    empty_text = "没有符合筛选条件的记录。"
    empty_query = {"q": "不存在的报价"}

    async def make(self, app: Litestar, kit: TenantKit, count: int, who: str = "sales_a") -> list[str]:
        sale = await _sale(app, kit, who)
        async with app.state.db.tenant_session(kit.schema) as session:
            service = QuoteService(session, await actor(app, kit, who))
            made = []
            for i in range(count):
                quote = await service.create(
                    {
                        "customer_id": sale["customer"],
                        "lines": [{"product_id": sale["product"], "quantity": i + 1}],
                    }
                )
                made.append(str(quote.id))
            return made

    async def test_another_salesperson_sees_none_of_them(self, app: Litestar, tenant: TenantKit) -> None:
        made = await self.make(app, tenant, 1)
        wang = await logged_in(app, tenant, "sales_a2")
        assert made[0] not in (await wang.get("/quotes")).text
