"""The customer service: rules hold whoever calls it (admin page, GraphQL, a job)."""

from __future__ import annotations

import uuid

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.customers import service
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.domain import NotFound, PermissionDenied, ValidationFailed, VersionConflict


async def _create(app: Litestar, kit: TenantKit, who: str, **fields: object) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await service.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


async def _count(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)


async def test_salesperson_creates_a_customer_they_own_with_an_audit_record(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _create(
        app,
        tenant,
        "sales_a",
        name="  刘德华 ",
        mobile="139 1234 5678",
        province="北京市",
        city="市辖区",
        district="海淀区",
        status="interested",
        tags=["空调", "以旧换新", "空调"],
    )
    assert customer.owner_id == tenant.people["sales_a"]
    assert customer.name == "刘德华" and customer.mobile == "13912345678"
    assert customer.version == 1
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.entity_id == str(customer.id)))
        assert record is not None and record.action == "create"
        assert record.actor_id == tenant.people["sales_a"] and record.request_id == "test"
        assert record.after is not None and record.after["mobile"] == "13912345678"
        # Tags are de-duplicated and kept as a set.
        assert sorted(record.after["tags"]) == ["以旧换新", "空调"]


async def test_every_bad_field_is_reported_at_once_and_nothing_is_written(
    app: Litestar, tenant: TenantKit
) -> None:
    before = await _count(app, tenant)
    with pytest.raises(ValidationFailed) as caught:
        await _create(
            app,
            tenant,
            "sales_a",
            name="",
            mobile="12345",
            email="not-an-email",
            status="maybe",
            province="北京市",
            city="市辖区",
            district="浦东新区",
            birthday="2999-01-01",
            tags=["x" * 31],
        )
    codes = {(e.field, e.code) for e in caught.value.errors}
    assert codes == {
        ("name", "required"),
        ("mobile", "invalid_mobile"),
        ("email", "invalid_email"),
        ("status", "invalid_choice"),
        ("district", "invalid_division"),
        ("birthday", "out_of_range"),
        ("tags.0", "too_long"),
    }
    assert await _count(app, tenant) == before


async def test_overlong_name_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await _create(app, tenant, "admin", name="张" * 101)
    assert [(e.field, e.code) for e in caught.value.errors] == [("name", "too_long")]


async def test_data_scope_own_team_all(app: Litestar, tenant: TenantKit) -> None:
    mine = await _create(app, tenant, "sales_a", name="甲客户")
    teammate = await _create(app, tenant, "sales_a2", name="乙客户")
    other_team = await _create(app, tenant, "sales_b", name="丙客户")

    async def visible(who: str) -> set[uuid.UUID]:
        async with app.state.db.tenant_session(tenant.schema) as session:
            page = await service.list_customers(
                session, await actor(app, tenant, who), CustomerFilter(), first=100
            )
            return {c.id for c in page.items}

    assert await visible("sales_a") == {mine.id}
    assert await visible("manager_a") == {mine.id, teammate.id}
    assert await visible("manager_b") == {other_team.id}
    assert await visible("admin") == {mine.id, teammate.id, other_team.id}
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Out of scope reads exactly like a customer that does not exist.
        with pytest.raises(NotFound):
            await service.get_customer(session, await actor(app, tenant, "sales_a"), other_team.id)
        with pytest.raises(NotFound):
            await service.update_customer(
                session, await actor(app, tenant, "sales_a"), other_team.id, 1, CustomerInput(name="改")
            )


