"""The customer admin as staff use it: live search, filters in the URL, the drawer form with inline
errors in zh-CN, version conflicts, the recycle bin with undo, CSRF and the English switch.

The cast: 张伟 (sales_a) and 王芳 (sales_a2) sell in 刘洋's (manager_a) team 门店一组; 李静 is the admin.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import unquote

from crm_testkit import TenantKit, actor, form_errors, logged_in
from litestar import Litestar
from web_customers_kit import add_customer, count_customers, field_value, listed_ids, load, selected_value

RESULTS = {"HX-Target": "results"}
DRAWER = {"HX-Target": "drawer"}


def form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "陈美玲",
        "kind": "individual",
        "gender": "female",
        "mobile": "139 1234 5678",
        "email": "",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "address_detail": "科技园南区 8 栋",
        "source": "walk_in",
        "status": "interested",
        "tier": "gold",
        "owner_id": "",
        "birthday": "1988-05-06",
        "notes": "想换滚筒洗衣机",
        "tags": "以旧换新, 高端",
    }
    return {**data, **overrides}


async def test_live_search_finds_two_chinese_characters_and_phone_digits(
    app: Litestar, tenant: TenantKit
) -> None:
    """A two-character search and a run of phone digits each find 张三丰, and only him."""
    zhang = await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    other = await add_customer(app, tenant, "sales_a", "李四海", mobile="13900001111")
    client = await logged_in(app, tenant, "admin")

    by_name = await client.htmx("GET", "/customers?q=三丰", headers=RESULTS)
    assert by_name.status_code == 200
    # The live search swaps only the results fragment, not the page around it.
    assert by_name.text.lstrip().startswith('<div id="results"') and "<html" not in by_name.text
    assert listed_ids(by_name.text) == [str(zhang)]
    # The address bar keeps the search, so a reload shows the same list.
    assert unquote(by_name.headers["HX-Push-Url"]) == "/customers?q=三丰"

    by_phone = await client.get("/customers?q=12345")
    assert by_phone.status_code == 200
    assert listed_ids(by_phone.text) == [str(zhang)]
    assert str(other) not in by_phone.text
    # A full page load of the same URL shows the search in the box.
    assert field_value(by_phone.text, "q") == "12345"


async def test_filters_stay_in_the_url_and_in_the_toolbar(app: Litestar, tenant: TenantKit) -> None:
    won = await add_customer(
        app, tenant, "sales_a", "赵成交", status="won", tier="gold", source="referral", tags="团购"
    )
    await add_customer(app, tenant, "sales_a", "钱潜在", status="lead", tier="gold", source="referral")
    await add_customer(app, tenant, "sales_a2", "孙成交", status="won", tier="normal", source="online")
    client = await logged_in(app, tenant, "admin")
    owner = tenant.people["sales_a"]

    response = await client.get(
        f"/customers?status=won&tier=gold&source=referral&tag=团购&owner={owner}&sort=name&dir=asc"
    )
    assert response.status_code == 200
    assert listed_ids(response.text) == [str(won)]
    for name, value in (
        ("status", "won"),
        ("tier", "gold"),
        ("source", "referral"),
        ("tag", "团购"),
        ("owner", str(owner)),
        ("sort", "name"),
        ("dir", "asc"),
    ):
        assert selected_value(response.text, name) == value, name
    # The status shows through the catalog: 成交, not "won".
    assert '<span class="badge won">成交</span>' in response.text

    fragment = await client.htmx("GET", "/customers?status=won&q=&owner=&tier=", headers=RESULTS)
    # Empty filters are dropped from the address the browser shows.
    assert unquote(fragment.headers["HX-Push-Url"]) == "/customers?status=won"
    assert len(listed_ids(fragment.text)) == 2


async def test_bad_list_parameters_get_a_message_not_an_error_page(app: Litestar, tenant: TenantKit) -> None:
    await add_customer(app, tenant, "sales_a", "张三丰")
    client = await logged_in(app, tenant, "admin")

    unknown_status = await client.get("/customers?status=bogus")
    assert unknown_status.status_code == 400
    assert "“bogus”不是有效的状态，已忽略。" in html.unescape(unknown_status.text)
    # The rest of the page still works: the filter was ignored, the customer is listed.
    assert len(listed_ids(unknown_status.text)) == 1

    bad_cursor = await client.get("/customers?after=not-a-cursor")
    assert bad_cursor.status_code == 400
    assert "翻页链接已过期，已显示第一页。" in bad_cursor.text
    assert len(listed_ids(bad_cursor.text)) == 1

    for size in ("abc", "0", "101"):
        response = await client.get(f"/customers?size={size}")
        assert response.status_code == 400, size
        assert "每页条数必须是 1 到 100 之间的数字" in response.text

    bad_owner = await client.get("/customers?owner=nobody&sort=shoe-size")
    assert bad_owner.status_code == 400
    assert "“nobody”不是有效的负责人" in html.unescape(bad_owner.text)
    assert "未知的排序方式" in bad_owner.text

    too_long = await client.get("/customers?q=" + "张" * 201)
    assert too_long.status_code == 400 and "搜索内容过长" in too_long.text


async def test_keyset_pages_of_twenty_with_next_and_first_links(app: Litestar, tenant: TenantKit) -> None:
    """Pages say where they are ("第 21–23 条 / 共 23 条") and link both ways."""
    for i in range(23):
        await add_customer(app, tenant, "admin", f"客户{i:02d}")
    client = await logged_in(app, tenant, "admin")

    first = await client.get("/customers")
    rows = listed_ids(first.text)
    assert len(rows) == 20
    assert "第 1–20 条 / 共 23 条" in first.text and "上一页" not in first.text
    next_link = html.unescape(re.search(r'href="(/customers\?after=[^"]+)"', first.text).group(1))
    second = await client.get(next_link)
    more = listed_ids(second.text)
    assert len(more) == 3 and not set(more) & set(rows)
    assert "第 21–23 条 / 共 23 条" in second.text
    # The last page has no next link; the previous one is the first page.
    assert "下一页" not in second.text and 'rel="prev" href="/customers"' in second.text

    bigger = await client.get("/customers?size=50")
    assert len(listed_ids(bigger.text)) == 23


async def test_create_in_the_drawer(app: Litestar, tenant: TenantKit) -> None:
    """张伟 opens the drawer, saves, and the drawer closes with a toast while the list refreshes."""
    client = await logged_in(app, tenant, "sales_a")
    drawer = await client.htmx("GET", "/customers/new", headers=DRAWER)
    assert drawer.status_code == 200 and 'class="drawer"' in drawer.text and "<html" not in drawer.text
    assert "新建客户" in drawer.text and 'hx-post="/customers"' in drawer.text
    # Enumerations are offered in Chinese.
    for label in ("潜在", "意向", "成交", "流失", "门店到访", "老客户转介绍", "金卡", "个人", "企业", "男"):
        assert f">{label}</option>" in drawer.text, label

    response = await client.htmx("POST", "/customers", data={**form(), "_csrf": client.csrf()})
    assert response.status_code == 200, response.text
    events = json.loads(response.headers["HX-Trigger"])
    assert events["toast"] == "已创建客户 陈美玲。"
    assert response.headers["HX-Retarget"] == "#drawer" and response.text == ""
    customer = await load(app, tenant, events["customers-changed"])
    assert (customer.name, customer.mobile, customer.status, customer.city) == (
        "陈美玲",
        "13912345678",
        "interested",
        "深圳市",
    )
    # An empty owner means "me".
    assert customer.owner_id == tenant.people["sales_a"]

    page = await client.get("/customers/new")  # without HTMX: a page of its own with the same form
    assert page.status_code == 200 and "<html" in page.text and 'id="customer-form"' in page.text
    plain = await client.post_form("/customers", form(name="周大福", mobile="13700001234"))
    assert plain.status_code == 303 and plain.headers["location"].startswith("/customers/")


async def test_bad_mobile_is_shown_inline_in_chinese_and_nothing_is_written(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    before = await count_customers(app, tenant)

    response = await client.htmx("POST", "/customers", data={**form(mobile="12345"), "_csrf": client.csrf()})
    assert response.status_code == 422
    assert form_errors(response.text) == ["请输入有效的中国大陆手机号（11 位）。"]
    # The message sits next to the field it is about, and the typed values are kept.
    assert re.search(r'field-error">\s*<label for="f-mobile"', response.text)
    assert field_value(response.text, "mobile") == "12345" and field_value(response.text, "name") == "陈美玲"
    assert response.text.lstrip().startswith('<form id="customer-form"')  # HTMX swaps the form in place
    assert await count_customers(app, tenant) == before


async def test_overlong_name_missing_name_unknown_status_and_bad_address(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    before = await count_customers(app, tenant)

    overlong = await client.htmx("POST", "/customers", data={**form(name="张" * 101), "_csrf": client.csrf()})
    assert overlong.status_code == 422 and form_errors(overlong.text) == ["最多 100 个字符。"]

    missing = await client.post_form("/customers", form(name="  "))
    assert missing.status_code == 422 and "<html" in missing.text  # without HTMX: the whole page again
    assert form_errors(missing.text) == ["此项为必填项。"]

    unknown = await client.htmx("POST", "/customers", data={**form(status="vip-ish"), "_csrf": client.csrf()})
    assert unknown.status_code == 422 and form_errors(unknown.text) == ["请从选项中选择。"]

    several = await client.htmx(
        "POST",
        "/customers",
        data={**form(email="not-an-email", district="朝阳区", birthday="2999-01-01"), "_csrf": client.csrf()},
    )
    assert several.status_code == 422
    assert set(form_errors(several.text)) == {
        "请输入有效的邮箱地址。",
        "省、市、区不匹配。",
        "该值超出范围。",
    }
    assert await count_customers(app, tenant) == before


async def test_stale_version_names_who_changed_the_customer_and_keeps_the_input(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 opens the form; meanwhile his manager 刘洋 saves; 张伟's save is refused, not lost."""
    customer_id = await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    zhang = await logged_in(app, tenant, "sales_a")
    opened = await zhang.htmx("GET", f"/customers/{customer_id}/edit", headers=DRAWER)
    assert 'name="version" value="1"' in opened.text

    liu = await logged_in(app, tenant, "manager_a")
    saved = await liu.post_form(
        f"/customers/{customer_id}", form(name="张三丰", mobile="13812345678", version="1")
    )
    assert saved.status_code == 303

    stale = await zhang.htmx(
        "POST",
        f"/customers/{customer_id}",
        data={**form(name="张三丰（改）", version="1"), "_csrf": zhang.csrf()},
    )
    assert stale.status_code == 409
    assert "刘洋" in stale.text and "修改了该客户" in stale.text
    assert field_value(stale.text, "name") == "张三丰（改）"
    assert f'href="/customers/{customer_id}/edit"' in stale.text  # reload link
    assert (await load(app, tenant, customer_id)).name == "张三丰"


