"""The admin: a tenant owner defines fields on the settings page; the customer form, detail page,
list (columns and filters) show them; bad input comes back inline beside the field."""

from __future__ import annotations

import re

from cf_kit import define, edit_customer, new_customer, purchase_channel
from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from sqlalchemy import select

from app.customers.models import Customer
from app.customfields.models import CustomFieldDefinition


def listed_names(html: str) -> list[str]:
    return re.findall(r'<a href="/customers/[0-9a-f-]{36}" class="strong">([^<]+)</a>', html)


async def test_owner_defines_a_choice_field_with_the_options_editor(app: Litestar, tenant: TenantKit) -> None:
    """Rows of the options editor become ordered options; blank rows are ignored."""
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/settings/custom-fields")
    assert page.status_code == 200 and "自定义字段" in page.text
    drawer = await owner.htmx(
        "GET", "/settings/custom-fields/new?entity=customer", headers={"HX-Target": "drawer"}
    )
    assert 'name="options.0.label_zh"' not in drawer.text  # a text field by default: no options editor
    inputs = await owner.htmx("GET", "/settings/custom-fields/type-inputs?type=single_select")
    assert 'name="options.0.label_zh"' in inputs.text
    response = await owner.htmx(
        "POST",
        "/settings/custom-fields?entity=customer",
        {
            "key": "channel",
            "label_zh": "购买渠道",
            "label_en": "Channel",
            "type": "single_select",
            "filterable": "1",
            "show_in_list": "1",
            "options.0.label_zh": "天猫",
            "options.0.value": "tmall",
            "options.0.color": "#ff5000",
            "options.1.label_zh": "京东",
            "options.1.value": "jd",
            "options.2.label_zh": "",
            "options.2.value": "",
        },
    )
    assert response.status_code == 200 and "custom-fields-changed" in response.headers["HX-Trigger"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        saved = await session.scalar(
            select(CustomFieldDefinition).where(CustomFieldDefinition.key == "channel")
        )
    assert saved is not None and [o["value"] for o in saved.options] == ["tmall", "jd"]
    assert saved.options[0]["color"] == "#ff5000" and saved.show_in_list


async def test_a_bad_definition_is_shown_inline_and_nothing_is_saved(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    response = await owner.htmx(
        "POST",
        "/settings/custom-fields?entity=customer",
        {
            "key": "mobile",
            "label_zh": "手机2",
            "type": "text",
            "validation.regex": "([a-z]",
        },
    )
    assert response.status_code == 422
    errors = form_errors(response.text)
    assert "这是内置字段的名称，请换一个键。" in errors and "这不是有效的正则表达式。" in errors
    # What was typed is still there.
    assert 'value="手机2"' in response.text


async def test_a_salesperson_cannot_open_the_settings_page(app: Litestar, tenant: TenantKit) -> None:
    sales = await logged_in(app, tenant, "sales_a")
    assert (await sales.get("/settings/custom-fields")).status_code == 403
    refused = await sales.post_form(
        "/settings/custom-fields?entity=customer", {"key": "x", "label_zh": "某", "type": "text"}
    )
    assert refused.status_code == 403


async def test_archive_and_restore_from_the_settings_page(app: Litestar, tenant: TenantKit) -> None:
    field = await define(app, tenant, key="wechat", label_zh="微信", type="text")
    owner = await logged_in(app, tenant, "owner")
    assert (await owner.post_form(f"/settings/custom-fields/{field.id}/archive", {})).status_code == 303
    page = await owner.get("/settings/custom-fields")
    assert "已归档的字段" in page.text
    assert (await owner.post_form(f"/settings/custom-fields/{field.id}/restore", {})).status_code == 303
    assert "已归档的字段" not in (await owner.get("/settings/custom-fields")).text


async def test_the_customer_form_takes_every_type_and_shows_bad_values_inline(
    app: Litestar, tenant: TenantKit
) -> None:
    await purchase_channel(app, tenant)
    await define(
        app, tenant, key="rooms", label_zh="房间数", type="integer", validation={"min": 1, "max": 20}
    )
    await define(
        app,
        tenant,
        key="wishes",
        label_zh="意向品类",
        type="multi_select",
        options=[
            {"value": "ac", "label_zh": "空调"},
            {"value": "tv", "label_zh": "电视"},
            {"value": "fridge", "label_zh": "冰箱"},
        ],
    )
    await define(app, tenant, key="old_for_new", label_zh="以旧换新", type="boolean")
    await define(app, tenant, key="deliver_at", label_zh="送货时间", type="datetime")
    sales = await logged_in(app, tenant, "sales_a")
    form = await sales.get("/customers/new")
    for name in (
        'name="custom.channel"',
        'name="custom.rooms"',
        'name="custom.wishes.tv"',
        'name="custom.old_for_new"',
        'type="datetime-local"',
    ):
        assert name in form.text, name
    bad = await sales.post_form(
        "/customers",
        {
            "name": "刘德华",
            "kind": "individual",
            "status": "lead",
            "_custom": "1",
            "custom.channel": "jd",
            "custom.rooms": "30",
            "custom.wishes.tv": "1",
        },
    )
    assert bad.status_code == 422 and "该值超出范围。" in form_errors(bad.text)
    # The other values typed are kept.
    assert re.search(r'<option value="jd"\s+selected', bad.text)
    good = await sales.post_form(
        "/customers",
        {
            "name": "刘德华",
            "kind": "individual",
            "status": "lead",
            "_custom": "1",
            "custom.channel": "jd",
            "custom.rooms": "3",
            "custom.wishes.tv": "1",
            "custom.wishes.ac": "1",
            "custom.old_for_new": "1",
            "custom.deliver_at": "2026-12-01T10:30",
        },
    )
    assert good.status_code == 303
    async with app.state.db.tenant_session(tenant.schema) as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "刘德华"))
    assert customer is not None
    # Times typed are the dealer's (Beijing) time; stored in UTC.
    assert customer.custom == {
        "channel": "jd",
        "rooms": 3,
        "wishes": ["ac", "tv"],
        "old_for_new": True,
        "deliver_at": "2026-12-01T02:30:00+00:00",
    }
    detail = await sales.get(good.headers["location"])
    for shown in ("购买渠道", "京东", "空调", "电视", "是", "2026-12-01 10:30"):
        assert shown in detail.text, shown


