"""The pools' page (公海) on the web list kit: the generic list cases (tests/lists/list_kit_cases.py)
over the chosen pool's customers, a tab per pool (the first one unless another is chosen), no phone
numbers before a claim, and the claim button on each row.

The cast: 李娜 (sales_b) releases customers into the pool; 张伟 (sales_a) claims; 李静 is the admin.
"""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor, logged_in
from list_kit_cases import ListKitCases, mobile, unique
from litestar import Litestar

from app.customers.service import CustomerService
from app.leads.pools import PoolService


class TestPools(ListKitCases):
    path = "/pools"
    row_prefix = "pooled"
    bad_query = {"pool": "nope"}
    bad_message = "“nope”不是有效的公海"
    sort = "name"
    empty_text = "此公海暂无客户。"

    async def prepare(self, app: Litestar, kit: TenantKit) -> uuid.UUID:
        async with app.state.db.tenant_session(kit.schema) as session:
            service = PoolService(session, await actor(app, kit, "admin"))
            found = await service.pools()
            if found:
                return found[0].pool.id
            return (await service.create_pool(f"公海{unique()}")).id

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        pool = await self.prepare(app, kit)
        async with app.state.db.tenant_session(kit.schema) as session:
            who = await actor(app, kit, "sales_b")
            made = []
            for _ in range(count):
                customer = await CustomerService(session, who).create(
                    {
                        "name": f"公海客户{unique()}",
                        "mobile": mobile(),
                        "province": "广东省",
                        "city": "广州市",
                    }
                )
                await PoolService(session, who).release(customer.id, pool)
                made.append(str(customer.id))
            return made

    async def test_a_pooled_customer_shows_no_phone_and_has_a_claim_button(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        (made,) = await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, "sales_a")
        page = await client.get(self.path)
        assert self.listed(page.text) == [made] and "137" not in page.text.split('id="results"')[1]
        assert f'action="/pools/claim/{made}"' in page.text and 'data-testid="claim"' in page.text
        claimed = await client.post_form(f"/pools/claim/{made}", {})
        assert claimed.status_code in (302, 303)
        assert self.listed((await client.get(self.path)).text) == []

    async def test_another_pools_tab(self, app: Litestar, tenant: TenantKit) -> None:
        (first,) = await self.make(app, tenant, 1)
        async with app.state.db.tenant_session(tenant.schema) as session:
            other = await PoolService(session, await actor(app, tenant, "admin")).create_pool(
                f"公海{unique()}"
            )
        client = await logged_in(app, tenant, "admin")
        assert self.listed((await client.get(self.path, params={"pool": str(other.id)})).text) == []
        assert f'href="/pools?pool={other.id}"' in (await client.get(self.path)).text
        missing = await client.get(self.path, params={"pool": str(uuid.uuid4())})
        assert missing.status_code == 404
