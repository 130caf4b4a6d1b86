"""Roles as data, told with the cast of tests/crm_testkit.py.

王建国 (owner) and 李静 (admin) manage roles; 张伟 (sales_a, 门店一组) and 李娜 (sales_b, 门店二组)
are salespeople; the default roles are templates every tenant is seeded from.
"""

from __future__ import annotations

import uuid

import pytest
from crm_testkit import PASSWORD, TEAM_A, TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.accounts.models import Role
from app.accounts.permissions import (
    CUSTOMERS_EXPORT,
    CUSTOMERS_READ,
    ROLES_MANAGE,
    TEMPLATES,
    TOKENS_CREATE,
)
from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, ValidationFailed, VersionConflict
from app.exports import service as exports
from app.roles import catalog
from app.roles import service as roles
from app.roles.service import LastRoleManager, RoleInput, RoleInUse, UnknownPermissions


async def _role(app: Litestar, kit: TenantKit, key: str) -> Role:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = await session.scalar(select(Role).where(Role.key == key))
        assert found is not None
        session.expunge(found)
        return found


async def _audit(app: Litestar, kit: TenantKit) -> list[AuditRecord]:
    async with app.state.db.tenant_session(kit.schema) as session:
        query = select(AuditRecord).where(AuditRecord.entity == "role").order_by(AuditRecord.id)
        return list((await session.scalars(query)).all())


async def _update(app: Litestar, kit: TenantKit, who: str, key: str, **fields: object) -> Role:
    role = await _role(app, kit, key)
    async with app.state.db.tenant_session(kit.schema) as session:
        return await roles.update_role(
            session,
            await actor(app, kit, who),
            role.id,
            role.version,
            RoleInput(**fields),  # type: ignore[arg-type]
        )


async def _hire(app: Litestar, kit: TenantKit, key: str, role_key: str, team: str | None = None) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        user = await accounts.create_user(
            session, email=kit.email(key), name=key, password=PASSWORD, role_key=role_key, team_name=team
        )
        await session.commit()
        kit.people[key] = user.id
        return user.id


async def _customer(app: Litestar, kit: TenantKit, who: str, name: str) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await customers.create_customer(session, await actor(app, kit, who), CustomerInput(name=name))


def test_every_template_permission_is_in_the_catalog() -> None:
    """A template can only hold strings the role editor can show and the migrations can grant."""
    for template in TEMPLATES.values():
        assert catalog.unknown(list(template.permissions)) == [], template.key


async def test_the_owner_edits_a_role_and_its_holders_get_the_change(
    app: Litestar, tenant: TenantKit
) -> None:
    """王建国 lets salespeople export; 张伟 can then export, and the change is audited with before/after."""
    zhang = await actor(app, tenant, "sales_a")
    assert not zhang.can(CUSTOMERS_EXPORT)
    sales = await _role(app, tenant, "sales")

    changed = await _update(
        app, tenant, "owner", "sales", permissions=[*sales.permissions, CUSTOMERS_EXPORT], name="销售顾问"
    )
    assert changed.version == sales.version + 1 and changed.name == "销售顾问"
    # The actor's permissions come from the role row, so the next request sees the change.
    assert (await actor(app, tenant, "sales_a")).can(CUSTOMERS_EXPORT)
    (record,) = await _audit(app, tenant)
    assert record.action == "update" and record.actor_label.startswith("王建国")
    assert CUSTOMERS_EXPORT not in record.before["permissions"]
    assert CUSTOMERS_EXPORT in record.after["permissions"]
    assert record.after["name"] == "销售顾问"


async def test_a_permission_that_does_not_exist_is_refused_by_name(app: Litestar, tenant: TenantKit) -> None:
    sales = await _role(app, tenant, "sales")
    with pytest.raises(UnknownPermissions) as refused:
        await _update(
            app, tenant, "owner", "sales", permissions=[CUSTOMERS_READ, "customers:steal", "orders:fly"]
        )
    assert refused.value.names == ["customers:steal", "orders:fly"]
    assert "customers:steal, orders:fly" in refused.value.errors[0].message
    assert (await _role(app, tenant, "sales")).permissions == sales.permissions
    assert await _audit(app, tenant) == []


