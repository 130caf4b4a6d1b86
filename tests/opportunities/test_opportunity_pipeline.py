"""A deal's way through the pipeline: it starts in the first stage, a guard refuses a move that
skips what the stage needs (naming it), a lost deal needs its reason, a deal's own probability
overrides its stage's, the stays in each stage are kept, and a won deal becomes one order."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from pipeline_world import codes, deal, deals, open_pipeline

from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.inventory.service import WarehouseService
from app.orders.service import OrderService
from app.workflows.errors import GuardFailed, NotAllowedTransition


async def test_a_new_deal_starts_in_the_first_stage_priced_from_its_products(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(
        deal(
            world,
            products=[
                {"product_id": world.fridge, "quantity": 2},
                {"product_id": world.aircon, "quantity": 3, "unit_price": "2999"},
            ],
        )
    )
    assert (created.stage, created.owner_id) == ("qualify", tenant.people["sales_a"])
    # No amount given: the products at their prices (2 × 5,999 + 3 × 2,999 quoted).
    assert str(created.amount) == "20995.00"
    lines = (await sales.products([created.id]))[created.id]
    assert [(p.quantity, str(p.unit_price)) for p in lines] == [(2, "5999.00"), (3, "2999.00")]
    await sales.session.close()


async def test_bad_input_is_refused_field_by_field(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    with pytest.raises(ValidationFailed) as caught:
        await sales.create(
            deal(
                world,
                name="",
                amount="-5",
                probability=101,
                expected_close="next week",
                products=[{"product_id": "nope", "quantity": 0}],
            )
        )
    assert sorted(codes(caught.value)) == [
        ("amount", "out_of_range"),
        ("expected_close", "invalid_date"),
        ("name", "required"),
        ("probability", "out_of_range"),
        ("products.0.product_id", "invalid_id"),
        ("products.0.quantity", "out_of_range"),
    ]
    # Another salesperson's customer reads exactly like an absent one.
    with pytest.raises(ValidationFailed) as caught:
        await sales.create(deal(world, "sales_b"))
    assert codes(caught.value) == [("customer_id", "unknown_customer")]
    await sales.session.close()


async def test_a_guard_refuses_a_move_and_names_what_is_missing(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world))
    deal_id = created.id  # (a refused move rolls back: loaded objects expire)
    with pytest.raises(GuardFailed) as caught:
        await sales.move(deal_id, "proposal", 1)
    # A proposal needs an amount above zero and an expected close date.
    assert sorted((f.kind, f.field) for f in caught.value.failures) == [
        ("condition", "amount"),
        ("required", "expected_close"),
    ]
    unchanged = await sales.get(deal_id)
    assert (unchanged.stage, unchanged.version) == ("qualify", 1)
    with pytest.raises(NotAllowedTransition):
        await sales.move(deal_id, "nowhere", 1)
    edited = await sales.update(deal_id, 1, {"amount": "12000", "expected_close": "2026-12-20"})
    moved = await sales.move(deal_id, "proposal", edited.version)
    assert moved.stage == "proposal"
    await sales.session.close()


async def test_a_lost_deal_needs_its_reason(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, amount="8000", competitor="苏宁"))
    deal_id = created.id
    with pytest.raises(GuardFailed) as caught:
        await sales.move(deal_id, "lost", 1)
    assert [(f.kind, f.field) for f in caught.value.failures] == [("required", "lost_reason")]
    with pytest.raises(GuardFailed):
        await sales.move(deal_id, "lost", 1, lost_reason="   ")
    lost = await sales.move(deal_id, "lost", 1, lost_reason="苏宁便宜300元")
    assert (lost.stage, lost.lost_reason) == ("lost", "苏宁便宜300元")
    stays = await sales.history(lost)
    assert [s.stage for s in stays] == ["qualify", "lost"]
    assert stays[0].left is not None and stays[-1].left is None
    await sales.session.close()


async def test_a_deal_s_own_probability_overrides_its_stage_s(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    stages = {s.key: s.probability for s in await sales.stages()}
    assert stages == {"qualify": 10, "needs": 30, "proposal": 60, "negotiation": 80, "won": 100, "lost": 0}
    created = await sales.create(deal(world, amount="10000", probability=45))
    assert created.probability == 45
    cleared = await sales.update(created.id, created.version, {"probability": None})
    assert cleared.probability is None  # back to the stage's
    await sales.session.close()


async def test_another_team_s_deals_are_invisible(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world))
    deal_id = created.id
    await sales.session.close()
    for who in ("sales_a2", "sales_b", "manager_b"):
        other = await deals(app, tenant, who)
        with pytest.raises(NotFound):
            await other.get(deal_id)
        with pytest.raises(NotFound):
            await other.move(deal_id, "needs", 1)
        assert deal_id not in [d.id for d in (await other.page()).items]
        await other.session.close()
    manager = await deals(app, tenant, "manager_a")
    assert (await manager.get(deal_id)).name == "新房全屋家电"
    await manager.session.close()
    # The technician's role has no pipeline at all.
    tech = await deals(app, tenant, "technician")
    with pytest.raises(PermissionDenied):
        await tech.page()
    await tech.session.close()
    # Another dealer: the same id is nothing there.
    await open_pipeline(app, other_tenant)
    stranger = await deals(app, other_tenant, "owner")
    with pytest.raises(NotFound):
        await stranger.get(deal_id)
    await stranger.session.close()


async def test_a_won_deal_becomes_one_order(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    manager = await actor(app, tenant, "manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        shop = await WarehouseService(session, manager).create(
            {"code": "XH", "name": "西湖门店", "kind": "shop"}
        )
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(
        deal(world, products=[{"product_id": world.fridge, "quantity": 1, "unit_price": "5799"}])
    )
    deal_id, shop_id = created.id, shop.id
    with pytest.raises(ValidationFailed) as caught:
        await sales.convert_to_order(deal_id, shop_id)
    assert codes(caught.value) == [("id", "not_won")]
    await sales.move(deal_id, "won", 1)
    order = await sales.convert_to_order(deal_id, shop_id)
    assert (order.customer_id, str(order.total)) == (world.customers["sales_a"], "5799.00")
    order_id = order.id
    assert (await sales.get(deal_id)).order_id == order_id
    with pytest.raises(ValidationFailed) as caught:
        await sales.convert_to_order(deal_id, shop_id)
    assert codes(caught.value) == [("id", "already_converted")]
    await sales.session.close()
    orders = OrderService(app.state.db.tenant_session(tenant.schema), await actor(app, tenant, "sales_a"))
    assert [o.id for o in (await orders.page()).items] == [order_id]
    await orders.session.close()
