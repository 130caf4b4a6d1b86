"""The audit page: who changed which customer, how, and from where; filters in the URL; older pages.

刘洋 (manager_a) and 李静 (admin) hold audit:read; 张伟 (sales_a) does not.
"""

from __future__ import annotations

import html
import re

from crm_testkit import TenantKit, integrator, logged_in, token_for
from litestar import Litestar
from web_customers_kit import add_customer


async def test_audit_page_shows_changes_before_and_after(app: Litestar, tenant: TenantKit) -> None:
    customer_id = await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678", status="lead")
    zhang = await logged_in(app, tenant, "sales_a")
    saved = await zhang.post_form(
        f"/customers/{customer_id}",
        {
            "name": "张三丰",
            "kind": "individual",
            "status": "won",
            "mobile": "13912345678",
            "version": "1",
            "owner_id": str(tenant.people["sales_a"]),
        },
    )
    assert saved.status_code == 303

    admin = await logged_in(app, tenant, "admin")
    page = await admin.get("/audit?action=update")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "张伟 <sales.a@" in text  # the actor
    assert "修改" in text and "客户" in text
    # Changed fields only, with their values through the catalog: 潜在 → 成交.
    assert re.search(r"状态</span> <del>潜在</del> → <ins>成交</ins>", text)
    assert re.search(r"手机</span> <del>13812345678</del> → <ins>13912345678</ins>", text)
    assert "姓名</span>" not in text.split("修改", 1)[1]  # the name did not change
    assert f'href="/customers/{customer_id}"' in page.text
    assert "127.0.0.1" in text  # where the change came from


async def test_filters_are_kept_in_the_url_and_applied(app: Litestar, tenant: TenantKit) -> None:
    first = await add_customer(app, tenant, "sales_a", "张三丰")
    await add_customer(app, tenant, "sales_a2", "王小明")
    admin = await logged_in(app, tenant, "admin")

    by_actor = await admin.get(f"/audit?entity=customer&action=create&actor={tenant.people['sales_a']}")
    assert by_actor.status_code == 200
    assert "张三丰" in by_actor.text and "王小明" not in by_actor.text
    assert f'<option value="{tenant.people["sales_a"]}" selected>' in by_actor.text
    assert '<option value="create" selected>' in by_actor.text

    one = await admin.get(f"/audit?entity=customer&entity_id={first}")
    assert "张三丰" in one.text and "王小明" not in one.text

    today = await admin.get("/audit?since=2000-01-01&until=2999-12-31")
    assert "张三丰" in today.text and "王小明" in today.text
    future = await admin.get("/audit?since=2999-01-01")
    assert "没有审计记录。" in future.text


async def test_bad_filters_get_a_message(app: Litestar, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    response = await admin.get("/audit?since=yesterday&action=explode&actor=42&before=abc")
    assert response.status_code == 400
    text = html.unescape(response.text)
    for message in (
        "“yesterday”不是有效的开始日期",
        "“explode”不是有效的操作类型",
        "“42”不是有效的员工",
        "“abc”不是有效的页码",
    ):
        assert message in text, message


async def test_older_pages_by_id(app: Litestar, tenant: TenantKit) -> None:
    for i in range(53):
        await add_customer(app, tenant, "admin", f"客户{i:02d}")
    admin = await logged_in(app, tenant, "admin")
    first = await admin.get("/audit?entity=customer")
    assert first.text.count("<tr>") - 1 == 50  # header row + 50 records
    older = html.unescape(re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)"', first.text).group(1))
    assert "entity=customer" in older  # filters survive paging
    second = await admin.get(older)
    assert second.text.count("<tr>") - 1 == 3
    assert "客户00" in second.text and "客户00" not in first.text
    assert "更早" not in second.text and "最新" in second.text


async def test_only_holders_of_audit_read_see_the_page(app: Litestar, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    refused = await zhang.get("/audit")
    assert refused.status_code == 403 and "无权操作" in refused.text
    assert 'href="/audit"' not in (await zhang.get("/customers")).text  # not in the navigation either
    manager = await logged_in(app, tenant, "manager_a")
    assert (await manager.get("/audit")).status_code == 200


async def test_records_are_named_and_exports_read_in_chinese(app: Litestar, tenant: TenantKit) -> None:
    """The object column names the record (张三丰, not a UUID prefix); an export's request reads as
    申请导出 with its filter in words (标签: 空调), not a raw dictionary."""
    customer_id = str(await add_customer(app, tenant, "admin", "张三丰"))
    admin = await logged_in(app, tenant, "admin")
    requested = await admin.post_form("/exports", {"format": "csv", "tag": "空调", "status": "won"})
    assert requested.status_code in (200, 303), requested.text[:300]

    page = await admin.get("/audit")
    text = html.unescape(page.text)
    assert f'<a href="/customers/{customer_id}">张三丰</a>' in text
    assert customer_id[:8] not in text.replace(f"/customers/{customer_id}", "")
    assert "申请导出" in text and "'tag'" not in text and "{'" not in text
    assert re.search(r"筛选</span> <ins>[^<]*状态: 成交", text), text[text.rfind("申请导出") - 200 :][:900]

    by_action = await admin.get("/audit?action=download")
    assert by_action.status_code == 200 and "不是有效的" not in html.unescape(by_action.text)
    assert re.search(
        r'<option value="request"\s*>申请导出</option>', html.unescape((await admin.get("/audit")).text)
    )


async def test_changes_through_the_api_say_which_token_and_from_where(
    app: Litestar, tenant: TenantKit
) -> None:
    """An integrator's change names the staff member, the token ("test") and the address it came from."""
    erp = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    created = await erp.post(
        "/graphql", json={"query": 'mutation { createCustomer(input: {name: "接口客户"}) { __typename } }'}
    )
    assert created.status_code == 200 and "error" not in created.text.lower(), created.text
    admin = await logged_in(app, tenant, "admin")
    text = html.unescape((await admin.get("/audit?entity=customer&action=create")).text)
    row = text[text.index("接口客户") - 1500 : text.index("接口客户")]
    assert "· API: test" in row and "127.0.0.2" in row, row[-700:]
