"""Isolation cases of the customer tier rules (/settings/tiers, tierRules, previewTierRules,
updateTierRules).

B has switched-on rules (silver from ¥1,398,765,432 in 12 months) and its secret customer's tier set
by hand; A's pages and API read and change only A's own rules: B's row keeps its version and rules,
and B's customer keeps its tier."""

from __future__ import annotations

from typing import Any

from isolation_world import TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import update

from app.customers.models import Customer
from app.tiers.models import TierRules

B_AMOUNT = "1398765432.00"
_RULES = {"silver.amount": "1", "silver.amount_months": "1", "enabled": "1"}

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/settings/tiers"): RouteCase(TENANT),
    ("POST", "/settings/tiers"): RouteCase(TENANT, {**_RULES, "release_manual": "1"}),
    ("POST", "/settings/tiers/preview"): RouteCase(TENANT, _RULES),
}

_RULE_INPUT = '[{tier: SILVER, amount: "1", amountMonths: 1}]'
GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "tierRules": ("query { tierRules { enabled version rules { tier amount } } }", lambda w: {}),
    "previewTierRules": (
        f"query {{ previewTierRules(rules: {_RULE_INPUT}) {{ tier customers movingIn }} }}",
        lambda w: {},
    ),
    "updateTierRules": (
        "mutation { updateTierRules(input: {enabled: true, releaseManual: true, rules: "
        f"{_RULE_INPUT}}}) {{ __typename ... on TierRuleSet {{ version }} }} }}",
        lambda w: {},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    session.add(
        TierRules(id=1, enabled=True, version=7, rules={"silver": {"amount": B_AMOUNT, "amount_months": 12}})
    )
    await session.execute(
        update(Customer).where(Customer.id == world.b_customer).values(tier="vip", tier_source="manual")
    )
    await session.commit()
    return {}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    row = await session.get(TierRules, 1)
    if row is None or row.version != 7 or row.rules["silver"]["amount"] != B_AMOUNT:
        problems.append("B's tier rules changed")
    customer = await session.get(Customer, world.b_customer)
    if customer is None or (customer.tier, customer.tier_source) != ("vip", "manual"):
        problems.append("B's customer's tier changed")
    return problems