async def test_delete_offers_undo_and_the_recycle_bin_restores(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(app, tenant, "sales_a", "张三丰")
    client = await logged_in(app, tenant, "manager_a")

    deleted = await client.htmx("POST", f"/customers/{customer_id}/delete", data={})
    assert deleted.status_code == 200
    undo = json.loads(deleted.headers["HX-Trigger"])["toast-undo"]
    assert undo["url"] == f"/customers/{customer_id}/restore" and undo["label"] == "撤销"
    assert "已移入回收站" in undo["message"]
    assert str(customer_id) not in listed_ids((await client.get("/customers")).text)

    bin_ = await client.get("/customers?trashed=1")
    assert listed_ids(bin_.text) == [str(customer_id)]
    assert f'hx-post="/customers/{customer_id}/restore"' in bin_.text
    detail = await client.get(f"/customers/{customer_id}")
    assert "该客户在回收站中" in detail.text and "刘洋" in detail.text

    restored = await client.htmx("POST", undo["url"], data={})
    assert restored.status_code == 200
    assert json.loads(restored.headers["HX-Trigger"])["toast"] == "已恢复客户 张三丰。"
    assert listed_ids((await client.get("/customers")).text) == [str(customer_id)]
    assert (await load(app, tenant, customer_id)).deleted_at is None


async def test_detail_page_shows_every_field_and_its_history(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(
        app,
        tenant,
        "sales_a",
        "张三丰",
        mobile="13812345678",
        province="北京市",
        city="市辖区",
        district="海淀区",
        address_detail="中关村大街27号",
        source="exhibition",
        status="won",
        tier="vip",
        gender="male",
        birthday="1980-02-03",
        tags=["老客户", "空调"],
        notes="周末联系",
    )
    manager = await logged_in(app, tenant, "manager_a")
    page = await manager.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    for text in (
        "张三丰",
        "13812345678",
        "北京市海淀区中关村大街27号",
        "展会",
        "成交",
        "VIP",
        "男",
        "老客户",
        "空调",
        "周末联系",
        "1980-02-03",
        "张伟",
        "变更记录",
        "创建",
    ):
        assert text in page.text, text
    details = page.text.split("<dl", 1)[1].split("</dl>", 1)[0]
    assert "市辖区" not in details  # placeholder cities are hidden in addresses
    assert 'href="/customers/' + str(customer_id) + '/edit"' in page.text

    # 张伟 may see his customer but not the audit trail (no audit:read).
    own = await logged_in(app, tenant, "sales_a")
    seen = await own.get(f"/customers/{customer_id}")
    assert seen.status_code == 200 and "变更记录" not in seen.text
    assert f'hx-post="/customers/{customer_id}/delete"' not in seen.text  # sales may not delete


async def test_address_picker_options(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    cities = await client.htmx("GET", "/customers/divisions?province=广东省")
    assert '<option value="深圳市">深圳市</option>' in cities.text
    districts = await client.htmx("GET", "/customers/divisions?province=广东省&city=深圳市")
    assert '<option value="南山区">南山区</option>' in districts.text
    beijing = await client.htmx("GET", "/customers/divisions?province=北京市")
    assert '<option value="市辖区">北京市</option>' in beijing.text
    nowhere = await client.htmx("GET", "/customers/divisions?province=火星")
    assert nowhere.status_code == 200 and nowhere.text.count("<option") == 1


async def test_unsafe_requests_without_csrf_token_are_refused(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(app, tenant, "sales_a", "张三丰")
    client = await logged_in(app, tenant, "manager_a")
    before = await count_customers(app, tenant)

    created = await client.post("/customers", data=form())
    assert created.status_code == 403 and "请求被拒绝" in created.text
    deleted = await client.post(f"/customers/{customer_id}/delete", data={"_csrf": "forged"})
    assert deleted.status_code == 403
    assert await count_customers(app, tenant) == before
    assert (await load(app, tenant, customer_id)).deleted_at is None


async def test_english_switch_shows_english_labels(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(
        app, tenant, "sales_a", "张三丰", status="won", tier="silver", source="online"
    )
    client = await logged_in(app, tenant, "admin")
    english = await client.get("/customers?lang=en")
    for text in ("Customers", "New customer", "Recycle bin", "Mobile", "Owner", "Won", "Silver", "Search"):
        assert text in english.text, text
    assert "成交" not in english.text and "新建客户" not in english.text
    # The choice sticks (cookie) for the next pages.
    detail = await client.get(f"/customers/{customer_id}")
    assert "Customer details" in detail.text and "Online" in detail.text
    chinese = await client.get("/customers?lang=zh_CN")
    assert "新建客户" in chinese.text


async def test_total_is_capped_for_very_common_searches(app: Litestar, tenant: TenantKit) -> None:
    """Counting stops at the cap (10,000 by default): the list says "10,000+" rather than waiting."""
    from app.customers.repository import CustomerFilter, Page
    from web.controllers.custom_fields import VIEW
    from web.controllers.customers import CUSTOMER_LIST
    from web.controllers.labels import choice_label, field_label
    from web.kit.lists import ListView, parse_list_query

    who = await actor(app, tenant, "admin")
    template = app.template_engine.get_template("customers/_results.html")
    query = parse_list_query(CUSTOMER_LIST, CustomerFilter, {"q": "秀英"}, 100)
    html_ = template.render(
        view=ListView(CUSTOMER_LIST, query, Page([], 10_000, True, True, "abc"), who, CUSTOMER_LIST.columns),
        query=query,
        tags={},
        cfv=VIEW,
        field_label=field_label,
        choice_label=choice_label,
    )
    assert "共 10,000+ 条" in html_
    assert "下一页" in html_ and "after=abc" in html_


async def test_malformed_customer_ids_are_not_found(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "admin")
    for url in (
        "/customers/not-a-uuid",
        "/customers/00000000-0000-0000-0000-000000000000",
        "/customers/123/edit",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.text
