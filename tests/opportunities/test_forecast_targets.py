"""Targets per salesperson and team per month, and the forecast: each deal weighs its amount × its
win probability (its own, else its stage's; won in full, lost not at all) in the month it is
expected to close, against the targets, in the viewer's scope. Numbers checked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from pipeline_world import codes, deal, deals, open_pipeline, targets

from app.domain import PermissionDenied, ValidationFailed

DECEMBER, JANUARY = date(2026, 12, 1), date(2027, 1, 1)


async def _stage(sales, deal_id, *stages):  # type: ignore[no-untyped-def]
    version = 1
    for stage in stages:
        version = (await sales.move(deal_id, stage, version, lost_reason="价格")).version


async def test_the_forecast_weighs_each_deal_and_compares_with_the_targets(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    zhang = await deals(app, tenant, "sales_a")
    # 张伟, December: ¥10,000 in 方案报价 (60 %) → 6,000; ¥20,000 in 需求确认 with his own 25 % → 5,000;
    # ¥5,000 won → 5,000; ¥8,000 lost → 0. January: ¥30,000 in 初步接洽 (10 %) → 3,000.
    a = await zhang.create(deal(world, amount="10000", expected_close="2026-12-10"))
    await _stage(zhang, a.id, "proposal")
    b = await zhang.create(deal(world, amount="20000", probability=25, expected_close="2026-12-31"))
    await _stage(zhang, b.id, "needs")
    c = await zhang.create(deal(world, amount="5000", expected_close="2026-12-01"))
    await _stage(zhang, c.id, "won")
    d = await zhang.create(deal(world, amount="8000", expected_close="2026-12-15"))
    await _stage(zhang, d.id, "lost")
    await zhang.create(deal(world, amount="30000", expected_close="2027-01-20"))
    # Outside the window and without a date: not in the forecast.
    await zhang.create(deal(world, amount="99999", expected_close="2027-02-01"))
    await zhang.create(deal(world, amount="77777"))
    await zhang.session.close()
    # 李娜 (the other team), December: ¥10,000 in 商务谈判 (80 %) → 8,000.
    li = await deals(app, tenant, "sales_b")
    e = await li.create(deal(world, "sales_b", amount="10000", expected_close="2026-12-05"))
    await _stage(li, e.id, "proposal", "negotiation")
    await li.session.close()

    owner = await targets(app, tenant, "owner")
    await owner.set_target({"month": "2026-12", "user_id": tenant.people["sales_a"], "amount": "20000"})
    team_a = (await owner.forecast(DECEMBER, 1)).people  # the team ids come with the people
    zhang_team = next(r.team_id for r in team_a if r.key == tenant.people["sales_a"])
    await owner.set_target({"month": "2026-12", "team_id": zhang_team, "amount": "50000"})

    seen = await owner.forecast(DECEMBER, 2)
    assert seen.months == [DECEMBER, JANUARY]
    person = {r.name: r for r in seen.people}
    dec = person["张伟"].months[DECEMBER]
    assert (dec.weighted, dec.won, dec.open, dec.deals, dec.target) == (
        Decimal("16000.00"),
        Decimal("5000.00"),
        Decimal("30000.00"),
        4,
        Decimal("20000.00"),
    )
    assert dec.gap == Decimal("4000.00")
    assert person["张伟"].months[JANUARY].weighted == Decimal("3000.00")
    assert person["李娜"].months[DECEMBER].weighted == Decimal("8000.00")
    team = {r.name: r for r in seen.teams}
    assert (team["门店一组"].months[DECEMBER].weighted, team["门店一组"].months[DECEMBER].target) == (
        Decimal("16000.00"),
        Decimal("50000.00"),
    )
    assert team["门店二组"].months[DECEMBER].target is None
    assert seen.total.months[DECEMBER].weighted == Decimal("24000.00")
    await owner.session.close()

    # The manager of 门店一组 sees his team only; 李娜's deal and team are not in his numbers.
    manager = await targets(app, tenant, "manager_a")
    mine = await manager.forecast(DECEMBER, 1)
    assert [r.name for r in mine.people] == ["张伟"]
    assert [r.name for r in mine.teams] == ["门店一组"]
    assert mine.total.months[DECEMBER].weighted == Decimal("16000.00")
    await manager.session.close()
    # 王芳 (same team, own scope) sees nothing of 张伟's.
    wang = await targets(app, tenant, "sales_a2")
    assert (await wang.forecast(DECEMBER, 1)).people == []
    await wang.session.close()


async def test_a_second_target_for_the_month_replaces_the_first(app: Litestar, tenant: TenantKit) -> None:
    manager = await targets(app, tenant, "manager_a")
    first = await manager.set_target(
        {"month": "2026-12", "user_id": tenant.people["sales_a"], "amount": "1000"}
    )
    again = await manager.set_target(
        {"month": "2026-12-01", "user_id": str(tenant.people["sales_a"]), "amount": "2500.50"}
    )
    assert (again.id, again.amount, again.version) == (first.id, Decimal("2500.50"), 2)
    [only] = await manager.targets(DECEMBER, 1)
    assert only.amount == Decimal("2500.50")
    await manager.session.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"month": "2026-13", "amount": "1", "user": True}, [("month", "invalid_month")]),
        ({"month": "2026-12-15", "amount": "1", "user": True}, [("month", "invalid_month")]),
        ({"month": "2026-12", "amount": "-1", "user": True}, [("amount", "out_of_range")]),
        ({"month": "2026-12", "amount": "abc", "user": True}, [("amount", "invalid_amount")]),
        ({"month": "2026-12", "amount": "1"}, [("user_id", "one_holder")]),
        ({"month": "2026-12", "amount": "1", "user": True, "team_id": "nope"}, [("team_id", "invalid_id")]),
        ({"month": None, "amount": None, "user": True}, [("month", "invalid_month"), ("amount", "required")]),
    ],
)
async def test_targets_refuse_bad_input(
    app: Litestar, tenant: TenantKit, raw: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    manager = await targets(app, tenant, "manager_a")
    data = {k: v for k, v in raw.items() if k != "user"}
    if raw.get("user"):
        data["user_id"] = tenant.people["sales_a"]
    with pytest.raises(ValidationFailed) as caught:
        await manager.set_target(data)
    assert codes(caught.value) == expected
    await manager.session.close()


async def test_targets_only_for_the_people_a_manager_manages(app: Litestar, tenant: TenantKit) -> None:
    manager = await targets(app, tenant, "manager_a")
    # 李娜 is in 门店二组: for 刘洋 she reads like nobody.
    with pytest.raises(ValidationFailed) as caught:
        await manager.set_target({"month": "2026-12", "user_id": tenant.people["sales_b"], "amount": "1"})
    assert codes(caught.value) == [("user_id", "unknown_user")]
    await manager.session.close()
    sales = await targets(app, tenant, "sales_a")
    with pytest.raises(PermissionDenied):
        await sales.set_target({"month": "2026-12", "user_id": tenant.people["sales_a"], "amount": "1"})
    with pytest.raises(ValidationFailed) as caught:
        await sales.forecast(DECEMBER, 13)
    assert codes(caught.value) == [("months", "out_of_range")]
    await sales.session.close()
