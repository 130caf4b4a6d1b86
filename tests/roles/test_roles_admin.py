"""The Roles page in the admin: the list with holder counts, the permission matrix and its post,
create from a template, reset, delete, and bad input shown on the form with what was typed kept.

王建国 (owner) manages roles; 张伟 (sales_a) does not and never sees the page or its nav item.
"""

from __future__ import annotations

import re

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.permissions import CUSTOMERS_EXPORT, CUSTOMERS_READ, ROLES_MANAGE, TEMPLATES


async def _role(app: Litestar, kit: TenantKit, key: str) -> Role:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.scalar(select(Role).where(Role.key == key))
        assert found is not None
        return found


async def _role_named(app: Litestar, kit: TenantKit, name: str) -> Role | None:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await session.scalar(select(Role).where(Role.name == name))


def _checked(html: str) -> set[str]:
    return set(re.findall(r'name="permissions" value="([^"]+)" checked', html))


async def test_the_owner_sees_every_role_with_its_holders(app: Litestar, tenant: TenantKit) -> None:
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/roles")
    assert page.status_code == 200
    assert 'href="/roles"' in page.text and "角色权限" in page.text
    sales = await _role(app, tenant, "sales")
    row = page.text.split(f'id="role-{sales.id}"')[1].split("</tr>")[0]
    # 张伟, 王芳 and 李娜 are salespeople; 本人 is the sales template's scope.
    assert "销售" in row and "本人" in row and '<td data-label="人数">3</td>' in row
    assert "恢复为模板" in row and "删除" not in row  # a template role is reset, never deleted


async def test_a_salesperson_has_no_roles_page_nor_its_nav_item(app: Litestar, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    assert 'href="/roles"' not in (await zhang.get("/customers")).text
    assert (await zhang.get("/roles")).status_code == 403
    sales = await _role(app, tenant, "sales")
    forged = await zhang.post_form(
        f"/roles/{sales.id}",
        {"name": "销售", "data_scope": "all", "permissions": CUSTOMERS_EXPORT, "version": str(sales.version)},
    )
    assert forged.status_code == 403
    assert (await _role(app, tenant, "sales")).permissions == sales.permissions


async def test_the_matrix_shows_each_modules_own_actions_and_saves_a_post(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    sales = await _role(app, tenant, "sales")
    form = await owner.get(f"/roles/{sales.id}")
    assert form.status_code == 200
    assert _checked(form.text) == set(sales.permissions)
    # Only the module's actions get a checkbox: there is no customers:approve nor tokens:read.
    assert 'value="customers:export"' in form.text and 'value="customers:approve"' not in form.text
    assert 'value="tokens:create"' in form.text and 'value="tokens:read"' not in form.text
    assert 'name="data_scope" value="own" checked' in form.text and "本团队" in form.text

    wanted = [*sales.permissions, CUSTOMERS_EXPORT]
    saved = await owner.post(
        f"/roles/{sales.id}",
        data={
            "_csrf": await owner.ensure_csrf(),
            "name": "销售顾问",
            "data_scope": "team",
            "version": str(sales.version),
            "permissions": wanted,
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/roles?saved=1"
    after = await _role(app, tenant, "sales")
    assert sorted(after.permissions) == sorted(wanted)
    assert after.name == "销售顾问" and after.data_scope == "team" and after.version == sales.version + 1


async def test_bad_input_is_shown_on_the_form_and_what_was_typed_is_kept(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    sales = await _role(app, tenant, "sales")
    token = await owner.ensure_csrf()
    base = {"_csrf": token, "name": "销售", "data_scope": "own", "version": str(sales.version)}

    forged = await owner.post(
        f"/roles/{sales.id}", data={**base, "permissions": [CUSTOMERS_READ, "customers:steal"]}
    )
    assert forged.status_code == 422
    assert form_errors(forged.text) == ["不存在的权限：customers:steal"]

    empty = await owner.post(
        f"/roles/{sales.id}",
        data={**base, "name": " ", "data_scope": "planet", "permissions": [CUSTOMERS_READ]},
    )
    assert empty.status_code == 422
    assert form_errors(empty.text) == ["此项为必填项。", "请从选项中选择。"]
    # The boxes the owner ticked stay ticked.
    assert _checked(empty.text) == {CUSTOMERS_READ}
    assert (await _role(app, tenant, "sales")).version == sales.version

    # The last right to manage roles: first the admin role gives it up, then the owner role may not.
    admin = await _role(app, tenant, "admin")
    dropped = await owner.post(
        f"/roles/{admin.id}",
        data={
            **base,
            "name": admin.name,
            "data_scope": "all",
            "version": str(admin.version),
            "permissions": [p for p in admin.permissions if p != ROLES_MANAGE],
        },
    )
    assert dropped.status_code == 303
    mine = await _role(app, tenant, "owner")
    refused = await owner.post(
        f"/roles/{mine.id}",
        data={
            **base,
            "name": mine.name,
            "data_scope": "all",
            "version": str(mine.version),
            "permissions": [p for p in mine.permissions if p != ROLES_MANAGE],
        },
    )
    assert refused.status_code == 422
    assert form_errors(refused.text) == [
        "这样将没有在职员工能管理角色：请先把该权限授予一个有在职员工持有的角色。"
    ]
    assert ROLES_MANAGE in (await _role(app, tenant, "owner")).permissions


async def test_create_from_a_template_then_delete_it(app: Litestar, tenant: TenantKit) -> None:
    owner = await logged_in(app, tenant, "owner")
    blank = await owner.get("/roles/new?template=sales")
    assert blank.status_code == 200 and _checked(blank.text) == set(TEMPLATES["sales"].permissions)
    assert 'name="template" value="sales"' in blank.text

    created = await owner.post(
        "/roles",
        data={
            "_csrf": await owner.ensure_csrf(),
            "name": "实习销售",
            "data_scope": "own",
            "template": "sales",
            "permissions": [CUSTOMERS_READ],
        },
    )
    assert created.status_code == 303
    role = await _role_named(app, tenant, "实习销售")
    assert role is not None and role.template == "sales" and role.permissions == [CUSTOMERS_READ]

    reset = await owner.htmx("POST", f"/roles/{role.id}/reset", data={})
    assert reset.status_code == 200 and "已恢复为模板" in reset.headers["HX-Trigger"].encode().decode(
        "unicode_escape"
    )
    role = await _role_named(app, tenant, "实习销售")
    assert role is not None and sorted(role.permissions) == sorted(TEMPLATES["sales"].permissions)

    gone = await owner.htmx("POST", f"/roles/{role.id}/delete", data={})
    assert gone.status_code == 200 and "实习销售" not in gone.text
    assert await _role_named(app, tenant, "实习销售") is None


async def test_a_held_role_is_not_deleted_and_the_page_says_by_how_many(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    sales = await _role(app, tenant, "sales")
    template = await owner.post_form(f"/roles/{sales.id}/delete", {})
    assert template.status_code == 422 and "默认角色不能删除" in template.text
    assert await _role_named(app, tenant, sales.name) is not None
