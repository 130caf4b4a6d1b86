"""The list page's saved-view tabs, batch verbs with the undo toast and "all N matching", and the
tag settings page, through the admin as a browser uses it."""

from __future__ import annotations

import json
import re
from typing import Any

from crm_testkit import TenantKit, logged_in
from sqlalchemy import select

from app.customers.models import Customer, Tag
from app.saved_views.models import SavedView


async def _create(client: Any, name: str, mobile: str, **extra: str) -> None:
    response = await client.post_form(
        "/customers", {"name": name, "kind": "individual", "mobile": mobile, **extra}
    )
    assert response.status_code == 303, response.text


async def test_save_the_list_as_a_view_and_open_its_tab(app: Any, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    await _create(zhang, "金一", "13300000001", tier="gold")
    await _create(zhang, "银一", "13300000002", tier="silver")
    saved = await zhang.post_form(
        "/views",
        {
            "entity": "customer",
            "list": "/customers",
            "name": "金卡客户",
            "query": "tier=gold&sort=name&dir=asc",
            "columns": "name",
        },
    )
    assert saved.status_code == 303
    location = saved.headers["location"]
    assert location.startswith("/customers?") and "view=" in location and "tier=gold" in location
    page = await zhang.get(location)
    assert page.status_code == 200
    html = page.text
    assert "金卡客户" in html and "金一" in html and "银一" not in html
    # The view keeps only the name column: no mobile header.
    assert 'data-label="手机"' not in html and 'data-label="Mobile"' not in html
    async with app.state.db.tenant_session(tenant.schema) as session:
        view = await session.scalar(select(SavedView))
    assert view is not None and (view.filters, view.sort, view.descending, view.columns) == (
        {"tier": "gold"},
        "name",
        False,
        ["name"],
    )
    # An unknown column in the form is refused with a message on the list, nothing saved.
    bad = await zhang.post_form(
        "/views", {"entity": "customer", "list": "/customers", "name": "坏", "columns": "salary"}
    )
    assert "view_error=" in bad.headers["location"]
    # Someone else's private view id opens the default view.
    wang = await logged_in(app, tenant, "sales_a2")
    other = await wang.get(f"/customers?view={view.id}")
    assert other.status_code == 200 and "金卡客户" not in other.text


async def test_a_batch_from_the_bulk_bar_offers_its_undo(app: Any, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    for i in range(3):
        await _create(admin, f"批量{i}", f"1330000010{i}", tier="gold")
    async with app.state.db.tenant_session(tenant.schema) as session:
        ids = [str(i) for i in (await session.scalars(select(Customer.id))).all()]
    answer = await admin.htmx(
        "POST", "/customers/bulk", {"verb": "add_tags", "value": "团购", "ids": ids[:2], "next": "/customers"}
    )
    trigger = json.loads(answer.headers["HX-Trigger"])
    undo = trigger["toast-undo"]
    assert undo["url"].startswith("/batches/") and undo["url"].endswith("/undo")
    assert "2" in undo["message"]
    # "All 3 matching" the filter: every gold customer, on this page or not.
    everything = await admin.htmx(
        "POST", "/customers/bulk", {"verb": "stage", "value": "interested", "all": "1", "query": "tier=gold"}
    )
    assert "toast-undo" in json.loads(everything.headers["HX-Trigger"])
    undone = await admin.htmx("POST", undo["url"])
    assert "toast" in json.loads(undone.headers["HX-Trigger"])
    again = await admin.htmx("POST", undo["url"])
    assert (
        json.loads(again.headers["HX-Trigger"])["toast"] != json.loads(undone.headers["HX-Trigger"])["toast"]
    )
    async with app.state.db.tenant_session(tenant.schema) as session:
        stages = set((await session.scalars(select(Customer.status))).all())
    assert stages == {"interested"}


async def test_the_tag_page_for_managers_only(app: Any, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    await _create(admin, "标签一", "13300000201", tags="空调, 冰箱")
    page = await admin.get("/settings/tags")
    assert page.status_code == 200 and "空调" in page.text and tenant.slug in page.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        tags = dict((await session.execute(select(Tag.name, Tag.id))).all())
    itself = await admin.post_form(f"/settings/tags/{tags['空调']}/merge", {"into": str(tags["空调"])})
    assert itself.status_code == 422
    merged = await admin.post_form(f"/settings/tags/{tags['冰箱']}/merge", {"into": str(tags["空调"])})
    assert merged.status_code == 303
    renamed = await admin.post_form(f"/settings/tags/{tags['空调']}", {"name": "大家电", "color": "green"})
    assert renamed.status_code == 303
    page = await admin.get("/settings/tags?done=saved")
    assert re.search(r'tag-green">大家电<', page.text)
    sales = await logged_in(app, tenant, "sales_a")
    assert (await sales.get("/settings/tags")).status_code == 403
