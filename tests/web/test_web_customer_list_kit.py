"""The customer list on the kit's list page: the position and both page links, bad filter values
answered with a message (never a 500), and the bulk bar, which runs each verb one customer at a time
through the service: what the person may not do, or may not see, is refused and counted, and a
bulk delete can be undone.

The cast: 张伟 (sales_a) and 王芳 (sales_a2) sell in 刘洋's (manager_a) team; 李娜 (sales_b) in
another team; 李静 is the admin.
"""

from __future__ import annotations

import html
import json
import re
import uuid

from crm_testkit import TenantKit, logged_in
from litestar import Litestar
from web_customers_kit import add_customer, listed_ids, load

from app.customers import service as customers
from app.kit.fields import LOCAL_TZ


async def test_previous_page_goes_back_by_keyset_with_the_position(app: Litestar, tenant: TenantKit) -> None:
    """Ten per page over 25 customers: page 3 says 第 21–25 条 and its previous link shows 11–20."""
    for i in range(25):
        await add_customer(app, tenant, "admin", f"翻页客户{i:02d}")
    client = await logged_in(app, tenant, "admin")
    pages = [listed_ids((first := await client.get("/customers?size=10")).text)]
    assert "第 1–10 条 / 共 25 条" in first.text
    page = first
    for _ in range(2):
        link = html.unescape(re.search(r'rel="next" href="([^"]+)"', page.text).group(1))
        page = await client.get(link)
        pages.append(listed_ids(page.text))
    assert "第 21–25 条 / 共 25 条" in page.text and len(pages[2]) == 5
    back = html.unescape(re.search(r'rel="prev" href="([^"]+)"', page.text).group(1))
    assert "before=" in back and "p=2" in back
    previous = await client.get(back)
    assert listed_ids(previous.text) == pages[1] and "第 11–20 条 / 共 25 条" in previous.text
    # Every page together is every customer once.
    assert len({i for p in pages for i in p}) == 25


async def test_sorting_by_a_column_header_says_so_to_screen_readers(app: Litestar, tenant: TenantKit) -> None:
    await add_customer(app, tenant, "admin", "乙客户")
    await add_customer(app, tenant, "admin", "甲客户")
    client = await logged_in(app, tenant, "admin")
    page = await client.get("/customers?sort=name")
    assert '<th aria-sort="ascending" class="sortable">' in page.text
    # The name header's link turns the order round; the other sortable header offers its own order.
    assert 'href="/customers?sort=name&amp;dir=desc"' in page.text
    assert 'href="/customers?sort=updated_at"' in page.text


async def test_bad_filter_values_get_a_message_and_the_rest_still_filters(
    app: Litestar, tenant: TenantKit
) -> None:
    """An inverted date range, a bad date, control characters and an unknown tier each get a message
    (400, the list still shown); nothing reaches the database as a broken query."""
    await add_customer(app, tenant, "admin", "筛选客户", tier="gold")
    client = await logged_in(app, tenant, "admin")

    inverted = await client.get("/customers?created.from=2026-05-01&created.to=2026-01-01&tier=gold")
    assert inverted.status_code == 400
    assert "结束日期早于开始日期，已忽略该日期范围。" in inverted.text
    assert len(listed_ids(inverted.text)) == 1  # the tier filter still applies

    bad_date = await client.get("/customers?created.from=2026-13-45")
    assert bad_date.status_code == 400 and "“2026-13-45”不是有效的创建时间" in html.unescape(bad_date.text)

    control = await client.get("/customers?q=%E7%AD%9B%01%E9%80%89")
    assert control.status_code == 400 and "含有不允许的字符" in control.text

    unknown = await client.get("/customers?tier=diamond")
    assert unknown.status_code == 400 and "“diamond”不是有效的等级" in html.unescape(unknown.text)

    long_search = await client.get("/customers?q=" + "家" * 1000)
    assert long_search.status_code == 400 and "搜索内容过长" in long_search.text


async def test_a_date_range_keeps_customers_created_within_it(app: Litestar, tenant: TenantKit) -> None:
    made = await add_customer(app, tenant, "admin", "今天的客户")
    # Days are China's (Asia/Shanghai), as dealers count them.
    day = (await load(app, tenant, made)).created_at.astimezone(LOCAL_TZ).date().isoformat()
    client = await logged_in(app, tenant, "admin")
    within = await client.get(f"/customers?created.from={day}&created.to={day}")
    assert within.status_code == 200 and listed_ids(within.text) == [str(made)]
    # The date filter stays in the page's links and in the export button's fields.
    assert f'name="created.from" value="{day}"' in within.text
    before = await client.get("/customers?created.to=2000-01-01")
    assert listed_ids(before.text) == []
    assert "没有符合筛选条件的记录。" in before.text and "清除筛选" in before.text


async def test_an_empty_list_says_what_to_do_next(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "admin")
    page = await client.get("/customers")
    assert "还没有客户。" in page.text and "添加第一条后，它会显示在这里。" in page.text
    trash = await client.get("/customers?trashed=1")
    assert "删除的记录会保留在这里，可以恢复。" in trash.text


