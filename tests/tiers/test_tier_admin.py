"""The tier rules in the admin (/settings/tiers) and through the API (tierRules, previewTierRules,
updateTierRules, Customer.tierSource): the same checks, the preview saves nothing, other roles are
kept out."""

from __future__ import annotations

from crm_testkit import TenantKit, logged_in
from graphql_helpers import api_client
from litestar import Litestar
from tier_world import customer, open_shop, order, tiers

from app.tiers.models import TierRules

FORM = {
    "enabled": "1",
    "version": "0",
    "silver.amount": "5000",
    "silver.amount_months": "12",
    "gold.amount": "20000",
    "gold.amount_months": "12",
}


async def test_the_page_previews_saves_and_refuses_bad_rules(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    buyer = await customer(app, tenant, "赵敏")
    await order(app, shop, buyer, 6000)
    sales = await logged_in(app, tenant, "sales_a")
    assert (await sales.get("/settings/tiers")).status_code == 403
    assert (await sales.post_form("/settings/tiers", FORM)).status_code == 403
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/settings/tiers")
    assert page.status_code == 200 and "客户等级" in page.text
    preview = await owner.post_form("/settings/tiers/preview", FORM)
    assert preview.status_code == 200 and 'id="tier-preview"' in preview.text
    assert await tiers(app, tenant, buyer) == [(None, "rule")]  # the preview saved nothing
    bad = await owner.post_form(
        "/settings/tiers", {**FORM, "silver.amount_months": "0", "vip.within_days": "-1"}
    )
    assert bad.status_code == 422
    for message in ("超出范围", "不能为负数"):
        assert message in bad.text
    # Numbers that parse but put gold below silver: refused on gold, what was typed stays in the form.
    unordered = await owner.post_form("/settings/tiers", {**FORM, "gold.amount": "3000"})
    assert unordered.status_code == 422 and "较高等级的要求不能低于较低等级" in unordered.text
    assert 'value="3000"' in unordered.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.get(TierRules, 1) is None
    saved = await owner.post_form("/settings/tiers", FORM)
    assert saved.status_code == 303
    assert await tiers(app, tenant, buyer) == [("silver", "rule")]
    stale = await owner.post_form("/settings/tiers", FORM)  # the version the page showed is gone
    assert stale.status_code == 422 and "打开本页后规则已被修改" in stale.text


RULES = '[{tier: SILVER, amount: "5000", amountMonths: 12}, {tier: GOLD, amount: "4000", amountMonths: 12}]'


async def test_the_api_reads_previews_and_saves_the_rules(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    buyer = await customer(app, tenant, "赵敏")
    await order(app, shop, buyer, 6000)
    api = await api_client(app, tenant, "owner")
    read = await api.gql("query { tierRules { enabled version rules { tier } } }", {})
    assert read["data"]["tierRules"] == {"enabled": False, "version": 0, "rules": []}
    bad = await api.gql(
        "mutation { updateTierRules(input: {enabled: true, rules: " + RULES + "}) {"
        " __typename ... on ValidationError { fields { path code } } } }",
        {},
    )
    result = bad["data"]["updateTierRules"]
    assert result["__typename"] == "ValidationError"
    assert {"path": ["input", "gold", "amount"], "code": "below_lower_tier"} in result["fields"]
    preview = await api.gql(
        'query { previewTierRules(rules: [{tier: SILVER, amount: "5000", amountMonths: 12}]) '
        "{ tier customers movingIn } }",
        {},
    )
    assert {"tier": "SILVER", "customers": 1, "movingIn": 1} in preview["data"]["previewTierRules"]
    saved = await api.gql(
        "mutation { updateTierRules(input: {enabled: true, version: 0, rules: "
        '[{tier: SILVER, amount: "5000", amountMonths: 12}]}) '
        "{ __typename ... on TierRuleSet { enabled version rules { tier amount } } } }",
        {},
    )
    assert saved["data"]["updateTierRules"] == {
        "__typename": "TierRuleSet",
        "enabled": True,
        "version": 1,
        "rules": [{"tier": "SILVER", "amount": "5000.00"}],
    }
    shown = await api.gql(
        "query($id: ID!) { customer(id: $id) { ... on Customer { tier tierSource } } }", {"id": str(buyer)}
    )
    assert shown["data"]["customer"] == {"tier": "SILVER", "tierSource": "RULE"}
    sales = await api_client(app, tenant, "sales_a")
    refused = await sales.gql("query { tierRules { enabled } }", {})
    assert refused["errors"] and refused["data"] is None


async def test_the_customer_page_says_a_tier_was_set_by_hand(app: Litestar, tenant: TenantKit) -> None:
    manual = await customer(app, tenant, "李雷", tier="gold")
    ruled = await customer(app, tenant, "韩梅梅")
    owner = await logged_in(app, tenant, "owner")
    assert "手动设置" in (await owner.get(f"/customers/{manual}")).text
    assert "手动设置" not in (await owner.get(f"/customers/{ruled}")).text
