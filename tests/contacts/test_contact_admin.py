"""A company customer's contacts on its page: the generic section cases (tests/entity_admin_cases.py)."""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor, logged_in
from entity_admin_cases import ChildAdminCases
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput


class TestContactSection(ChildAdminCases):
    entity = "contact"
    form = {"name": "周经理", "title": "采购经理", "mobile": "13911112222"}
    update_form = {"title": "总经理"}
    bad_form = ({"mobile": "139"}, "mobile")
    shown_text = "周经理"

    async def parent(self, app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
        async with app.state.db.tenant_session(kit.schema) as session:
            data = CustomerInput(name="杭州西湖家电有限公司", kind="company")
            return (await customers.create_customer(session, await actor(app, kit, who), data)).id


async def test_the_customer_page_loads_contacts_only_for_companies(app: Litestar, tenant: TenantKit) -> None:
    section = TestContactSection()
    company = await section.parent(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        person = await customers.create_customer(
            session, await actor(app, tenant, "sales_a"), CustomerInput(name="李红梅")
        )
    client = await logged_in(app, tenant, "sales_a")
    assert f"/customers/{company}/contacts" in (await client.get(f"/customers/{company}")).text
    # A person has no contacts section, but every customer has addresses.
    page = (await client.get(f"/customers/{person.id}")).text
    assert f"/customers/{person.id}/contacts" not in page
    assert f"/customers/{person.id}/addresses" in page


async def test_the_audit_log_names_a_contact_and_links_to_its_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    """The audit page knows contacts from their declaration alone: label, field labels, page."""
    section = TestContactSection()
    client, url, contact_id = await section._add(app, tenant)
    company = url.split("/")[2]
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/audit", params={"entity": "contact"})
    assert page.status_code == 200
    assert "联系人" in page.text and "职务" in page.text and "采购经理" in page.text
    assert f'href="/customers/{company}#contacts"' in page.text
