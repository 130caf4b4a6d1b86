"""Roles and data scope, seen through the admin.

张伟 (sales_a) sees only his own customers; his manager 刘洋 (manager_a) sees the team 门店一组 (张伟 and
王芳) but not 门店二组 (李娜); 李静 (admin) sees everyone's; 周敏 (viewer) reads but cannot change.
Someone else's customer out of scope is "not found", never "forbidden": no hint that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from web_customers_kit import add_customer, count_customers, listed_ids, load


@dataclass
class Book:
    zhang: str  # 张伟's customer
    wang: str  # 王芳's customer
    li: str  # 李娜's customer (team B)


@pytest.fixture
async def book(app: Litestar, tenant: TenantKit) -> Book:
    return Book(
        zhang=str(await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")),
        wang=str(await add_customer(app, tenant, "sales_a2", "王小明", mobile="13712345678")),
        li=str(await add_customer(app, tenant, "sales_b", "李四海", mobile="13612345678")),
    )


async def test_salesperson_sees_only_own_customers(app: Litestar, tenant: TenantKit, book: Book) -> None:
    client = await logged_in(app, tenant, "sales_a")
    page = await client.get("/customers")
    assert listed_ids(page.text) == [book.zhang]
    assert "共 1 条" in page.text
    # Searching for someone else's customer by phone finds nothing either.
    assert listed_ids((await client.get("/customers?q=13712345678")).text) == []


async def test_salesperson_gets_404_on_a_colleagues_customer(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    for url in (f"/customers/{book.wang}", f"/customers/{book.wang}/edit", f"/customers/{book.li}"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "王小明" not in response.text and "李四海" not in response.text
    update = await client.post_form(
        f"/customers/{book.wang}", {"name": "改名", "version": "1", "status": "won"}
    )
    assert update.status_code == 404
    # Sales may not delete at all, but another's customer is "not found" before that is even asked.
    delete = await client.post_form(f"/customers/{book.wang}/delete", {})
    assert delete.status_code == 404
    own_delete = await client.post_form(f"/customers/{book.zhang}/delete", {})
    assert own_delete.status_code == 403
    wang = await load(app, tenant, book.wang)
    assert wang.name == "王小明" and wang.deleted_at is None
    assert (await load(app, tenant, book.zhang)).deleted_at is None


async def test_manager_sees_the_team_not_the_other_team(app: Litestar, tenant: TenantKit, book: Book) -> None:
    client = await logged_in(app, tenant, "manager_a")
    assert sorted(listed_ids((await client.get("/customers")).text)) == sorted([book.zhang, book.wang])
    assert (await client.get(f"/customers/{book.wang}")).status_code == 200
    assert (await client.get(f"/customers/{book.li}")).status_code == 404
    assert (await client.post_form(f"/customers/{book.li}/delete", {})).status_code == 404
    # The owner filter offers the team only.
    page = await client.get("/customers")
    assert "张伟" in page.text and "王芳" in page.text and "李娜" not in page.text


async def test_admin_sees_everyone(app: Litestar, tenant: TenantKit, book: Book) -> None:
    client = await logged_in(app, tenant, "admin")
    assert sorted(listed_ids((await client.get("/customers")).text)) == sorted(
        [book.zhang, book.wang, book.li]
    )
    assert (await client.get(f"/customers/{book.li}")).status_code == 200


async def test_owner_choices_follow_the_scope(app: Litestar, tenant: TenantKit, book: Book) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    form = (await zhang.get(f"/customers/{book.zhang}/edit")).text
    owner_select = form.split('name="owner_id"', 1)[1].split("</select>", 1)[0]
    assert "张伟" in owner_select and "王芳" not in owner_select and "刘洋" not in owner_select

    liu = await logged_in(app, tenant, "manager_a")
    owner_select = (
        (await liu.get("/customers/new")).text.split('name="owner_id"', 1)[1].split("</select>", 1)[0]
    )
    assert {"刘洋", "张伟", "王芳"} <= {n for n in ("刘洋", "张伟", "王芳", "李娜") if n in owner_select}
    assert "李娜" not in owner_select

    # A forged owner outside the scope is refused with a message on the owner field.
    forged = await zhang.post_form(
        "/customers",
        {"name": "赵六", "kind": "individual", "status": "lead", "owner_id": str(tenant.people["sales_b"])},
    )
    assert forged.status_code == 422
    assert form_errors(forged.text) == ["您只能将客户分配给您权限范围内的人员。"]


async def test_viewer_reads_but_cannot_change(app: Litestar, tenant: TenantKit, book: Book) -> None:
    client = await logged_in(app, tenant, "viewer")
    page = await client.get("/customers")
    assert len(listed_ids(page.text)) == 3
    # No buttons that would only lead to a refusal.
    assert "新建客户" not in page.text and "/edit" not in page.text and "/delete" not in page.text
    detail = await client.get(f"/customers/{book.zhang}")
    assert detail.status_code == 200 and "/edit" not in detail.text

    before = await count_customers(app, tenant)
    assert (await client.get("/customers/new")).status_code == 403
    assert (await client.get(f"/customers/{book.zhang}/edit")).status_code == 403
    created = await client.post_form("/customers", {"name": "周八", "status": "lead", "kind": "individual"})
    assert created.status_code == 403 and "无权操作" in created.text
    updated = await client.post_form(f"/customers/{book.zhang}", {"name": "改名", "version": "1"})
    assert updated.status_code == 403
    assert (await client.post_form(f"/customers/{book.zhang}/delete", {})).status_code == 403
    assert await count_customers(app, tenant) == before
    assert (await load(app, tenant, book.zhang)).name == "张三丰"
