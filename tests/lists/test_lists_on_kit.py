"""Every entity's top-level list on the web list kit (issues #7, #8): products, leads, staff, price
lists and stock counts (pools: test_pool_list.py) each pass the kit's generic list cases
(tests/lists/list_kit_cases.py), plus what is their own: their filters, a salesperson seeing only
their own leads, staff on staff by default.

The cast: 李静 (admin) sees everything; 张伟 (sales_a) and 李娜 (sales_b) sell in two teams.
"""

from __future__ import annotations

import html
import json
import uuid
from datetime import date, timedelta

from crm_testkit import TenantKit, actor, logged_in
from list_kit_cases import ListKitCases, mobile, unique
from litestar import Litestar
from sqlalchemy import update

from app.accounts.models import User
from app.catalog.service import ProductService
from app.inventory.service import WarehouseService
from app.leads.models import Lead
from app.leads.service import LeadService
from app.pricing.service import PriceListService
from app.stocktake.service import StockCountService


class TestProducts(ListKitCases):
    path = "/catalog/products"
    row_prefix = "product"
    bad_query = {"kind": "robot"}
    bad_message = "“robot”不是有效的商品类型"
    sort = "sku"
    # A new dealer starts with a catalog (app.catalog's starting products): empty only when filtered.
    empty_text = "没有符合筛选条件的记录。"
    empty_query = {"q": "不存在的型号"}

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        async with app.state.db.tenant_session(kit.schema) as session:
            service = ProductService(session, await actor(app, kit, "admin"))
            made = []
            for _ in range(count):
                n = unique()
                made.append(str((await service.create({"sku": f"KIT-{n}", "name": f"列表冰箱{n}"})).id))
            return made

    async def test_search_and_kind_narrow_the_catalog(self, app: Litestar, tenant: TenantKit) -> None:
        fridge, *_ = await self.make(app, tenant, 2)
        async with app.state.db.tenant_session(tenant.schema) as session:
            service = ProductService(session, await actor(app, tenant, "admin"))
            filters = await service.create({"sku": "PP-KIT-1", "name": "列表滤芯", "kind": "consumable"})
        client = await logged_in(app, tenant, "marketing")  # reads the catalog, cannot change it
        kind = await client.get(self.path, params={"kind": "consumable", "q": "列表"})
        assert self.listed(kind.text) == [str(filters.id)]
        searched = await client.get(self.path, params={"q": "列表"})
        assert len(self.listed(searched.text)) == 3 and str(filters.id) in self.listed(searched.text)
        assert (
            "/catalog/products/new" not in searched.text
            and f"/catalog/products/{fridge}/edit" not in kind.text
        )
        too_long = await client.get(self.path, params={"q": "冰" * 101})
        assert too_long.status_code == 400 and "搜索内容过长（最多 100 个字符），已忽略。" in too_long.text


