"""The customer page's timeline with quick notes, the duplicate warning on the customer form, and
the duplicates page with merge and undo, as 张伟 (salesperson) and 刘洋 (his manager) use them."""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor, logged_in
from entity_admin_cases import ChildAdminCases
from litestar import Litestar
from sqlalchemy import select

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.duplicates.models import CustomerMerge


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a", **fields: object) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(**({"name": "刘德华"} | fields))
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


class TestNoteSection(ChildAdminCases):
    """Notes are a kit child: their edit, delete and restore routes are the kit's."""

    entity = "note"
    form = {"body": "客户说下周来店看冰箱"}
    update_form = {"body": "客户改为周六来店"}
    bad_form = ({"body": " "}, "body")
    shown_text = "客户说下周来店看冰箱"

    async def parent(self, app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
        return await _customer(app, kit, who)


async def test_the_customer_page_loads_the_timeline_and_a_note_with_a_file_lands_on_it(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    client = await logged_in(app, tenant, "sales_a")
    assert f"/customers/{customer}/timeline" in (await client.get(f"/customers/{customer}")).text
    token = await client.ensure_csrf()
    added = await client.post(
        f"/customers/{customer}/timeline/notes",
        data={"body": "@刘洋 客户要特价"},
        files=[("files", ("报价单.pdf", b"%PDF-1.4 quote", "application/pdf"))],
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert added.status_code == 200, added.text
    assert "@刘洋 客户要特价" in added.text and "报价单.pdf" in added.text
    section = (await client.get(f"/customers/{customer}/timeline?kind=note")).text
    link = section.split('href="', 1)[0]  # the page links the file under the customer
    assert f"/customers/{customer}/timeline/notes/" in section and link
    href = section.split(f"/customers/{customer}/timeline/notes/", 1)[1].split('"', 1)[0]
    download = await client.get(f"/customers/{customer}/timeline/notes/{href}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 quote"
    assert "attachment;" in download.headers["content-disposition"]
    # 李娜 (another team) reads neither the timeline nor the file.
    outsider = await logged_in(app, tenant, "sales_b")
    assert (await outsider.get(f"/customers/{customer}/timeline")).status_code == 404
    assert (await outsider.get(f"/customers/{customer}/timeline/notes/{href}")).status_code == 404


async def test_an_empty_note_is_refused_inline_and_keeps_nothing(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant)
    client = await logged_in(app, tenant, "sales_a")
    token = await client.ensure_csrf()
    refused = await client.post(
        f"/customers/{customer}/timeline/notes",
        data={"body": ""},
        files=[("files", ("a.txt", b"x", "text/plain"))],
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert refused.status_code == 422 and "field-error" in refused.text


async def test_the_customer_form_warns_with_the_owner_only_and_saves_once_confirmed(
    app: Litestar, tenant: TenantKit
) -> None:
    await _customer(app, tenant, "sales_b", name="孙丽华", mobile="13811112222")
    client = await logged_in(app, tenant, "sales_a")
    form = {"name": "李红梅", "kind": "individual", "mobile": "13811112222"}
    warned = await client.htmx("POST", "/customers", form)
    assert warned.status_code == 422
    assert 'id="duplicate-warning"' in warned.text and "李娜" in warned.text
    assert "孙丽华" not in warned.text and 'name="confirm_duplicates"' in warned.text
    saved = await client.htmx("POST", "/customers", form | {"confirm_duplicates": "1"})
    assert saved.status_code == 200, saved.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(select(Customer.id).where(Customer.name == "李红梅")) is not None


async def test_the_duplicates_page_merges_and_the_toast_undoes(app: Litestar, tenant: TenantKit) -> None:
    older = await _customer(app, tenant, name="王氏电器有限公司", kind="company")
    async with app.state.db.tenant_session(tenant.schema) as session:
        newer = (
            await customers.create_customer(
                session,
                await actor(app, tenant, "sales_a"),
                CustomerInput(name="王氏 电器", kind="company"),
                confirm_duplicates=True,
            )
        ).id
    manager = await logged_in(app, tenant, "manager_a")
    listed = await manager.get("/duplicates")
    assert listed.status_code == 200 and "王氏 电器" in listed.text
    merged = await manager.htmx("POST", "/duplicates/merge", {"kept_id": str(older), "merged_id": str(newer)})
    assert merged.status_code == 200 and "toast-undo" in merged.headers["HX-Trigger"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        merge_id = await session.scalar(select(CustomerMerge.id))
    timeline = (await manager.get(f"/customers/{older}/timeline?kind=merge")).text
    assert f"/duplicates/merges/{merge_id}/undo" in timeline
    undone = await manager.htmx("POST", f"/duplicates/merges/{merge_id}/undo")
    assert undone.status_code == 200
    async with app.state.db.tenant_session(tenant.schema) as session:
        back = await session.get(Customer, newer)
        assert back is not None and back.deleted_at is None
    # Merging into itself says why, and changes nothing.
    itself = await manager.htmx("POST", "/duplicates/merge", {"kept_id": str(older), "merged_id": str(older)})
    assert itself.status_code == 200 and "toast" in itself.headers["HX-Trigger"]


async def test_only_admins_set_the_policy(app: Litestar, tenant: TenantKit) -> None:
    sales = await logged_in(app, tenant, "sales_a")
    assert (await sales.htmx("POST", "/duplicates/policy", {"policy": "refuse"})).status_code == 403
    owner = await logged_in(app, tenant, "owner")
    page = (await owner.get("/duplicates")).text
    assert 'name="policy"' in page
    assert (await owner.htmx("POST", "/duplicates/policy", {"policy": "refuse"})).status_code == 200
    form = {"name": "重复的人", "kind": "individual", "mobile": "13700000001"}
    await _customer(app, tenant, "sales_a", name="原来的人", mobile="13700000001")
    refused = await sales.htmx("POST", "/customers", form | {"confirm_duplicates": "1"})
    assert refused.status_code == 422 and 'name="confirm_duplicates"' not in refused.text