async def test_salesperson_cannot_hand_a_customer_to_another_team(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await _create(app, tenant, "sales_a", name="丁客户", owner_id=str(tenant.people["sales_b"]))
    assert caught.value.errors[0].code == "owner_out_of_scope"
    # A manager may assign within the team.
    customer = await _create(app, tenant, "manager_a", name="戊客户", owner_id=str(tenant.people["sales_a2"]))
    assert customer.owner_id == tenant.people["sales_a2"]


async def test_stale_version_names_who_changed_the_record(app: Litestar, tenant: TenantKit) -> None:
    customer = await _create(app, tenant, "sales_a", name="己客户")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await service.update_customer(
            session, await actor(app, tenant, "manager_a"), customer.id, 1, CustomerInput(notes="经理跟进")
        )
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(VersionConflict) as caught:
            await service.update_customer(
                session, await actor(app, tenant, "sales_a"), customer.id, 1, CustomerInput(notes="我的备注")
            )
    assert caught.value.changed_by == "刘洋" and caught.value.current_version == 2
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (
            await service.get_customer(session, await actor(app, tenant, "sales_a"), customer.id)
        ).notes == "经理跟进"


async def test_update_changes_only_supplied_fields_and_reindexes(app: Litestar, tenant: TenantKit) -> None:
    customer = await _create(app, tenant, "sales_a", name="庚客户", mobile="13800138000", tags=["冰箱"])
    async with app.state.db.tenant_session(tenant.schema) as session:
        updated = await service.update_customer(
            session,
            await actor(app, tenant, "sales_a"),
            customer.id,
            1,
            CustomerInput(name="庚新名", tags=["洗衣机"]),
        )
        assert (updated.name, updated.mobile, updated.version) == ("庚新名", "13800138000", 2)
        sales = await actor(app, tenant, "sales_a")
        assert [
            c.id for c in (await service.list_customers(session, sales, CustomerFilter(search="新名"))).items
        ] == [customer.id]
        assert (await service.list_customers(session, sales, CustomerFilter(search="庚客户"))).items == []
        assert [
            c.id for c in (await service.list_customers(session, sales, CustomerFilter(tag="洗衣机"))).items
        ] == [customer.id]


async def test_soft_delete_and_restore(app: Litestar, tenant: TenantKit) -> None:
    customer = await _create(app, tenant, "sales_a", name="辛客户")
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await service.delete_customer(session, manager, customer.id)
        assert (await service.list_customers(session, manager, CustomerFilter())).items == []
        trashed = await service.list_customers(session, manager, CustomerFilter(trashed=True))
        assert [c.id for c in trashed.items] == [customer.id]
        restored = await service.restore_customer(session, manager, customer.id)
        assert restored.deleted_at is None
        actions = (
            await session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.entity_id == str(customer.id))
                .order_by(AuditRecord.id)
            )
        ).all()
        assert actions == ["create", "delete", "restore"]


async def test_salesperson_may_not_delete_and_viewer_may_not_write(app: Litestar, tenant: TenantKit) -> None:
    customer = await _create(app, tenant, "sales_a", name="壬客户")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await service.delete_customer(session, await actor(app, tenant, "sales_a"), customer.id)
    with pytest.raises(PermissionDenied):
        await _create(app, tenant, "viewer", name="癸客户")


async def test_search_by_phone_digits_address_and_pinyin(app: Litestar, tenant: TenantKit) -> None:
    customer = await _create(
        app,
        tenant,
        "admin",
        name="欧阳娜娜",
        mobile="18612345678",
        province="广东省",
        city="深圳市",
        district="南山区",
    )
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        for query in ("欧阳", "阳娜", "12345", "南山", "oynn", "ouyang"):
            page = await service.list_customers(session, admin, CustomerFilter(search=query))
            assert customer.id in {c.id for c in page.items}, query
        assert (await service.list_customers(session, admin, CustomerFilter(search="阳欧"))).items == []


async def test_page_size_and_cursor_are_validated(app: Litestar, tenant: TenantKit) -> None:
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await service.list_customers(session, admin, CustomerFilter(), first=101)
        assert caught.value.errors[0].field == "first"
        with pytest.raises(ValidationFailed) as caught:
            await service.list_customers(session, admin, CustomerFilter(), after="not-a-cursor")
        assert caught.value.errors[0].code == "invalid_cursor"


async def test_a_tag_change_shows_in_the_audit_diff(app: Litestar, tenant: TenantKit) -> None:
    """The audit record of an edit holds the tags before and after (the kit snapshots the record
    as stored before the customer's hooks look at the change)."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "sales_a")
        made = await service.create_customer(session, who, CustomerInput(name="李红梅", tags=["空调"]))
        await service.update_customer(
            session, who, made.id, made.version, CustomerInput(tags=["空调", "以旧换新"])
        )
        record = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(made.id), AuditRecord.action == "update")
        )
    assert record is not None
    assert (record.before["tags"], record.after["tags"]) == (["空调"], ["空调", "以旧换新"])
