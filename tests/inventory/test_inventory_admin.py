"""The inventory pages as 刘洋 (manager) and 孙强 (technician, on a phone) use them: receiving by
scanning serial numbers, levels per warehouse, a unit's history, replenishment, the catalog."""

from __future__ import annotations

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from stock_world import level, open_shop, stock


async def test_a_clerk_receives_by_scanning_and_sees_the_stock(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await logged_in(app, tenant, "manager_a")
    form = await clerk.get("/inventory/receive")
    assert form.status_code == 200 and 'name="serial_numbers"' in form.text
    # The scanner typed three numbers, each ended by Enter; the quantity is counted from them.
    done = await clerk.post_form(
        "/inventory/receive",
        {
            "warehouse_id": str(shop.shop),
            "product_id": str(shop.fridge),
            "serial_numbers": "HR01\r\nHR02\nHR03\n",
        },
    )
    assert done.status_code == 303, done.text
    assert await level(app, tenant, shop.fridge, shop.shop) == (3, 0)
    levels = await clerk.get("/inventory", params={"warehouse": str(shop.shop)})
    assert levels.status_code == 200 and "海尔十字门冰箱" in levels.text and "西湖门店" in levels.text
    unit = await clerk.get("/inventory/serials", params={"q": "HR02"})
    assert unit.status_code == 200 and "西湖门店" in unit.text and "入库" in unit.text
    product = await clerk.get(f"/catalog/products/{shop.fridge}")
    assert product.status_code == 200 and "HR-BCD-470" in product.text and "HR03" in product.text
    listed = await clerk.get("/catalog/products", params={"q": "冰箱"})
    assert "海尔十字门冰箱" in listed.text and "PP棉滤芯" not in listed.text


async def test_a_bad_receipt_shows_every_problem_and_moves_nothing(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await logged_in(app, tenant, "manager_a")
    refused = await clerk.post_form(
        "/inventory/receive",
        {"warehouse_id": "", "product_id": str(shop.fridge), "serial_numbers": "HR01\nHR01", "quantity": "3"},
    )
    assert refused.status_code == 422
    errors = form_errors(refused.text)
    assert "请从列表中选择仓库。" in errors and "此序列号重复扫描。" in errors
    # What was scanned stays in the box to correct.
    assert "HR01\nHR01" in refused.text
    assert await level(app, tenant, shop.fridge, shop.shop) == (0, 0)


async def test_who_sees_what(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    clerk = await stock(app, tenant, "manager_a")
    await clerk.receive(product_id=shop.filters, warehouse_id=shop.shop, quantity=40)
    await clerk.issue(product_id=shop.filters, warehouse_id=shop.shop, quantity=35)
    await clerk.session.close()
    sales = await logged_in(app, tenant, "sales_a")
    # A salesperson reads stock, but the receiving form is not theirs.
    assert (await sales.get("/inventory")).status_code == 200
    assert (await sales.get("/inventory/receive")).status_code == 403
    page = await sales.get("/inventory/replenishment")
    assert page.status_code == 200 and "PP棉滤芯" in page.text
    marketing = await logged_in(app, tenant, "marketing")
    assert (await marketing.get("/catalog/products")).status_code == 200
    assert (await marketing.get("/inventory")).status_code == 403
