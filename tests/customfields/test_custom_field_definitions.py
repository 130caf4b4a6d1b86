"""Defining custom fields: every bad definition is refused with a clear field error and nothing changes."""

from __future__ import annotations

import pytest
from cf_kit import codes, define, edit_customer, new_customer, purchase_channel, update
from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.customfields import service
from app.domain import PermissionDenied, ValidationFailed


async def test_owner_defines_a_field_and_it_is_listed_in_position_order(
    app: Litestar, tenant: TenantKit
) -> None:
    """Defined fields come back in position order, archived ones left out."""
    second = await define(app, tenant, key="budget", label_zh="预算", type="money")
    first = await define(app, tenant, key="floor_area", label_zh="面积", type="decimal", position=1)
    async with app.state.db.tenant_session(tenant.schema) as session:
        listed = await service.list_definitions(session, await actor(app, tenant, "sales_a"), "customer")
    assert [d.key for d in listed] == [first.key, second.key]


async def test_a_key_that_is_not_a_slug_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, key="装修 风格", label_zh="装修风格", type="text")
    assert codes(refused.value) == {"key": "invalid_key"}


async def test_a_key_that_collides_with_a_built_in_field_is_refused(app: Litestar, tenant: TenantKit) -> None:
    """``mobile`` is a built-in field of customers (EntitySpec.fields)."""
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, key="mobile", label_zh="备用手机", type="phone")
    assert codes(refused.value) == {"key": "builtin_field"}


async def test_a_key_used_by_an_archived_field_is_refused(app: Litestar, tenant: TenantKit) -> None:
    """Archived fields keep their values under the key, so the key stays taken."""
    old = await define(app, tenant, key="wechat", label_zh="微信", type="text")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await service.archive_field(session, await actor(app, tenant, "owner"), old.id)
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, key="wechat", label_zh="微信号", type="text")
    assert codes(refused.value) == {"key": "duplicate_key"}


async def test_an_entity_that_is_not_customizable_takes_no_fields(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, entity="audit_log", key="x", label_zh="某字段", type="text")
    assert codes(refused.value) == {"entity": "not_customizable"}


async def test_a_bad_regular_expression_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(
            app, tenant, key="contract_no", label_zh="合同号", type="text", validation={"regex": "HT-(\\d+"}
        )
    assert codes(refused.value) == {"validation.regex": "invalid_regex"}


async def test_a_minimum_above_the_maximum_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(
            app, tenant, key="rooms", label_zh="房间数", type="integer", validation={"min": 9, "max": 1}
        )
    assert codes(refused.value) == {"validation.max": "min_above_max"}


async def test_a_choice_field_needs_options(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, key="style", label_zh="装修风格", type="single_select", options=[])
    assert codes(refused.value) == {"options": "required"}


async def test_a_default_the_field_itself_refuses_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await purchase_channel(app, tenant, default="pinduoduo")
    assert codes(refused.value) == {"default": "invalid_choice"}