async def test_the_last_owner_cannot_lose_the_right_to_manage_roles(app: Litestar, tenant: TenantKit) -> None:
    """李静's admin role may give up roles:manage while 王建国 keeps it; then the owner role may not."""
    admin_role = await _role(app, tenant, "admin")
    await _update(
        app, tenant, "owner", "admin", permissions=[p for p in admin_role.permissions if p != ROLES_MANAGE]
    )
    owner_role = await _role(app, tenant, "owner")
    with pytest.raises(LastRoleManager) as refused:
        await _update(
            app,
            tenant,
            "owner",
            "owner",
            permissions=[p for p in owner_role.permissions if p != ROLES_MANAGE],
        )
    assert refused.value.errors[0].code == "last_role_manager"
    assert ROLES_MANAGE in (await _role(app, tenant, "owner")).permissions
    # Nor can a role that nobody active holds count as the one left: a custom role with the right,
    # held by nobody, does not make the owner role's edit acceptable.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await roles.create_role(
            session, await actor(app, tenant, "owner"), RoleInput(name="空角色", permissions=[ROLES_MANAGE])
        )
    with pytest.raises(LastRoleManager):
        await _update(
            app,
            tenant,
            "owner",
            "owner",
            permissions=[p for p in owner_role.permissions if p != ROLES_MANAGE],
        )


async def test_a_salesperson_cannot_export_or_create_tokens_by_default(
    app: Litestar, tenant: TenantKit
) -> None:
    """Dealers forbid a leaving salesperson taking the customer list: 张伟 has neither right."""
    zhang = await actor(app, tenant, "sales_a")
    assert not zhang.can(CUSTOMERS_EXPORT) and not zhang.can(TOKENS_CREATE)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await exports.request_customer_export(session, zhang, CustomerFilter(), "csv")
        user = await accounts_repo.user_by_id(session, zhang.user_id)
        assert user is not None
        with pytest.raises(PermissionDenied):
            await accounts.create_api_token(session, user, tenant_slug=tenant.slug, name="带走", actor=zhang)
    # His manager 刘洋 may do both.
    liu = await actor(app, tenant, "manager_a")
    assert liu.can(CUSTOMERS_EXPORT) and liu.can(TOKENS_CREATE)


