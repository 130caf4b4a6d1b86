"""Contracts: linked to the customer's own opportunity or order, never ending before they start,
signed only with a signing date, numbered uniquely, out of reach of other teams and dealers."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit
from litestar import Litestar
from pipeline_world import codes, contracts, deal, deals, open_pipeline

from app.domain import NotFound, ValidationFailed
from app.workflows.errors import GuardFailed


def contract(world, who: str = "sales_a", **extra):  # type: ignore[no-untyped-def]
    return {
        "title": "全屋家电采购合同",
        "customer_id": world.customers[who],
        "amount": "36000",
        "starts_on": "2026-12-01",
        "ends_on": "2027-11-30",
        **extra,
    }


async def test_a_contract_from_an_opportunity_is_drafted_then_signed(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    opportunity = await sales.create(deal(world, amount="36000"))
    opportunity_id = opportunity.id
    await sales.session.close()
    book = await contracts(app, tenant, "sales_a")
    created = await book.create(contract(world, opportunity_id=opportunity_id))
    contract_id = created.id
    assert created.status == "draft" and created.number.startswith("HT-")
    with pytest.raises(GuardFailed) as caught:
        await book.transition(contract_id, "signed", 1)
    assert [(f.kind, f.field) for f in caught.value.failures] == [("required", "signed_on")]
    edited = await book.update(contract_id, 1, {"signed_on": "2026-11-27"})
    signed = await book.transition(contract_id, "signed", edited.version)
    assert signed.status == "signed"
    await book.session.close()


async def test_bad_contracts_are_refused(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    other = await deals(app, tenant, "sales_b")
    foreign = await other.create(deal(world, "sales_b"))
    foreign_id = foreign.id
    await other.session.close()
    book = await contracts(app, tenant, "sales_a")
    with pytest.raises(ValidationFailed) as caught:
        await book.create(contract(world, ends_on="2026-11-30"))
    assert codes(caught.value) == [("ends_on", "ends_before_start")]
    # Another team's opportunity reads exactly like an absent one.
    with pytest.raises(ValidationFailed) as caught:
        await book.create(contract(world, opportunity_id=foreign_id))
    assert codes(caught.value) == [("opportunity_id", "unknown_opportunity")]
    with pytest.raises(ValidationFailed) as caught:
        await book.create(contract(world, amount="-1", starts_on="", title=""))
    assert sorted(codes(caught.value)) == [
        ("amount", "out_of_range"),
        ("starts_on", "required"),
        ("title", "required"),
    ]
    await book.create(contract(world, number="HT-2026-001"))
    with pytest.raises(ValidationFailed) as caught:
        await book.create(contract(world, number="HT-2026-001"))
    assert codes(caught.value) == [("number", "duplicate_number")]
    await book.session.close()


async def test_contracts_of_another_team_or_dealer_are_invisible(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    contract_id = (await book.create(contract(world))).id
    await book.session.close()
    for kit, who in ((tenant, "sales_b"), (tenant, "manager_b"), (other_tenant, "owner")):
        stranger = await contracts(app, kit, who)
        with pytest.raises(NotFound):
            await stranger.get(contract_id)
        await stranger.session.close()


async def test_the_contracts_page_lists_the_salesperson_s_contracts(app: Litestar, tenant: TenantKit) -> None:
    from crm_testkit import logged_in

    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    await book.create(contract(world, title="赵敏家电采购合同"))
    await book.session.close()
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get("/contracts")
    assert page.status_code == 200 and "赵敏家电采购合同" in page.text and "草拟" in page.text
    li = await logged_in(app, tenant, "sales_b")
    assert "赵敏家电采购合同" not in (await li.get("/contracts")).text
