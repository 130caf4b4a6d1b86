"""Delivery and installation booking: 张伟 books a visit for 赵敏's approved fridge order with
安装一队 (孙强); the team takes a set number of visits per slot; 孙强 moves it along on his phone;
赵敏 is texted at each step and the visit is on her timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crm_testkit import TenantKit, actor
from fulfilment_world import approved_order, codes, hire_second_technician, open_dealer
from litestar import Litestar
from sqlalchemy import select

from app.deliveries.service import BookingService, Upload, today
from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.notifications.channels import RecordingChannel
from app.notifications.customers import deliver_customer_messages
from app.notifications.models import Notification
from app.orders.service import OrderService
from app.timeline import service as timeline


def visit(dealer, order_id, **extra):  # type: ignore[no-untyped-def]
    return {
        "order_id": order_id,
        "kind": "both",
        "scheduled_on": (today() + timedelta(days=1)).isoformat(),
        "slot": "morning",
        "team_id": dealer.team,
        "technician_ids": [dealer.kit.people["technician"]],
        **extra,
    }


async def test_a_visit_is_booked_worked_and_texted(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    sales = await actor(app, tenant, "sales_a")
    technician = await actor(app, tenant, "technician")
    async with app.state.db.tenant_session(tenant.schema) as session:
        bookings = BookingService(session, sales)
        bookings.dealer_name = "西湖家电"
        booked = await bookings.book(visit(dealer, order_id))
        booking_id = booked.id
        # No address chosen: the customer's installation address, its phone for the SMS.
        assert booked.address.startswith("浙江省杭州市西湖区文三路 88 号")
        assert (booked.status, booked.contact_phone) == ("booked", "13800138000")
        told = await session.scalar(
            select(Notification).where(Notification.recipient_id == technician.user_id)
        )
        assert told is not None and told.link == f"/deliveries/{booking_id}"
    async with app.state.db.tenant_session(tenant.schema) as session:
        mine = BookingService(session, technician)
        [job] = await mine.day(today() + timedelta(days=1), mine=True)
        job = await mine.set_status(job.id, job.version, "on_the_way")
        job = await mine.add_note(job.id, "客户要求先拆旧机")
        job = await mine.add_photo(
            job.id, tenant.schema, Upload("装好了.jpg", "image/jpeg", b"\xff\xd8\xff fake jpeg")
        )
        job = await mine.set_status(job.id, job.version, "done")
        assert job.status == "done" and job.finished_at is not None
        assert "客户要求先拆旧机" in (job.notes or "") and job.photos[0]["name"] == "装好了.jpg"
        item, handle = await mine.photo(job.id, tenant.schema, 0)
        assert handle.read() == b"\xff\xd8\xff fake jpeg"
        handle.close()
    sms = RecordingChannel("sms")
    run = await deliver_customer_messages(app.state.db, tenant.schema, {"sms": sms})
    assert run.sent == 3
    assert [m.to_email for m in sms.sent] == ["13800138000"] * 3
    assert sms.sent[0].body.startswith("【西湖家电】您的送货安装已预约")
    assert "师傅已出发" in sms.sent[1].body
    # Sent once: a second sweep finds nothing due.
    assert (await deliver_customer_messages(app.state.db, tenant.schema, {"sms": sms})).sent == 0
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await timeline.customer_timeline(session, sales, dealer.customer, kinds_wanted=["booking"])
        # Each audited change of the visit: booked, on the way, the note, the photo, done.
        assert [e.data["action"] for e in reversed(page.items)] == [
            "create",
            "status",
            "update",
            "photo",
            "status",
        ]


async def test_a_full_slot_is_refused(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"])
    first, second = await approved_order(app, dealer), await approved_order(app, dealer)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        bookings = BookingService(session, manager)
        assert await bookings.set_capacity(dealer.team, 1) == 1
        booked = await bookings.book(visit(dealer, first))
        booked_id, booked_version = booked.id, booked.version
        with pytest.raises(ValidationFailed) as caught:
            await bookings.book(visit(dealer, second))
        assert codes(caught.value) == [("slot", "slot_full")]
        # The afternoon has room; a cancelled visit frees its place.
        await bookings.book(visit(dealer, second, slot="afternoon"))
        await bookings.set_status(booked_id, booked_version, "cancelled")
        await bookings.book(visit(dealer, second))


async def test_rescheduling_moves_the_visit_and_checks_the_new_slot(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"])
    first, second = await approved_order(app, dealer), await approved_order(app, dealer)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        bookings = BookingService(session, manager)
        await bookings.set_capacity(dealer.team, 1)
        a = await bookings.book(visit(dealer, first))
        b = await bookings.book(visit(dealer, second, slot="evening"))
        a_id, a_version = a.id, a.version
        with pytest.raises(ValidationFailed) as caught:
            await bookings.reschedule(b.id, b.version, {"scheduled_on": a.scheduled_on, "slot": "morning"})
        assert codes(caught.value) == [("slot", "slot_full")]
        # Moving a visit within its own slot's day is not a clash with itself.
        moved = await bookings.reschedule(
            a_id, a_version, {"scheduled_on": today() + timedelta(days=2), "slot": "morning"}
        )
        assert (moved.status, moved.scheduled_on) == ("rescheduled", today() + timedelta(days=2))


async def test_bad_bookings_are_refused(app: Litestar, tenant: TenantKit, other_tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        orders = OrderService(session, sales)
        draft = await orders.create(
            {
                "customer_id": dealer.customer,
                "warehouse_id": dealer.shop,
                "lines": [{"product_id": dealer.fridge, "quantity": 1}],
            }
        )
        draft_id = draft.id
        cancelled = await orders.transition(draft_id, "cancelled", draft.version)
        bookings = BookingService(session, sales)
        with pytest.raises(ValidationFailed) as caught:
            await bookings.book(visit(dealer, cancelled.id))
        assert codes(caught.value) == [("order_id", "order_not_bookable")]
        # 李娜 is in 门店二组, not the install team; yesterday is gone; the slot is not a slot.
        with pytest.raises(ValidationFailed) as caught:
            await bookings.book(
                visit(
                    dealer,
                    order_id,
                    technician_ids=[tenant.people["technician"], tenant.people["sales_b"]],
                    scheduled_on=(today() - timedelta(days=1)).isoformat(),
                    slot="midnight",
                )
            )
        assert codes(caught.value) == [
            ("slot", "invalid_choice"),
            ("technician_ids.1", "technician_not_in_team"),
            ("scheduled_on", "in_the_past"),
        ]
        with pytest.raises(ValidationFailed) as caught:
            await bookings.book(visit(dealer, order_id, team_id=None, technician_ids=[], address_id="x"))
        assert codes(caught.value) == [
            ("team_id", "unknown_team"),
            ("technician_ids", "required"),
            ("address_id", "unknown_address"),
        ]
    # Another dealer's order id names nothing here.
    elsewhere = await open_dealer(app, other_tenant, fridges=["OT1"])
    their_order = await approved_order(app, elsewhere)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await BookingService(session, sales).book(visit(dealer, their_order))
        assert codes(caught.value) == [("order_id", "unknown_order")]


async def test_moves_follow_the_visit_status(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    technician = await actor(app, tenant, "technician")
    async with app.state.db.tenant_session(tenant.schema) as session:
        booked = await BookingService(session, await actor(app, tenant, "sales_a")).book(
            visit(dealer, order_id)
        )
        booked_id, version = booked.id, booked.version
        mine = BookingService(session, technician)
        with pytest.raises(ValidationFailed) as caught:
            await mine.set_status(booked_id, version, "done")
        assert codes(caught.value) == [("status", "not_allowed_status")]
        with pytest.raises(ValidationFailed) as caught:
            await mine.set_status(booked_id, version, "failed", "")
        assert codes(caught.value) == [("reason", "reason_required")]
        failed = await mine.set_status(booked_id, version, "failed", "客户不在家")
        assert failed.failure_reason == "客户不在家"
        with pytest.raises(ValidationFailed):
            await mine.add_photo(booked_id, tenant.schema, Upload("x.exe", "application/x-msdownload", b"MZ"))


async def test_technicians_see_their_own_visits_only(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    ma = await hire_second_technician(app, dealer)
    async with app.state.db.tenant_session(tenant.schema) as session:
        booked = await BookingService(session, await actor(app, tenant, "sales_a")).book(
            visit(dealer, order_id, technician_ids=[ma])
        )
        booked_id = booked.id
        sun = BookingService(session, await actor(app, tenant, "technician"))
        assert await sun.day(booked.scheduled_on) == []
        with pytest.raises(NotFound):
            await sun.get(booked_id)
        # Sales may not move a visit along; marketing may not even see the calendar.
        with pytest.raises(PermissionDenied):
            await BookingService(session, await actor(app, tenant, "sales_a")).set_status(
                booked_id, 1, "on_the_way"
            )
        with pytest.raises(PermissionDenied):
            await BookingService(session, await actor(app, tenant, "marketing")).day(today())