async def test_the_list_shows_custom_columns_and_filters_on_them(app: Litestar, tenant: TenantKit) -> None:
    await purchase_channel(app, tenant)
    await define(app, tenant, key="rooms", label_zh="房间数", type="integer", filterable=True)
    await new_customer(app, tenant, name="孙三", custom={"channel": "jd", "rooms": 2})
    await new_customer(app, tenant, name="李四", custom={"channel": "jd", "rooms": 5})
    await new_customer(app, tenant, name="周五", custom={"channel": "tmall", "rooms": 4})
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/customers")
    assert '<th class="hide-mobile">购买渠道</th>' in page.text and 'name="cf.rooms.gte"' in page.text
    filtered = await owner.get("/customers?cf.channel=jd&cf.rooms.gte=3")
    assert listed_names(filtered.text) == ["李四"]
    # The filter survives in the page's links.
    assert "cf.channel=jd" in filtered.text
    ignored = await owner.get("/customers?cf.rooms.gte=many")
    assert ignored.status_code == 400 and "“many”" in ignored.text
    assert sorted(listed_names(ignored.text)) == ["周五", "孙三", "李四"]


async def test_the_settings_page_tells_how_many_records_block_an_option_removal(
    app: Litestar, tenant: TenantKit
) -> None:
    channel = await purchase_channel(app, tenant)
    await new_customer(app, tenant, name="赵一", custom={"channel": "jd"})
    owner = await logged_in(app, tenant, "owner")
    response = await owner.htmx(
        "POST",
        f"/settings/custom-fields/{channel.id}",
        {
            "label_zh": "购买渠道",
            "type": "single_select",
            "version": "1",
            "options.0.label_zh": "天猫",
            "options.0.value": "tmall",
        },
    )
    assert response.status_code == 422
    assert "1 条记录使用了被删除的选项；请将该选项归档，而不是删除。" in form_errors(response.text)


