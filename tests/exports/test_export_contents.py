"""What an exported customer list holds beyond the customer's own fields, and the two issue-8
defects of the export screens: the "export started" notice outlives the export, and the button is
offered for an empty list."""

from __future__ import annotations

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar
from test_export_run import add, final_path, read_csv, reload, request

from app.addresses.service import AddressService
from app.contacts.service import ContactService
from app.exports import service as exports


async def test_contacts_and_addresses_are_columns_and_formulas_stay_text(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    company = await add(app, tenant, "owner", "=宏达电器", kind="company", mobile="13800138111")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await ContactService(session, owner).create(
            {"customer_id": company, "name": "采购王", "title": "经理", "mobile": "13800138112"}
        )
    async with app.state.db.tenant_session(tenant.schema) as session:
        await AddressService(session, owner).create(
            {
                "customer_id": company,
                "kind": "installation",
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "detail": "@科技园1号",
                "recipient": "李工",
            }
        )
    job = await request(app, tenant, "owner", "csv")
    assert (await exports.run_customer_export(app.state.db, tenant.schema, job.id)).startswith("done")
    rows = read_csv(final_path(tenant, await reload(app, tenant, job.id)))
    assert rows[0][-2:] == ["联系人", "地址"]
    (row,) = [r for r in rows[1:] if r[0].endswith("宏达电器")]
    # Cells a spreadsheet would run as a formula start with a quote.
    assert row[0] == "'=宏达电器"
    assert row[-2] == "采购王（经理） 13800138112"
    assert row[-1] == "[安装] 广东省深圳市南山区@科技园1号 李工"


async def test_the_started_notice_goes_once_the_export_is_done(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "owner")
    await add(app, tenant, "owner", "通知测试")
    job = await request(app, tenant, "owner", "csv")
    page = await client.get(f"/exports?started={job.id}")
    assert 'id="export-started"' in page.text  # while it waits
    # The poll that finds nothing running any more takes the notice away (an out-of-band delete).
    assert 'hx-swap-oob="delete"' not in (await client.get("/exports/rows")).text
    assert (await exports.run_customer_export(app.state.db, tenant.schema, job.id)).startswith("done")
    assert 'id="export-started" hx-swap-oob="delete"' in (await client.get("/exports/rows")).text
    assert 'id="export-started"' not in (await client.get(f"/exports?started={job.id}")).text


async def test_no_export_button_for_an_empty_list(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "owner")
    assert 'class="inline export-button"' not in (await client.get("/customers?q=没有这个客户")).text
    await add(app, tenant, "owner", "有一个客户")
    assert 'class="inline export-button"' in (await client.get("/customers")).text