async def test_a_custom_role_with_team_scope_sees_its_teams_customers(
    app: Litestar, tenant: TenantKit
) -> None:
    """王建国 makes 店长助理 (read, team scope) and hires 赵敏 into 门店一组 with it: she sees 张伟's
    customers, not 李娜's in 门店二组."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        role = await roles.create_role(
            session,
            await actor(app, tenant, "owner"),
            RoleInput(name="店长助理", permissions=[CUSTOMERS_READ], data_scope="team"),
        )
    assert role.key.startswith("custom-") and role.template is None
    await _hire(app, tenant, "assistant", role.key, TEAM_A)
    await _customer(app, tenant, "sales_a", "张伟的客户")
    await _customer(app, tenant, "sales_b", "李娜的客户")

    zhao = await actor(app, tenant, "assistant")
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await customers.list_customers(session, zhao, CustomerFilter())
    assert [c.name for c in page.items] == ["张伟的客户"]


async def test_a_role_from_a_template_can_be_reset_to_it(app: Litestar, tenant: TenantKit) -> None:
    """A copy of the sales template starts with its permissions; edited, it resets to them."""
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        copy = await roles.create_role(session, owner, RoleInput(name="实习销售"), template="sales")
    assert sorted(copy.permissions) == sorted(TEMPLATES["sales"].permissions)
    assert copy.template == "sales" and copy.data_scope == "own"
    edited = await _update(app, tenant, "owner", copy.key, permissions=[CUSTOMERS_READ], data_scope="all")
    async with app.state.db.tenant_session(tenant.schema) as session:
        reset = await roles.reset_role(session, owner, copy.id, edited.version)
    assert sorted(reset.permissions) == sorted(TEMPLATES["sales"].permissions) and reset.data_scope == "own"
    assert [r.action for r in await _audit(app, tenant)] == ["create", "update", "reset"]


async def test_a_role_staff_hold_cannot_be_deleted_and_templates_stay(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        custom = await roles.create_role(
            session, owner, RoleInput(name="临时工", permissions=[CUSTOMERS_READ])
        )
    await _hire(app, tenant, "temp1", custom.key)
    await _hire(app, tenant, "temp2", custom.key)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(RoleInUse) as in_use:
            await roles.delete_role(session, owner, custom.id)
    # The refusal says how many hold it.
    assert in_use.value.holders == 2 and "2 staff members" in in_use.value.errors[0].message
    sales = await _role(app, tenant, "sales")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as template:
            await roles.delete_role(session, owner, sales.id)
    assert template.value.errors[0].code == "template_role"

    async with app.state.db.tenant_session(tenant.schema) as session:
        unused = await roles.create_role(session, owner, RoleInput(name="没人用", permissions=[]))
        await roles.delete_role(session, owner, unused.id)
        assert await session.get(Role, unused.id) is None
    assert [r.action for r in await _audit(app, tenant)] == ["create", "create", "delete"]


async def test_bad_input_is_reported_field_by_field(app: Litestar, tenant: TenantKit) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as refused:
            await roles.create_role(session, owner, RoleInput(name="  ", permissions=[], data_scope="planet"))
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("name", "required"),
        ("data_scope", "invalid_choice"),
    }
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as taken:
            await roles.create_role(session, owner, RoleInput(name="销售", permissions=[]))
        with pytest.raises(ValidationFailed) as no_template:
            await roles.create_role(session, owner, RoleInput(name="新角色"), template="astronaut")
    assert taken.value.errors[0].code == "taken"
    assert no_template.value.errors[0].code == "unknown_template"


async def test_nobody_grants_what_they_do_not_hold(app: Litestar, tenant: TenantKit) -> None:
    """A role manager without export (and with team scope) cannot hand out export or the "all" scope."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        role = await roles.create_role(
            session,
            await actor(app, tenant, "owner"),
            RoleInput(name="角色管理员", permissions=[CUSTOMERS_READ, ROLES_MANAGE], data_scope="team"),
        )
    await _hire(app, tenant, "role_admin", role.key, TEAM_A)
    with pytest.raises(ValidationFailed) as refused:
        await _update(
            app,
            tenant,
            "role_admin",
            "viewer",
            permissions=[CUSTOMERS_READ, CUSTOMERS_EXPORT],
            data_scope="team",
        )
    assert [e.code for e in refused.value.errors] == ["cannot_grant"]
    with pytest.raises(ValidationFailed) as wider:
        await _update(app, tenant, "role_admin", "technician", data_scope="all")
    assert [e.code for e in wider.value.errors] == ["cannot_grant"]
    # Without roles:manage there is no role editing at all.
    with pytest.raises(PermissionDenied):
        await _update(app, tenant, "manager_a", "sales", name="改名")


async def test_a_stale_version_is_refused_naming_who_changed_it(app: Litestar, tenant: TenantKit) -> None:
    stale = await _role(app, tenant, "viewer")
    await _update(app, tenant, "admin", "viewer", name="只读人员")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(VersionConflict) as conflict:
            await roles.update_role(
                session, await actor(app, tenant, "owner"), stale.id, stale.version, RoleInput(name="查看")
            )
    assert conflict.value.changed_by == "李静" and conflict.value.current_version == stale.version + 1


async def test_the_last_role_manager_cannot_be_deactivated(app: Litestar, tenant: TenantKit) -> None:
    """王建国 may let 李静 go while he keeps roles:manage; nobody may then deactivate him."""
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await accounts.set_active(session, owner, tenant.people["admin"], False)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(LastRoleManager):
            await accounts.set_active(session, owner, tenant.people["owner"], False)
        await session.rollback()
        user = await accounts_repo.user_by_id(session, tenant.people["owner"])
        assert user is not None and user.is_active
