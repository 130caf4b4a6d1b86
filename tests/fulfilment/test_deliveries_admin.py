"""The deliveries pages: 孙强 opens his day on the phone, taps 出发 and 完成, adds a note and a
photo; a failure needs a reason; the service manager's week shows the visit; a visit of another
technician or another dealer reads as absent."""

from __future__ import annotations

from datetime import timedelta

from crm_testkit import TenantKit, actor, logged_in
from fulfilment_world import approved_order, open_dealer
from litestar import Litestar

from app.deliveries.service import BookingService, today


async def _visit(app: Litestar, tenant: TenantKit, **extra):  # type: ignore[no-untyped-def]
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    async with app.state.db.tenant_session(tenant.schema) as session:
        booked = await BookingService(session, await actor(app, tenant, "sales_a")).book(
            {
                "order_id": order_id,
                "scheduled_on": today(),
                "slot": "afternoon",
                "team_id": dealer.team,
                "technician_ids": [tenant.people["technician"]],
                **extra,
            }
        )
        return dealer, booked.id


async def test_a_technician_works_his_day_from_the_phone(app: Litestar, tenant: TenantKit) -> None:
    _dealer, visit_id = await _visit(app, tenant)
    client = await logged_in(app, tenant, "technician")
    day = await client.get("/deliveries/my-day")
    assert day.status_code == 200 and "赵敏" in day.text and "文三路 88 号" in day.text
    assert tenant.slug in day.text or "<title>" in day.text
    moved = await client.post_form(
        f"/deliveries/{visit_id}/status",
        {"status": "on_the_way", "version": "1", "back": "/deliveries/my-day"},
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/deliveries/my-day")
    # A stale page (version 1 again) is refused and says so.
    stale = await client.post_form(f"/deliveries/{visit_id}/status", {"status": "done", "version": "1"})
    assert stale.status_code == 409 or stale.status_code == 422
    noted = await client.post_form(f"/deliveries/{visit_id}/notes", {"notes": "旧机已拆走"})
    assert noted.status_code == 303
    token = await client.ensure_csrf()
    photo = await client.post(
        f"/deliveries/{visit_id}/photos",
        files=[("photo", ("现场.png", b"\x89PNG\r\n\x1a\n fake", "image/png"))],
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert photo.headers.get("hx-redirect") == f"/deliveries/{visit_id}", photo.text
    wrong = await client.post(
        f"/deliveries/{visit_id}/photos",
        files=[("photo", ("x.txt", b"hello", "text/plain"))],
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert wrong.status_code == 422 and "JPEG" in wrong.text
    failed = await client.post_form(
        f"/deliveries/{visit_id}/status", {"status": "failed", "version": "4", "reason": ""}
    )
    assert failed.status_code == 422
    done = await client.post_form(f"/deliveries/{visit_id}/status", {"status": "done", "version": "4"})
    assert done.status_code == 303
    page = await client.get(f"/deliveries/{visit_id}")
    assert "旧机已拆走" in page.text and f"/deliveries/{visit_id}/photos/0" in page.text
    image = await client.get(f"/deliveries/{visit_id}/photos/0")
    assert image.content.startswith(b"\x89PNG") and image.headers["content-type"] == "image/png"


async def test_the_managers_week_and_what_others_cannot_see(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    _dealer, visit_id = await _visit(app, tenant)
    manager = await logged_in(app, tenant, "manager_a")
    week = await manager.get("/deliveries")
    assert week.status_code == 200 and "赵敏" in week.text and "安装一队" in week.text
    later = await manager.get(f"/deliveries?from={(today() + timedelta(days=7)).isoformat()}&team=nonsense")
    assert later.status_code == 200 and "赵敏" not in later.text
    # 马超-less: 孙强's visit is not 李娜's (sales of another team) to see... but sales booked it:
    marketing = await logged_in(app, tenant, "marketing")
    assert (await marketing.get("/deliveries")).status_code == 403
    stranger = await logged_in(app, other_tenant, "owner")
    assert (await stranger.get(f"/deliveries/{visit_id}")).status_code == 404
    assert (await stranger.get(f"/deliveries/{visit_id}/photos/0")).status_code == 404
