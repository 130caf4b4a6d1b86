"""Duplicate control (撞单): a customer whose mobile, phone, e-mail or company name matches an
existing one is warned about or refused, by the tenant's policy, across owners, without telling the
salesperson anything about the other owner's customer but whose it is."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, ValidationFailed
from app.duplicates.policy import DuplicatePolicy, duplicate_policy, set_duplicate_policy
from app.kit.duplicates import DuplicateFound


async def _create(
    app: Litestar, kit: TenantKit, who: str, confirm: bool = False, **fields: object
) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(
            session, await actor(app, kit, who), CustomerInput(**fields), confirm_duplicates=confirm
        )


async def _policy(app: Litestar, kit: TenantKit, policy: str) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await set_duplicate_policy(session, await actor(app, kit, "owner"), policy)


async def test_a_mobile_of_another_salespersons_customer_is_named_by_owner_only(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 enters the mobile of 李娜's customer: he learns whose customer it is, nothing more."""
    await _create(app, tenant, "sales_b", name="孙丽华", mobile="13811112222", notes="只买格力")
    with pytest.raises(DuplicateFound) as caught:
        await _create(app, tenant, "sales_a", name="李红梅", mobile="138 1111 2222")
    found = caught.value
    assert found.confirmable  # the default policy warns
    (match,) = found.matches
    assert match.field == "mobile" and match.owner_name == "李娜"
    # Out of his scope: neither the customer's name nor anything else about it.
    assert not match.visible and match.title is None
    assert "孙丽华" not in str(found) and "格力" not in str(found)
    assert found.errors[0].code == "duplicate_mobile"


async def test_a_warned_salesperson_can_confirm_and_the_audit_names_the_match(
    app: Litestar, tenant: TenantKit
) -> None:
    first = await _create(app, tenant, "sales_b", name="孙丽华", mobile="13811113333")
    second = await _create(app, tenant, "sales_a", confirm=True, name="李红梅", mobile="13811113333")
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(second.id), AuditRecord.action == "create")
        )
        assert record is not None and record.after["duplicate_of"] == [str(first.id)]


async def test_refuse_policy_never_saves_a_duplicate_even_confirmed(app: Litestar, tenant: TenantKit) -> None:
    await _policy(app, tenant, "refuse")
    await _create(app, tenant, "sales_b", name="孙丽华", email="Sun@Example.com")
    with pytest.raises(DuplicateFound) as caught:
        await _create(app, tenant, "sales_a", confirm=True, name="李红梅", email="sun@example.COM")
    assert not caught.value.confirmable
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Nothing was written.
        assert await session.scalar(select(Customer.id).where(Customer.name == "李红梅")) is None


async def test_company_names_match_without_legal_form_brackets_and_spaces(
    app: Litestar, tenant: TenantKit
) -> None:
    await _create(app, tenant, "sales_b", name="青岛海尔电器（集团）有限公司", kind="company")
    with pytest.raises(DuplicateFound):
        await _create(app, tenant, "sales_a", name="青岛海尔电器 (集团)", kind="company")
    # A person with a company-like name is not a company: no match on the name.
    await _create(app, tenant, "sales_a", name="青岛海尔电器集团", kind="individual")


async def test_a_contact_mobile_counts_as_the_customers_phone(app: Litestar, tenant: TenantKit) -> None:
    company = await _create(app, tenant, "sales_b", name="美的专卖店", kind="company")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await ContactService(session, await actor(app, tenant, "sales_b")).create(
            {"customer_id": str(company.id), "name": "赵经理", "mobile": "13955556666"}
        )
    with pytest.raises(DuplicateFound) as caught:
        await _create(app, tenant, "sales_a", name="赵先生", mobile="13955556666")
    assert caught.value.matches[0].owner_name == "李娜"


async def test_own_customer_is_named_and_an_edit_is_checked_only_when_the_field_changes(
    app: Litestar, tenant: TenantKit
) -> None:
    mine = await _create(app, tenant, "sales_a", name="周杰", mobile="13700001111")
    with pytest.raises(DuplicateFound) as caught:
        await _create(app, tenant, "sales_a", name="周杰伦", mobile="13700001111")
    assert caught.value.matches[0].visible and caught.value.matches[0].title == "周杰"
    other = await _create(app, tenant, "sales_a", confirm=True, name="周杰伦", mobile="13700001111")
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Editing the notes of a customer that is already a known duplicate warns no more.
        saved = await customers.update_customer(
            session,
            await actor(app, tenant, "sales_a"),
            other.id,
            other.version,
            CustomerInput(notes="老客户"),
        )
        assert saved.version == 2
    # Its own mobile never matches itself; a deleted customer matches nothing.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.delete_customer(session, await actor(app, tenant, "manager_a"), mine.id)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.update_customer(
            session, await actor(app, tenant, "sales_a"), other.id, 2, CustomerInput(mobile="13700001111")
        )


async def test_policy_is_the_admins_to_change_and_checked(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await duplicate_policy(session) is DuplicatePolicy.WARN
        with pytest.raises(PermissionDenied):
            await set_duplicate_policy(session, await actor(app, tenant, "sales_a"), "refuse")
        with pytest.raises(ValidationFailed) as caught:
            await set_duplicate_policy(session, await actor(app, tenant, "owner"), "maybe")
        assert caught.value.errors[0].code == "invalid_choice"
        assert await duplicate_policy(session) is DuplicatePolicy.WARN