class TestLeads(ListKitCases):
    path = "/leads"
    row_prefix = "lead"
    bad_query = {"status": "hot"}
    bad_message = "“hot”不是有效的线索状态"
    sort = "name"
    empty_text = "暂无线索。"

    async def make(self, app: Litestar, kit: TenantKit, count: int, owner: str = "sales_a") -> list[str]:
        async with app.state.db.tenant_session(kit.schema) as session:
            service = LeadService(session, await actor(app, kit, "admin"))
            made = []
            for _ in range(count):
                values = {"name": f"线索{unique()}", "mobile": mobile(), "owner_id": str(kit.people[owner])}
                made.append(str((await service.create(values)).id))
            return made

    async def test_a_salesperson_sees_only_their_own_leads(self, app: Litestar, tenant: TenantKit) -> None:
        mine = await self.make(app, tenant, 2, owner="sales_a")
        theirs = await self.make(app, tenant, 1, owner="sales_b")
        zhang = await logged_in(app, tenant, "sales_a")
        page = await zhang.get(self.path)
        assert sorted(self.listed(page.text)) == sorted(mine) and "共 2 条" in page.text
        # Naming the other salesperson as owner finds nothing, rather than their leads.
        other = await zhang.get(self.path, params={"owner": str(tenant.people["sales_b"])})
        assert self.listed(other.text) == [] and theirs[0] not in other.text
        admin = await logged_in(app, tenant, "admin")
        by_owner = await admin.get(self.path, params={"owner": str(tenant.people["sales_b"])})
        assert self.listed(by_owner.text) == theirs

    async def test_overdue_only_is_a_checkbox_that_filters(self, app: Litestar, tenant: TenantKit) -> None:
        await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, "admin")
        page = await client.get(self.path)
        assert 'type="checkbox" name="overdue" value="1"' in page.text
        overdue = await client.get(self.path, params={"overdue": "1"})
        assert overdue.status_code == 200 and self.listed(overdue.text) == []
        assert (
            'name="overdue" value="1" checked' in overdue.text and "没有符合筛选条件的记录。" in overdue.text
        )

    async def test_bulk_delete_with_undo_and_a_new_owner_through_the_lead_service(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        """刘洋 (manager of 张伟's team) ticks two of 张伟's leads, one of 李娜's (another team) and a
        made-up id: two are deleted, the other two read as not found; the toast's undo brings the two
        back. Then he gives them to 王芳: each is the lead service's update (version up by one)."""
        ours = await self.make(app, tenant, 2, owner="sales_a")
        (theirs,) = await self.make(app, tenant, 1, owner="sales_b")
        manager = await logged_in(app, tenant, "manager_a")
        page = await manager.get(self.path)
        assert '<option value="delete"' in page.text and '<option value="owner"' in page.text
        ids = [*ours, theirs, str(uuid.uuid4())]
        deleted = await manager.htmx("POST", "/leads/bulk", {"verb": "delete", "ids": ids})
        events = json.loads(deleted.headers["HX-Trigger"])
        undo = events["toast-undo"]
        assert undo["message"] == "已完成 2 条，2 条被拒绝（不存在或不在您的范围内: 2）。"
        assert events["leads-changed"] == 2
        assert self.listed((await manager.get(self.path)).text) == []
        restored = await manager.htmx("POST", undo["url"])
        assert restored.status_code == 200
        assert sorted(self.listed((await manager.get(self.path)).text)) == sorted(ours)
        owner = str(tenant.people["sales_a2"])
        moved = await manager.htmx("POST", "/leads/bulk", {"verb": "owner", "value": owner, "ids": ours})
        assert json.loads(moved.headers["HX-Trigger"])["toast"] == "已完成 2 条"
        async with app.state.db.tenant_session(tenant.schema) as session:
            for lead_id in ours:
                lead = await session.get(Lead, uuid.UUID(lead_id))
                assert lead is not None and str(lead.owner_id) == owner and lead.version == 4
            other = await session.get(Lead, uuid.UUID(theirs))
            assert other is not None and other.deleted_at is None and other.version == 1

    async def test_a_salesperson_may_not_bulk_delete(self, app: Litestar, tenant: TenantKit) -> None:
        (mine,) = await self.make(app, tenant, 1, owner="sales_a")
        zhang = await logged_in(app, tenant, "sales_a")
        page = await zhang.get(self.path)
        # Salespeople work their leads (a new owner: yes) but may not delete them.
        assert '<option value="delete"' not in page.text and '<option value="owner"' in page.text
        refused = await zhang.htmx("POST", "/leads/bulk", {"verb": "delete", "ids": [mine]})
        assert json.loads(refused.headers["HX-Trigger"])["toast"] == "已完成 0 条，1 条被拒绝（无权限: 1）。"
        assert self.listed((await zhang.get(self.path)).text) == [mine]


class TestPriceLists(ListKitCases):
    path = "/price-lists"
    row_prefix = "price-list"
    bad_query = {"tier": "diamond"}
    bad_message = "“diamond”不是有效的"
    sort = "name"
    empty_text = "还没有价目表"

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        async with app.state.db.tenant_session(kit.schema) as session:
            service = PriceListService(session, await actor(app, kit, "admin"))
            made = []
            for _ in range(count):
                n = unique()
                start = date(2020, 1, 1) + timedelta(days=10 * (n % 100_000))  # periods never overlap
                values = {
                    "name": f"价目表{n}",
                    "kind": "retail",
                    "valid_from": start.isoformat(),
                    "valid_to": (start + timedelta(days=5)).isoformat(),
                    "items": [],
                }
                made.append(str((await service.create(values)).id))
            return made

    async def test_search_by_name(self, app: Litestar, tenant: TenantKit) -> None:
        first, second = await self.make(app, tenant, 2)
        client = await logged_in(app, tenant, "admin")
        page = await client.get(self.path)
        name = html.unescape(page.text).split(f'href="/price-lists/{second}">')[1].split("<")[0]
        found = await client.get(self.path, params={"q": name})
        assert self.listed(found.text) == [second]


class TestStockCounts(ListKitCases):
    path = "/inventory/counts"
    row_prefix = "count"
    bad_query = {"status": "lost"}
    bad_message = "“lost”不是有效的盘点状态"
    sort = "created_at"
    empty_text = "还没有盘点单。"

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        async with app.state.db.tenant_session(kit.schema) as session:
            admin = await actor(app, kit, "admin")
            n = unique()
            warehouse = await WarehouseService(session, admin).create(
                {"code": f"W{n}", "name": f"仓库{n}", "kind": "shop"}
            )
            service = StockCountService(session, admin)
            return [str((await service.open(warehouse_id=str(warehouse.id))).id) for _ in range(count)]

    async def test_the_warehouse_filter_and_opening_a_count_above_the_list(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        here = await self.make(app, tenant, 1)
        there = await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, "admin")
        page = await client.get(self.path)
        assert sorted(self.listed(page.text)) == sorted(here + there)
        assert 'action="/inventory/counts"' in page.text and 'name="warehouse"' in page.text
        async with app.state.db.tenant_session(tenant.schema) as session:
            count = await StockCountService(session, await actor(app, tenant, "admin")).get(
                uuid.UUID(here[0])
            )
            warehouse_id = str(count.warehouse_id)
        narrowed = await client.get(self.path, params={"warehouse": warehouse_id})
        assert self.listed(narrowed.text) == here
        refused = await client.post_form(self.path, {"warehouse_id": ""})
        assert refused.status_code == 422 and sorted(self.listed(refused.text)) == sorted(here + there)


class TestStaff(ListKitCases):
    path = "/settings/staff"
    row_prefix = "staff"
    bad_query = {"team": "not-a-team"}
    bad_message = "“not-a-team”不是有效的"
    sort = "email"
    empty_text = "暂无人员。"
    empty_query = {"show": "deactivated"}

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        # Staff are the tenant's eleven people: enough to page through (a plan's seats limit more).
        return [str(kit.people[key]) for key in list(kit.people)[:count]]

    async def test_on_staff_by_default_and_a_leaver_under_deactivated(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        leaver = tenant.people["sales_a2"]
        async with app.state.db.tenant_session(tenant.schema) as session:
            await session.execute(update(User).where(User.id == leaver).values(is_active=False))
            await session.commit()
        client = await logged_in(app, tenant, "admin")
        default = await client.get(self.path)
        assert str(leaver) not in self.listed(default.text) and len(self.listed(default.text)) == 10
        assert '<option value="active" selected>' in default.text  # no "All" that means on staff
        gone = await client.get(self.path, params={"show": "deactivated"})
        assert self.listed(gone.text) == [str(leaver)]
        everyone = await client.get(self.path, params={"show": "all"})
        assert len(self.listed(everyone.text)) == 11
        searched = await client.get(self.path, params={"q": "张伟"})
        assert self.listed(searched.text) == [str(tenant.people["sales_a"])]
        bad = await client.get(self.path, params={"show": "gone"})
        assert bad.status_code == 400 and len(self.listed(bad.text)) == 10  # on staff, as by default

    async def test_names_sort_in_pinyin_order(self, app: Litestar, tenant: TenantKit) -> None:
        client = await logged_in(app, tenant, "admin")
        page = await client.get(self.path)
        order = [i for i in self.listed(page.text)]
        # 李静 (li) before 刘洋 (liu) before 张伟 (zhang) before 周敏 (zhou).
        wanted = [str(tenant.people[k]) for k in ("admin", "manager_a", "sales_a", "viewer")]
        assert [i for i in order if i in wanted] == wanted

    async def test_a_salesperson_may_not_see_staff(self, app: Litestar, tenant: TenantKit) -> None:
        client = await logged_in(app, tenant, "sales_a")
        assert (await client.get(self.path)).status_code == 403
