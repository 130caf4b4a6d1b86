"""The pipeline in the admin, as 张伟 and his manager 刘洋 use it: the board shows each stage's
deals with their count and sum, a drag that a guard refuses answers 422 with the reason (the
board's script puts the card back), a lost deal needs its reason, the list, a deal's page with its
stage history, the forecast with a target set by the manager, the contracts list; 李娜 (the other
team) finds none of it."""

from __future__ import annotations

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from pipeline_world import deal, deals, open_pipeline


async def test_the_board_moves_a_card_and_refuses_what_a_guard_refuses(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, name="王总别墅中央空调", amount="86000"))
    deal_id = created.id
    await sales.session.close()
    zhang = await logged_in(app, tenant, "sales_a")

    board = await zhang.get("/opportunities")
    assert board.status_code == 200
    assert "王总别墅中央空调" in board.text and "¥86,000" in board.text
    assert 'data-stage="qualify"' in board.text and "Sortable.min.js" in board.text

    # Dragged straight to 方案报价 without an expected close date: refused with the reason.
    refused = await zhang.htmx("POST", f"/opportunities/{deal_id}/move", {"to": "proposal", "version": "1"})
    assert refused.status_code == 422
    assert "data-reason" in refused.text
    lost = await zhang.htmx("POST", f"/opportunities/{deal_id}/move", {"to": "lost", "version": "1"})
    assert lost.status_code == 422
    moved = await zhang.htmx("POST", f"/opportunities/{deal_id}/move", {"to": "needs", "version": "1"})
    assert moved.status_code == 200 and 'data-version="2"' in moved.text
    # Without script (a phone's select with no JS): the board again, with the reason.
    again = await zhang.post_form(
        f"/opportunities/{deal_id}/move", {"to": "lost", "version": "2", "back": "board"}
    )
    assert again.status_code == 422 and 'id="pipeline-refusal"' in again.text
    done = await zhang.post_form(
        f"/opportunities/{deal_id}/move",
        {"to": "lost", "version": "2", "lost_reason": "预算砍掉", "back": "board"},
    )
    assert done.status_code == 303

    page = await zhang.get(f"/opportunities/{deal_id}")
    assert page.status_code == 200 and "预算砍掉" in page.text
    listed = await zhang.get("/opportunities/list?stage=lost")
    assert "王总别墅中央空调" in listed.text

    li = await logged_in(app, tenant, "sales_b")
    assert (await li.get(f"/opportunities/{deal_id}")).status_code == 404
    assert "王总别墅中央空调" not in (await li.get("/opportunities")).text
    hidden = await li.htmx("POST", f"/opportunities/{deal_id}/move", {"to": "qualify", "version": "3"})
    assert hidden.status_code == 404


async def test_forecast_page_and_targets(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    await sales.create(deal(world, amount="10000"))
    await sales.session.close()
    manager = await logged_in(app, tenant, "manager_a")
    page = await manager.get("/opportunities/forecast")
    assert page.status_code == 200 and "/opportunities/targets" in page.text
    bad = await manager.post_form(
        "/opportunities/targets",
        {"holder": f"user:{tenant.people['sales_a']}", "month": "2026-13", "amount": "-5"},
    )
    assert bad.status_code == 422
    from datetime import date

    month = date.today().strftime("%Y-%m")
    ok = await manager.post_form(
        "/opportunities/targets",
        {"holder": f"user:{tenant.people['sales_a']}", "month": month, "amount": "30000"},
    )
    assert ok.status_code == 303
    assert "¥30,000" in (await manager.get("/opportunities/forecast")).text
    zhang = await logged_in(app, tenant, "sales_a")
    mine = await zhang.get("/opportunities/forecast")
    assert mine.status_code == 200 and "/opportunities/targets" not in mine.text
    assert (await zhang.get("/contracts")).status_code == 200


async def test_a_new_deal_from_the_form(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    zhang = await logged_in(app, tenant, "sales_a")
    form = await zhang.get(f"/opportunities/new?customer_id={world.customers['sales_a']}")
    assert form.status_code == 200 and "赵敏" in form.text
    # 李娜's customer is not offered, and posting it anyway reads like no customer at all.
    assert "孙悦" not in form.text
    refused = await zhang.post_form(
        "/opportunities/new",
        {"name": "", "customer_id": str(world.customers["sales_b"]), "probability": "150"},
    )
    assert refused.status_code == 422
    assert len(form_errors(refused.text)) == 2  # the name and the probability
    foreign = await zhang.post_form(
        "/opportunities/new", {"name": "偷单", "customer_id": str(world.customers["sales_b"])}
    )
    assert foreign.status_code == 422
    assert form_errors(foreign.text) == ["请选择您可见的客户。"]
    made = await zhang.post_form(
        "/opportunities/new",
        {"name": "厨房电器换新", "customer_id": str(world.customers["sales_a"]), "amount": "12000"},
    )
    assert made.status_code == 303
    page = await zhang.get(made.headers["location"])
    assert "厨房电器换新" in page.text and "初步接洽" in page.text