async def test_a_staff_field_offers_every_active_staff_member(app: Litestar, tenant: TenantKit) -> None:
    """A salesperson assigns customers only to themself, but the installer is whoever installs."""
    await define(app, tenant, key="installer", label_zh="安装师傅", type="staff")
    sales = await logged_in(app, tenant, "sales_a")
    form = await sales.get("/customers/new")
    assert f'<option value="{tenant.people["technician"]}"' in form.text and "孙强" in form.text
    made = await sales.post_form(
        "/customers",
        {
            "name": "装机客户",
            "kind": "individual",
            "status": "lead",
            "_custom": "1",
            "custom.installer": str(tenant.people["technician"]),
        },
    )
    assert made.status_code == 303
    # The detail page names the installer.
    assert "孙强" in (await sales.get(made.headers["location"])).text


async def test_moving_a_field_up_changes_the_form_order(app: Litestar, tenant: TenantKit) -> None:
    await define(app, tenant, key="a_first", label_zh="甲字段", type="text")
    second = await define(app, tenant, key="b_second", label_zh="乙字段", type="text")
    owner = await logged_in(app, tenant, "owner")
    moved = await owner.post_form(f"/settings/custom-fields/{second.id}/move", {"direction": "up"})
    assert moved.status_code == 303
    form = (await owner.get("/customers/new")).text
    assert form.index("乙字段") < form.index("甲字段")


async def test_the_change_history_names_custom_fields_and_their_options(
    app: Litestar, tenant: TenantKit
) -> None:
    """The audit diff shows 购买渠道: 京东 → 天猫, not custom.channel: jd → tmall."""
    await purchase_channel(app, tenant)
    customer = await new_customer(app, tenant, name="历史客户", custom={"channel": "jd"})
    await edit_customer(app, tenant, customer, custom={"channel": "tmall"})
    owner = await logged_in(app, tenant, "owner")
    page = (await owner.get(f"/customers/{customer.id}")).text
    history = page[page.index("变更记录") :]
    assert "购买渠道" in history and "京东" in history and "天猫" in history
    assert "custom.channel" not in history and "tmall" not in history


async def test_each_person_chooses_the_custom_columns_of_their_list(app: Litestar, tenant: TenantKit) -> None:
    """张伟 hides 购买渠道 and shows 房间数; 王芳's list keeps the tenant's default columns."""
    await purchase_channel(app, tenant)  # shown in lists by default
    await define(app, tenant, key="rooms", label_zh="房间数", type="integer")
    await new_customer(app, tenant, by="sales_a", name="列客户", custom={"channel": "jd", "rooms": 3})
    # An empty list shows what to do next instead of a table: 王芳 needs a customer of her own.
    await new_customer(app, tenant, by="sales_a2", name="王芳的客户", custom={"channel": "tmall"})
    zhang = await logged_in(app, tenant, "sales_a")
    chosen = await zhang.post_form(
        "/list-columns/customer", {"col.rooms": "1", "next": "/customers?sort=name"}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/customers?sort=name"
    mine = (await zhang.get("/customers")).text
    assert (
        '<th class="hide-mobile">房间数</th>' in mine and '<th class="hide-mobile">购买渠道</th>' not in mine
    )
    wang = await logged_in(app, tenant, "sales_a2")
    theirs = (await wang.get("/customers")).text
    assert (
        '<th class="hide-mobile">购买渠道</th>' in theirs
        and '<th class="hide-mobile">房间数</th>' not in theirs
    )
    # Back to the defaults; and never redirected off the list.
    reset = await zhang.post_form("/list-columns/customer", {"reset": "1", "next": "https://evil.example/"})
    assert reset.headers["location"] == "/customers"
    assert '<th class="hide-mobile">购买渠道</th>' in (await zhang.get("/customers")).text
