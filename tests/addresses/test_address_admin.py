"""A customer's addresses on its page: the generic section cases (tests/entity_admin_cases.py)."""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor
from entity_admin_cases import ChildAdminCases
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput


class TestAddressSection(ChildAdminCases):
    entity = "address"
    form = {
        "kind": "installation",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 90 号 502",
        "recipient": "李红梅",
    }
    update_form = {"detail": "文三路 90 号 601"}
    bad_form = ({"district": "朝阳区"}, "division")
    shown_text = "文三路 90 号 502"

    async def parent(self, app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
        async with app.state.db.tenant_session(kit.schema) as session:
            data = CustomerInput(name="李红梅", mobile="13700001111")
            return (await customers.create_customer(session, await actor(app, kit, who), data)).id
