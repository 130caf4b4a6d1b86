"""Saved views (issue #9 item 7): a person keeps named filter + sort + column sets of a list,
private or shared with their team or role; sharing and editing shared views takes customers:manage;
another person's private view reads as absent; bad columns, filters and sorts are refused."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.domain import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.saved_views import service as views
from app.saved_views.service import ViewInput


async def _create(app: Litestar, kit: TenantKit, who: str, **fields: object) -> views.SavedView:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await views.create_view(session, await actor(app, kit, who), "customer", ViewInput(**fields))  # type: ignore[arg-type]


async def _names(app: Litestar, kit: TenantKit, who: str) -> list[str]:
    async with app.state.db.tenant_session(kit.schema) as session:
        return [v.name for v in await views.list_views(session, await actor(app, kit, who), "customer")]


async def test_a_salesperson_keeps_a_private_view_others_never_see(app: Litestar, tenant: TenantKit) -> None:
    view = await _create(
        app,
        tenant,
        "sales_a",
        name="我的金卡客户",
        filters={"tier": "gold", "q": "空调"},
        sort="name",
        descending=False,
        columns=["name", "mobile", "tags"],
    )
    assert (view.visibility, view.filters, view.sort, view.columns) == (
        "private",
        {"tier": "gold", "q": "空调"},
        "name",
        ["name", "mobile", "tags"],
    )
    assert await _names(app, tenant, "sales_a") == ["我的金卡客户"]
    assert await _names(app, tenant, "sales_a2") == []
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(NotFound):
            await views.get_view(session, await actor(app, tenant, "sales_a2"), view.id)
        # Not even the owner of the company edits someone's private view: it reads as absent.
        with pytest.raises(NotFound):
            await views.update_view(
                session, await actor(app, tenant, "owner"), view.id, 1, ViewInput(name="x")
            )
        record = await session.scalar(select(AuditRecord).where(AuditRecord.entity_id == str(view.id)))
    assert record is not None and record.action == "create"


async def test_rename_and_delete_your_own_view_with_the_version_you_read(
    app: Litestar, tenant: TenantKit
) -> None:
    view = await _create(app, tenant, "sales_a", name="本周回访")
    async with app.state.db.tenant_session(tenant.schema) as session:
        me = await actor(app, tenant, "sales_a")
        renamed = await views.update_view(session, me, view.id, 1, ViewInput(name="本周要回访"))
        assert (renamed.name, renamed.version) == ("本周要回访", 2)
        with pytest.raises(VersionConflict):
            await views.update_view(session, me, view.id, 1, ViewInput(name="旧版本"))
        await views.delete_view(session, me, view.id)
    assert await _names(app, tenant, "sales_a") == []


async def test_a_manager_shares_a_view_with_the_team_and_salespeople_cannot_share(
    app: Litestar, tenant: TenantKit
) -> None:
    shared = await _create(
        app, tenant, "manager_a", name="门店一组重点", filters={"status": "interested"}, visibility="team"
    )
    role_view = await _create(app, tenant, "manager_a", name="销售通用", visibility="role", role_key="sales")
    assert await _names(app, tenant, "sales_a") == ["门店一组重点", "销售通用"]
    # Another team sees the role's view, not team one's.
    assert await _names(app, tenant, "sales_b") == ["销售通用"]
    with pytest.raises(PermissionDenied):
        await _create(app, tenant, "sales_a", name="我也想共享", visibility="team")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await views.update_view(
                session, await actor(app, tenant, "sales_a"), shared.id, 1, ViewInput(name="改名")
            )
        # The shared view is visible to 张伟 and listed as not his to edit.
        assert not views.may_edit(await actor(app, tenant, "sales_a"), shared, views._spec("customer"))
        await views.delete_view(session, await actor(app, tenant, "manager_a"), role_view.id)
    assert await _names(app, tenant, "sales_b") == []


async def test_bad_views_are_refused_naming_each_field(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as bad:
        await _create(
            app,
            tenant,
            "sales_a",
            name="",
            filters={"tier": "diamond", "colour": "red"},
            sort="mobile",
            columns=["name", "salary"],
        )
    found = {(e.field, e.code) for e in bad.value.errors}
    assert {
        ("name", "required"),
        ("filters.tier", "invalid_choice"),
        ("filters.colour", "unknown_filter"),
        ("sort", "invalid_choice"),
        ("columns.1", "unknown_column"),
    } <= found, found
    await _create(app, tenant, "sales_a", name="同名")
    with pytest.raises(ValidationFailed) as twice:
        await _create(app, tenant, "sales_a", name="同名")
    assert twice.value.errors[0].code == "duplicate_name"
    with pytest.raises(ValidationFailed) as role:
        await _create(app, tenant, "manager_a", name="给董事长", visibility="role", role_key="chairman")
    assert role.value.errors[0].code == "unknown_role"
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as entity:
            await views.list_views(session, await actor(app, tenant, "sales_a"), "spaceship")
    assert entity.value.errors[0].code == "unknown_entity"