async def test_an_unknown_type_is_refused(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await define(app, tenant, key="photo", label_zh="照片", type="image")
    assert codes(refused.value) == {"type": "invalid_choice"}


async def test_salespeople_cannot_define_fields(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(PermissionDenied):
        await define(app, tenant, by="sales_a", key="hobby", label_zh="爱好", type="text")


async def test_removing_an_option_that_records_use_is_refused_with_their_count(
    app: Litestar, tenant: TenantKit
) -> None:
    channel = await purchase_channel(app, tenant)
    for name in ("赵一", "钱二"):
        await new_customer(app, tenant, name=name, custom={"channel": "jd"})
    keep = [o for o in channel.options if o["value"] != "jd"]
    with pytest.raises(ValidationFailed) as refused:
        await update(app, tenant, channel.id, options=keep)
    assert codes(refused.value) == {"options": "option_in_use"}
    # The message says how many records are in the way.
    assert "2 records" in refused.value.errors[0].message


async def test_an_archived_option_stays_valid_on_records_that_have_it_but_is_not_offered(
    app: Litestar, tenant: TenantKit
) -> None:
    channel = await purchase_channel(app, tenant)
    had_jd = await new_customer(app, tenant, name="孙三", custom={"channel": "jd"})
    archived = [{**o, "archived": o["value"] == "jd"} for o in channel.options]
    await update(app, tenant, channel.id, options=archived)
    # The record that has it keeps it through an unrelated edit...
    edited = await edit_customer(app, tenant, had_jd, notes="老客户", custom={"channel": "jd"})
    assert edited.custom == {"channel": "jd"}
    # ...but nobody can choose it any more.
    with pytest.raises(ValidationFailed) as refused:
        await new_customer(app, tenant, name="李四", custom={"channel": "jd"})
    assert codes(refused.value) == {"custom.channel": "archived_option"}


async def test_a_type_change_that_values_cannot_take_is_refused_with_their_count(
    app: Litestar, tenant: TenantKit
) -> None:
    field = await define(app, tenant, key="house_no", label_zh="门牌号", type="text")
    await new_customer(app, tenant, name="周五", custom={"house_no": "12"})
    await new_customer(app, tenant, name="吴六", custom={"house_no": "12A"})
    await new_customer(app, tenant, name="郑七", custom={"house_no": "3-501"})
    with pytest.raises(ValidationFailed) as refused:
        await update(app, tenant, field.id, type="integer")
    assert codes(refused.value) == {"type": "incompatible_values"}
    assert refused.value.errors[0].message.startswith("3 existing values")


async def test_a_type_change_the_values_can_take_goes_through(app: Litestar, tenant: TenantKit) -> None:
    field = await define(app, tenant, key="rooms", label_zh="房间数", type="integer")
    await new_customer(app, tenant, name="王八", custom={"rooms": 3})
    changed = await update(app, tenant, field.id, type="decimal")
    assert changed.type == "decimal" and changed.version == 2


async def test_removing_a_field_archives_it_and_restoring_brings_the_values_back(
    app: Litestar, tenant: TenantKit
) -> None:
    field = await define(app, tenant, key="wechat", label_zh="微信", type="text")
    customer = await new_customer(app, tenant, name="冯九", custom={"wechat": "fengjiu88"})
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await service.archive_field(session, owner, field.id)
    # Archived: no longer a field of the record, but its value stays stored.
    edited = await edit_customer(app, tenant, customer, notes="改过")
    assert edited.custom == {"wechat": "fengjiu88"}
    with pytest.raises(ValidationFailed) as refused:
        await edit_customer(app, tenant, edited, custom={"wechat": "x"})
    assert codes(refused.value) == {"custom.wechat": "unknown_field"}
    async with app.state.db.tenant_session(tenant.schema) as session:
        await service.restore_field(session, owner, field.id)
        listed = await service.list_definitions(session, owner, "customer")
    assert [d.key for d in listed] == ["wechat"]


async def test_a_newly_required_field_leaves_records_alone_until_they_are_edited(
    app: Litestar, tenant: TenantKit
) -> None:
    field = await define(app, tenant, key="budget", label_zh="预算", type="money")
    customer = await new_customer(app, tenant, name="陈十")
    await update(app, tenant, field.id, required=True)
    # Nothing happened to the existing record; the next edit asks for the value.
    with pytest.raises(ValidationFailed) as refused:
        await edit_customer(app, tenant, customer, notes="来电")
    assert codes(refused.value) == {"custom.budget": "required"}
    edited = await edit_customer(app, tenant, customer, notes="来电", custom={"budget": "8000"})
    assert edited.custom == {"budget": "8000.00"}


async def test_reorder_puts_fields_in_the_given_order(app: Litestar, tenant: TenantKit) -> None:
    await define(app, tenant, key="a_one", label_zh="一", type="text")
    await define(app, tenant, key="b_two", label_zh="二", type="text")
    async with app.state.db.tenant_session(tenant.schema) as session:
        ordered = await service.reorder(
            session, await actor(app, tenant, "owner"), "customer", ["b_two", "a_one"]
        )
    assert [d.key for d in ordered] == ["b_two", "a_one"]
