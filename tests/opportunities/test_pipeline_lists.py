"""The opportunity list (/opportunities/list) and the contract list (/contracts) on the web list kit:
each passes the kit's generic list cases (tests/lists/list_kit_cases.py), plus what is their own:
a stage or status the tenant's workflow does not have is ignored with a message (an old link),
the filters narrow the list, and 李娜 (the other team) sees none of 张伟's deals or contracts.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.customers.service import CustomerService
from app.opportunities.contracts import ContractService
from app.opportunities.service import OpportunityService

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lists"))
from list_kit_cases import ListKitCases, mobile, unique  # noqa: E402


async def _customer(app: Litestar, kit: TenantKit, who: str) -> str:
    async with app.state.db.tenant_session(kit.schema) as session:
        person = await actor(app, kit, who)
        made = await CustomerService(session, person).create(
            {"name": f"列表客户{unique()}", "mobile": mobile()}
        )
        return str(made.id)


class TestOpportunityList(ListKitCases):
    path = "/opportunities/list"
    row_prefix = "opportunity"
    reader = "sales_a"
    bad_query = {"stage": "dreaming"}
    bad_message = "“dreaming”不是有效的阶段"
    sort = "amount"
    empty_text = "没有符合筛选条件的记录。"
    empty_query = {"q": "不存在的商机"}

    async def make(self, app: Litestar, kit: TenantKit, count: int, who: str = "sales_a") -> list[str]:
        customer = await _customer(app, kit, who)
        async with app.state.db.tenant_session(kit.schema) as session:
            service = OpportunityService(session, await actor(app, kit, who))
            made = []
            for i in range(count):
                deal = await service.create(
                    {"name": f"列表商机{unique()}", "customer_id": customer, "amount": str(1000 + i)}
                )
                made.append(str(deal.id))
            return made

    async def test_stage_and_owner_narrow_and_the_other_team_sees_nothing(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        mine = await self.make(app, tenant, 2)
        theirs = await self.make(app, tenant, 1, who="sales_b")
        zhang = await logged_in(app, tenant, "sales_a")
        listed = self.listed((await zhang.get(self.path)).text)
        assert set(mine) <= set(listed) and theirs[0] not in listed
        assert self.listed((await zhang.get(self.path, params={"stage": "won"})).text) == []
        assert set(mine) <= set(self.listed((await zhang.get(self.path, params={"stage": "qualify"})).text))
        li = await logged_in(app, tenant, "sales_b")
        assert not set(mine) & set(self.listed((await li.get(self.path)).text))


class TestContractList(ListKitCases):
    path = "/contracts"
    row_prefix = "contract"
    reader = "sales_a"
    bad_query = {"status": "burnt"}
    bad_message = "“burnt”不是有效的合同状态"
    sort = "amount"
    empty_text = "还没有合同。"

    async def make(
        self, app: Litestar, kit: TenantKit, count: int, who: str = "sales_a", ends: date | None = None
    ) -> list[str]:
        customer = await _customer(app, kit, who)
        async with app.state.db.tenant_session(kit.schema) as session:
            service = ContractService(session, await actor(app, kit, who))
            made = []
            for i in range(count):
                end = ends or date(2027, 1, 1) + timedelta(days=i)
                contract = await service.create(
                    {
                        "title": f"列表合同{unique()}",
                        "customer_id": customer,
                        "amount": "100",
                        "starts_on": "2026-01-01",
                        "ends_on": end.isoformat(),
                    }
                )
                made.append(str(contract.id))
            return made

    async def test_status_and_end_dates_narrow_and_the_other_team_sees_nothing(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        soon = await self.make(app, tenant, 1, ends=date(2026, 12, 15))
        later = await self.make(app, tenant, 1, ends=date(2027, 6, 30))
        theirs = await self.make(app, tenant, 1, who="sales_b")
        zhang = await logged_in(app, tenant, "sales_a")
        ending = await zhang.get(self.path, params={"ends.to": "2026-12-31"})
        assert soon[0] in self.listed(ending.text) and later[0] not in self.listed(ending.text)
        assert self.listed((await zhang.get(self.path, params={"status": "signed"})).text) == []
        drafts = self.listed((await zhang.get(self.path, params={"status": "draft"})).text)
        assert {soon[0], later[0]} <= set(drafts) and theirs[0] not in drafts
        inverted = await zhang.get(self.path, params={"ends.from": "2027-01-01", "ends.to": "2026-01-01"})
        assert inverted.status_code == 400