def _toast(response: object) -> dict[str, object]:
    return json.loads(response.headers["HX-Trigger"])  # type: ignore[attr-defined]


async def test_bulk_delete_counts_refusals_and_can_be_undone(app: Litestar, tenant: TenantKit) -> None:
    """刘洋 (a manager, team scope) deletes three ticked customers: his team's two go to the recycle bin;
    李娜's (another team) reads as not found and stays; a made-up id is refused the same way. The toast
    says so and its undo brings the two back."""
    mine = await add_customer(app, tenant, "sales_a", "批量甲")
    ours = await add_customer(app, tenant, "sales_a2", "批量乙")
    theirs = await add_customer(app, tenant, "sales_b", "批量丙")
    manager = await logged_in(app, tenant, "manager_a")
    ids = [str(mine), str(ours), str(theirs), str(uuid.uuid4())]
    response = await manager.htmx("POST", "/customers/bulk", {"verb": "delete", "ids": ids})
    assert response.status_code == 200
    undo = _toast(response)["toast-undo"]
    assert undo["message"] == "已完成 2 条，2 条被拒绝（不存在或不在您的范围内: 2）。"  # type: ignore[index]
    assert (await load(app, tenant, mine)).deleted_at is not None
    assert (await load(app, tenant, ours)).deleted_at is not None
    assert (await load(app, tenant, theirs)).deleted_at is None
    assert "customers-changed" in _toast(response)

    # The undo link (the batch's undo) restores exactly the two that were deleted.
    restored = await manager.htmx("POST", undo["url"])  # type: ignore[index]
    assert restored.status_code == 200 and "恢复 2 条" in _toast(restored)["toast"]  # type: ignore[operator]
    assert (await load(app, tenant, mine)).deleted_at is None
    assert (await load(app, tenant, ours)).deleted_at is None


async def test_bulk_verbs_need_their_permission(app: Litestar, tenant: TenantKit) -> None:
    """张伟 (sales) may not delete: every ticked customer is refused for want of permission, none
    deleted; the list shows him no delete in the bulk bar."""
    mine = await add_customer(app, tenant, "sales_a", "不许删")
    sales = await logged_in(app, tenant, "sales_a")
    response = await sales.htmx("POST", "/customers/bulk", {"verb": "delete", "ids": [str(mine)]})
    assert _toast(response)["toast"] == "已完成 0 条，1 条被拒绝（无权限: 1）。"
    assert (await load(app, tenant, mine)).deleted_at is None
    page = await sales.get("/customers")
    assert '<option value="delete"' not in page.text and '<option value="owner"' in page.text


async def test_bulk_owner_change_and_tag_go_through_the_service(app: Litestar, tenant: TenantKit) -> None:
    """李静 gives two customers to 王芳 and tags them 团购: each change is its own audited update
    (version up by one), and tags already there are kept."""
    first = await add_customer(app, tenant, "sales_a", "换人甲", tags=["老客户"])
    second = await add_customer(app, tenant, "sales_a", "换人乙")
    admin = await logged_in(app, tenant, "admin")
    given = [str(first), str(second)]
    owner = str(tenant.people["sales_a2"])
    # Each batch is one job, undoable from its toast.
    moved = await admin.htmx("POST", "/customers/bulk", {"verb": "owner", "value": owner, "ids": given})
    assert _toast(moved)["toast-undo"]["message"] == "已完成 2 条"  # type: ignore[index]
    tagged = await admin.htmx("POST", "/customers/bulk", {"verb": "add_tags", "value": "团购", "ids": given})
    assert _toast(tagged)["toast-undo"]["message"] == "已完成 2 条"  # type: ignore[index]
    for customer_id in (first, second):
        record = await load(app, tenant, customer_id)
        assert record.owner_id == tenant.people["sales_a2"] and record.version == 3
    async with app.state.db.tenant_session(tenant.schema) as session:
        tags = await customers.tag_names(session, [first, second])
    assert tags[first] == ["团购", "老客户"] and tags[second] == ["团购"]

    # A tag that is too long is refused per customer, nothing changes.
    refused = await admin.htmx(
        "POST", "/customers/bulk", {"verb": "add_tags", "value": "长" * 31, "ids": given}
    )
    assert _toast(refused)["toast"] == "已完成 0 条，2 条被拒绝（数据不符合要求: 2）。"


async def test_a_bulk_post_without_javascript_goes_back_to_the_list(app: Litestar, tenant: TenantKit) -> None:
    mine = await add_customer(app, tenant, "admin", "无脚本")
    admin = await logged_in(app, tenant, "admin")
    response = await admin.post_form(
        "/customers/bulk", {"verb": "delete", "ids": str(mine), "next": "/customers?sort=name"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/customers?sort=name"
    assert (await load(app, tenant, mine)).deleted_at is not None
    elsewhere = await admin.post_form(
        "/customers/bulk", {"verb": "restore", "ids": str(mine), "next": "//evil"}
    )
    assert elsewhere.headers["location"] == "/customers"
