"""The stocktake pages: 刘洋 starts a count of the 西湖门店 shop, scans the fridges with the scanner
box, types the filters' count and approves; a bad scan is refused inline; another dealer's sheet
reads as absent."""

from __future__ import annotations

from crm_testkit import TenantKit, logged_in
from fulfilment_world import level, open_dealer
from litestar import Litestar


async def test_a_count_from_the_pages(app: Litestar, tenant: TenantKit, other_tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"], filters=10)
    client = await logged_in(app, tenant, "manager_a")
    opened = await client.post_form("/inventory/counts", {"warehouse_id": str(dealer.shop)})
    assert opened.status_code == 303
    sheet = opened.headers["location"]
    page = await client.get(sheet)
    assert page.status_code == 200 and "海尔十字门冰箱" in page.text and "data-scanner" in page.text
    refused = await client.post_form(f"{sheet}/scan", {"serial_numbers": "HR001\nNOPE"})
    assert refused.status_code == 422 and "alert" in refused.text
    assert (await client.post_form(f"{sheet}/scan", {"serial_numbers": "HR001\nHR002\n"})).status_code == 303
    counted = await client.post_form(f"{sheet}/count", {"product_id": str(dealer.filters), "quantity": "9"})
    assert counted.status_code == 303
    approved = await client.post_form(f"{sheet}/approve", {"version": "1"})
    assert approved.status_code == 303
    assert await level(app, tenant, dealer.filters, dealer.shop) == (9, 0)
    listed = await client.get("/inventory/counts")
    assert sheet.rsplit("/", 1)[1] in listed.text
    stranger = await logged_in(app, other_tenant, "owner")
    assert (await stranger.get(sheet)).status_code == 404
    # Without inventory rights the pages are closed.
    marketing = await logged_in(app, tenant, "marketing")
    assert (await marketing.get("/inventory/counts")).status_code == 403
