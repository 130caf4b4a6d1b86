"""The pipeline board in a real browser, at desktop and phone width.

A new dealer's integration (a token) records a customer and a deal of ¥86,000 with no expected
close date. At the desk the owner drags the card from 初步接洽 to 方案报价: the pipeline's guard
refuses (a proposal needs the expected close date), the reason shows above the board and the card
snaps back; dragged to 需求确认 it stays, and the columns' counts follow. On a phone there is no
dragging: the card's stage select makes the same moves, with the same refusal.
"""

from __future__ import annotations

import secrets

import pytest
from e2e_pages import api_token, assert_no_sideways_scroll, gql, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_refused_move_snaps_back_and_an_allowed_one_stays(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-deal")
    token = api_token(dealer)
    tenant = dealer.url
    customer = gql(
        server,
        dealer,
        token,
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
        "{ ... on CustomerPayload { customer { id } } } }",
        {"i": {"name": "王总", "mobile": f"139{secrets.randbelow(10**8):08d}"}},
    )["createCustomer"]
    deal = gql(
        server,
        dealer,
        token,
        "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) "
        "{ ... on OpportunityPayload { opportunity { id } } } }",
        {"i": {"name": "别墅中央空调", "customerId": customer["customer"]["id"], "amount": "86000"}},  # type: ignore[index]
    )["createOpportunity"]
    deal_id = deal["opportunity"]["id"]  # type: ignore[index]

    page = signed_in(chromium, dealer, width)
    page.goto(f"{tenant}/opportunities")
    card = page.locator(f"#deal-{deal_id}")
    qualify = page.locator('section.pipeline-column[data-stage="qualify"]')
    expect(qualify.locator(f"#deal-{deal_id}")).to_be_visible()
    # Nothing scrolls sideways at either width.
    assert_no_sideways_scroll(page)
    name = "phone" if width == 375 else "desktop"
    shot(page, f"50-pipeline-board-{name}")

    if width >= 640:
        card.locator(".pipeline-amount").drag_to(page.locator('ol.pipeline-cards[data-stage="proposal"]'))
    else:
        card.locator("select[name=to]").select_option("proposal")
    refusal = page.locator("#pipeline-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("预计成交日期")
    expect(qualify.locator(f"#deal-{deal_id}")).to_be_visible()
    shot(page, f"51-pipeline-refused-{name}")

    if width >= 640:
        card.locator(".pipeline-amount").drag_to(page.locator('ol.pipeline-cards[data-stage="needs"]'))
    else:
        card.locator("select[name=to]").select_option("needs")
    needs = page.locator('section.pipeline-column[data-stage="needs"]')
    expect(needs.locator(f"#deal-{deal_id}")).to_be_visible()
    expect(needs.locator("[data-count]")).to_have_text("1")
    expect(qualify.locator("[data-count]")).to_have_text("0")
    expect(refusal).to_be_hidden()
    shot(page, f"52-pipeline-moved-{name}")
    # The server agrees: the deal's page shows it in 需求确认 with its stage history.
    page.goto(f"{tenant}/opportunities/{deal_id}")
    expect(page.locator("h1")).to_contain_text("需求确认")
    page.context.close()
