"""Merging two customers moves every related record onto the kept one, keeps the originals in the
audit log, and can be undone within 30 days; a merge into itself or into a deleted customer is
refused with a clear reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update

from app.addresses.models import Address
from app.addresses.service import AddressService
from app.audit.models import AuditRecord
from app.contacts.models import Contact
from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.duplicates.merge import merge_customers, undo_merge
from app.duplicates.models import CustomerMerge
from app.duplicates.scan import duplicate_candidates
from app.timeline.models import CustomerNote
from app.timeline.notes import add_note


async def _pair(app: Litestar, kit: TenantKit) -> tuple[Customer, Customer]:
    """王总's shop entered twice: once by 张伟 (with a contact and an address), once by 王芳."""
    async with app.state.db.tenant_session(kit.schema) as session:
        sales = await actor(app, kit, "sales_a")
        kept = await customers.create_customer(
            session, sales, CustomerInput(name="王氏电器有限公司", kind="company", tags=["空调"])
        )
        merged = await customers.create_customer(
            session,
            await actor(app, kit, "sales_a2"),
            CustomerInput(
                name="王氏电器", kind="company", mobile="13800001234", email="w@example.com", tags=["冰箱"]
            ),
            confirm_duplicates=True,
        )
        manager = await actor(app, kit, "manager_a")  # 门店一组's manager sees both
        await ContactService(session, manager).create({"customer_id": str(kept.id), "name": "王总"})
        await ContactService(session, manager).create({"customer_id": str(merged.id), "name": "王秘书"})
        await AddressService(session, manager).create(
            {
                "customer_id": str(merged.id),
                "province": "北京市",
                "city": "市辖区",
                "district": "海淀区",
                "detail": "中关村大街1号",
            }
        )
        await add_note(session, manager, kit.schema, merged.id, "老板姓王")
    return kept, merged


async def test_a_merge_moves_children_tags_and_fills_empty_fields(app: Litestar, tenant: TenantKit) -> None:
    kept, merged = await _pair(app, tenant)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        merge = await merge_customers(session, manager, kept.id, merged.id)
        contacts = (await session.scalars(select(Contact).where(Contact.customer_id == kept.id))).all()
        assert sorted(c.name for c in contacts) == ["王总", "王秘书"]
        # The kept customer's primary contact stays the primary one.
        assert [c.name for c in contacts if c.is_primary] == ["王总"]
        assert await session.scalar(select(Address.customer_id)) == kept.id
        assert (
            await session.scalar(select(CustomerNote.customer_id).where(CustomerNote.body == "老板姓王"))
            == kept.id
        )
        assert (await customers.tag_names(session, [kept.id]))[kept.id] == ["冰箱", "空调"]
        fresh_kept = await session.get(Customer, kept.id)
        fresh_merged = await session.get(Customer, merged.id)
        assert fresh_kept is not None and fresh_merged is not None
        await session.refresh(fresh_kept)
        await session.refresh(fresh_merged)
        assert fresh_kept.mobile == "13800001234" and fresh_kept.email == "w@example.com"
        assert fresh_merged.deleted_at is not None
        # The audit log keeps the merged customer as it was.
        original = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(merged.id), AuditRecord.action == "merge")
        )
        assert (
            original is not None
            and original.before["name"] == "王氏电器"
            and original.before["tags"] == ["冰箱"]
        )
        assert merge.moved["contact"] and merge.moved["address"] and merge.moved["note"]


async def test_undo_puts_everything_back(app: Litestar, tenant: TenantKit) -> None:
    kept, merged = await _pair(app, tenant)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        merge = await merge_customers(session, manager, kept.id, merged.id)
        await undo_merge(session, manager, merge.id)
        session.expunge_all()
        back = await session.get(Customer, merged.id)
        still = await session.get(Customer, kept.id)
        assert back is not None and back.deleted_at is None
        assert still is not None and still.mobile is None and still.email is None
        names = dict((await session.execute(select(Contact.name, Contact.customer_id))).all())
        assert names == {"王总": kept.id, "王秘书": merged.id}
        assert await session.scalar(select(Address.customer_id)) == merged.id
        assert (await customers.tag_names(session, [kept.id]))[kept.id] == ["空调"]
        with pytest.raises(ValidationFailed) as caught:
            await undo_merge(session, manager, merge.id)
        assert caught.value.errors[0].code == "already_undone"


async def test_undo_only_within_30_days(app: Litestar, tenant: TenantKit) -> None:
    kept, merged = await _pair(app, tenant)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        merge = await merge_customers(session, manager, kept.id, merged.id)
        await session.execute(
            update(CustomerMerge)
            .where(CustomerMerge.id == merge.id)
            .values(merged_at=datetime.now(UTC) - timedelta(days=31))
        )
        await session.commit()
        with pytest.raises(ValidationFailed) as caught:
            await undo_merge(session, manager, merge.id)
        assert caught.value.errors[0].code == "undo_expired"


async def test_merge_into_itself_or_a_deleted_customer_is_refused_and_changes_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    kept, merged = await _pair(app, tenant)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await merge_customers(session, manager, kept.id, kept.id)
        assert caught.value.errors[0].code == "merge_into_itself"
        await customers.delete_customer(session, manager, kept.id)
        with pytest.raises(ValidationFailed) as caught:
            await merge_customers(session, manager, kept.id, merged.id)
        assert [(e.field, e.code) for e in caught.value.errors] == [("kept_id", "deleted_customer")]
        assert await session.scalar(select(CustomerMerge.id)) is None
        assert await session.scalar(select(Contact.customer_id).where(Contact.name == "王秘书")) == merged.id


async def test_only_who_may_edit_and_delete_both_customers_merges(app: Litestar, tenant: TenantKit) -> None:
    kept, merged = await _pair(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):  # salespeople cannot delete customers
            await merge_customers(session, await actor(app, tenant, "sales_a"), kept.id, merged.id)
        with pytest.raises(NotFound):  # another team's manager cannot see them
            await merge_customers(session, await actor(app, tenant, "manager_b"), kept.id, merged.id)


async def test_duplicate_candidates_pair_alike_customers_within_scope(
    app: Litestar, tenant: TenantKit
) -> None:
    kept, merged = await _pair(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        found = await duplicate_candidates(session, await actor(app, tenant, "manager_a"))
        assert [(c.reason.value, c.older.id, c.newer.id) for c in found.pairs] == [
            ("same_company", kept.id, merged.id)
        ]
        # Another team's manager sees neither customer, so no pair.
        assert (await duplicate_candidates(session, await actor(app, tenant, "manager_b"))).pairs == []
        with pytest.raises(ValidationFailed) as caught:
            await duplicate_candidates(
                session, await actor(app, tenant, "manager_a"), reasons=["same_dog"], first=0
            )
        assert {e.field for e in caught.value.errors} == {"reasons", "first"}
        await merge_customers(session, await actor(app, tenant, "manager_a"), kept.id, merged.id)
        assert (await duplicate_candidates(session, await actor(app, tenant, "manager_a"))).pairs == []
