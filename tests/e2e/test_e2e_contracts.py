"""A contract in a real browser, at desktop and phone width.

A new dealer's integration records a customer and a deal of ¥36,800. From the deal's page the owner
starts a contract: the form comes with the customer and the amount. Typed with an end before the
start, it comes back with the message at the end date and everything typed; corrected, the contract
page shows it as 草拟 with its deal. A file is uploaded and listed; the contract list shows it; at
375 px nothing scrolls sideways.
"""

from __future__ import annotations

import secrets

import pytest
from e2e_pages import api_token, assert_no_sideways_scroll, gql, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_contract_from_a_deal_with_a_bad_date_then_a_file(
    server: str, chromium, width: int, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dealer = new_dealer(server, "e2e-contract")
    token = api_token(dealer)
    tenant = dealer.url
    customer = gql(
        server,
        dealer,
        token,
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
        "{ ... on CustomerPayload { customer { id } } } }",
        {"i": {"name": "赵敏", "mobile": f"139{secrets.randbelow(10**8):08d}"}},
    )["createCustomer"]
    deal = gql(
        server,
        dealer,
        token,
        "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) "
        "{ ... on OpportunityPayload { opportunity { id } } } }",
        {"i": {"name": "新房全屋家电", "customerId": customer["customer"]["id"], "amount": "36800"}},  # type: ignore[index]
    )["createOpportunity"]
    deal_id = deal["opportunity"]["id"]  # type: ignore[index]
    name = "phone" if width == 375 else "desktop"

    page = signed_in(chromium, dealer, width)
    page.goto(f"{tenant}/opportunities/{deal_id}")
    page.locator(f'a[href="/contracts/new?opportunity_id={deal_id}"]').click()
    expect(page.locator("h1")).to_contain_text("新建合同")
    expect(page.locator("input[name=amount]")).to_have_value("36800.00")
    expect(page.locator("input[name=title]")).to_have_value("新房全屋家电")
    expect(page.locator("select[name=customer_id] option:checked")).to_have_text("赵敏")

    page.locator("input[name=title]").fill("赵敏全屋家电采购合同")
    page.locator("input[name=starts_on]").fill("2026-12-01")
    page.locator("input[name=ends_on]").fill("2026-11-01")
    page.locator("textarea[name=note]").fill("先送货后付款")
    page.locator("form.contract-form button.primary").click()
    message = page.locator("#err-ends_on")
    expect(message).to_contain_text("结束日期不能早于开始日期")
    expect(page.locator("input[name=ends_on]")).to_have_value("2026-11-01")
    expect(page.locator("textarea[name=note]")).to_have_value("先送货后付款")
    assert_no_sideways_scroll(page)
    shot(page, f"95-contract-form-refused-{name}")

    page.locator("input[name=ends_on]").fill("2027-11-30")
    page.locator("form.contract-form button.primary").click()
    expect(page.locator("h1")).to_contain_text("赵敏全屋家电采购合同")
    expect(page.locator("h1 .badge")).to_have_text("草拟")
    expect(page.locator(f'a[href="/opportunities/{deal_id}"]')).to_have_text("新房全屋家电")

    upload = tmp_path / "合同正本.pdf"
    upload.write_bytes(b"%PDF-1.7 e2e contract")
    page.locator("input[type=file][name=files]").set_input_files(str(upload))
    page.locator("form.upload-form button.primary").click()
    expect(page.locator(".file-list")).to_contain_text("合同正本.pdf")
    assert_no_sideways_scroll(page)
    shot(page, f"96-contract-page-{name}")

    page.goto(f"{tenant}/contracts")
    expect(page.locator("#results")).to_contain_text("赵敏全屋家电采购合同")
    assert_no_sideways_scroll(page)
    shot(page, f"97-contract-list-{name}")
    page.context.close()
