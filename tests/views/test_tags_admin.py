"""Tag management (issue #9 item 7): rename, merge two tags, colour, delete; customers:manage only;
each change audited; customers' search follows their tags."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers import tags as tag_admin
from app.customers.models import Customer, Tag
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, ValidationFailed


async def _tagged(app: Litestar, kit: TenantKit, name: str, mobile: str, tags: list[str]) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(
            session, await actor(app, kit, "admin"), CustomerInput(name=name, mobile=mobile, tags=tags)
        )


async def _tag_id(app: Litestar, kit: TenantKit, name: str) -> object:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await session.scalar(select(Tag.id).where(Tag.name == name))


async def test_merge_two_tags_keeps_one_and_every_customer_carries_it(
    app: Litestar, tenant: TenantKit
) -> None:
    a = await _tagged(app, tenant, "何一", "13600000001", ["空调", "冷气"])
    b = await _tagged(app, tenant, "何二", "13600000002", ["冷气"])
    source, into = await _tag_id(app, tenant, "冷气"), await _tag_id(app, tenant, "空调")
    async with app.state.db.tenant_session(tenant.schema) as session:
        manager = await actor(app, tenant, "manager_a")
        with pytest.raises(ValidationFailed) as itself:
            await tag_admin.merge_tags(session, manager, into, into)  # type: ignore[arg-type]
        assert itself.value.errors[0].code == "merge_into_itself"
        await tag_admin.merge_tags(session, manager, source, into)  # type: ignore[arg-type]
        names = await customers.tag_names(session, [a.id, b.id])
        usage = {u.tag.name: u.customers for u in await tag_admin.list_tags(session, manager)}
        # Search finds 何二 by its new tag.
        found = await customers.list_customers(
            session, await actor(app, tenant, "admin"), CustomerFilter(search="空调")
        )
        record = await session.scalar(
            select(AuditRecord).where(AuditRecord.action == "merge", AuditRecord.entity == "tag")
        )
    assert names == {a.id: ["空调"], b.id: ["空调"]}
    assert usage == {"空调": 2}
    assert {c.name for c in found.items} == {"何一", "何二"}
    assert record is not None and record.before == {"name": "冷气", "into": "空调"}


async def test_rename_recolour_and_delete(app: Litestar, tenant: TenantKit) -> None:
    c = await _tagged(app, tenant, "罗一", "13600000011", ["老客户", "团购"])
    old = await _tag_id(app, tenant, "老客户")
    async with app.state.db.tenant_session(tenant.schema) as session:
        admin = await actor(app, tenant, "admin")
        with pytest.raises(ValidationFailed) as taken:
            await tag_admin.update_tag(session, admin, old, name="团购")  # type: ignore[arg-type]
        assert taken.value.errors[0].code == "tag_exists"
        with pytest.raises(ValidationFailed) as colour:
            await tag_admin.update_tag(session, admin, old, color="javascript:alert(1)")  # type: ignore[arg-type]
        assert colour.value.errors[0].code == "invalid_choice"
        renamed = await tag_admin.update_tag(session, admin, old, name="回头客", color="gold")  # type: ignore[arg-type]
        assert (renamed.name, renamed.color) == ("回头客", "gold")
        assert (await customers.tag_names(session, [c.id]))[c.id] == ["回头客", "团购"]
        await tag_admin.delete_tag(session, admin, await _tag_id(app, tenant, "团购"))  # type: ignore[arg-type]
        assert (await customers.tag_names(session, [c.id]))[c.id] == ["回头客"]
        assert (await customers.list_customers(session, admin, CustomerFilter(search="团购"))).items == []


async def test_only_holders_of_customers_manage_touch_tags(app: Litestar, tenant: TenantKit) -> None:
    await _tagged(app, tenant, "梁一", "13600000021", ["贵宾"])
    tag = await _tag_id(app, tenant, "贵宾")
    async with app.state.db.tenant_session(tenant.schema) as session:
        sales = await actor(app, tenant, "sales_a")
        with pytest.raises(PermissionDenied):
            await tag_admin.list_tags(session, sales)
        with pytest.raises(PermissionDenied):
            await tag_admin.delete_tag(session, sales, tag)  # type: ignore[arg-type]
