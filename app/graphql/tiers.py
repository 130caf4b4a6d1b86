"""The tenant's customer tier rules through the API (``app.tiers``): read them, preview them, save
them (settings:manage), with the same checks and messages as the admin's /settings/tiers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from app.customers.fields import CustomerTier
from app.graphql.context import GraphQLContext
from app.graphql.errors import PermissionDeniedError, ValidationError
from app.graphql.kit import mutate, query
from app.tiers.models import TierRules
from app.tiers.rules import RULED_TIERS, rules_from_document
from app.tiers.service import TierService


@strawberry.type(description="What a customer needs to reach a tier: all conditions set must hold.")
class TierRule:
    tier: CustomerTier
    amount: Decimal | None = strawberry.field(
        description="The completed orders' totals over the last amountMonths months must reach it."
    )
    amount_months: int | None
    orders: int | None = strawberry.field(
        description="At least this many completed orders over the last ordersMonths months."
    )
    orders_months: int | None
    within_days: int | None = strawberry.field(
        description="The last completed order at most this many days ago."
    )


@strawberry.type(description="The tenant's tier rules and the last nightly pass.")
class TierRuleSet:
    enabled: bool = strawberry.field(
        description="Off (the default): every tier stays as people set it. On: the rules rate every "
        "customer whose tier was not set by hand, when their orders complete or come back and nightly."
    )
    version: int = strawberry.field(description="Pass it back to updateTierRules.")
    rules: list[TierRule] = strawberry.field(description="The tiers used, highest first.")
    last_run_on: date | None = strawberry.field(
        description="The day (Asia/Shanghai) of the last nightly pass."
    )
    last_run_finished_at: datetime | None
    last_run_customers: int | None
    last_run_changed: int | None


@strawberry.type(description="How many customers the rules would put in a tier.")
class TierPreview:
    tier: CustomerTier
    customers: int = strawberry.field(
        description="Customers (whose tier was not set by hand) the rules put there."
    )
    moving_in: int = strawberry.field(description="Of them, how many are not in that tier now.")


@strawberry.input(description="A tier's conditions; leave one out (null) not to use it.")
class TierRuleInput:
    tier: CustomerTier
    amount: Decimal | None = None
    amount_months: int | None = None
    orders: int | None = None
    orders_months: int | None = None
    within_days: int | None = None


@strawberry.input
class TierRulesInput:
    enabled: bool
    rules: list[TierRuleInput]
    version: int | None = strawberry.field(
        default=None, description="The version read (tierRules.version); a stale one is refused."
    )
    release_manual: bool = strawberry.field(
        default=False, description="Also let the rules rate the customers whose tier was set by hand."
    )


_Errors = ValidationError | PermissionDeniedError
TierRulesResult = Annotated[TierRuleSet | _Errors, strawberry.union("TierRulesResult")]


def _document(rules: list[TierRuleInput]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for rule in rules:
        found[str(rule.tier.value)] = {
            "amount": rule.amount,
            "amount_months": rule.amount_months,
            "orders": rule.orders,
            "orders_months": rule.orders_months,
            "within_days": rule.within_days,
        }
    return found


def _shown(row: TierRules) -> TierRuleSet:
    rules = rules_from_document(row.rules)
    return TierRuleSet(
        enabled=row.enabled,
        version=row.version,
        rules=[
            TierRule(
                tier=CustomerTier(t),
                amount=rules[t].amount,
                amount_months=rules[t].amount_months,
                orders=rules[t].orders,
                orders_months=rules[t].orders_months,
                within_days=rules[t].within_days,
            )
            for t in RULED_TIERS
            if rules[t].used
        ],
        last_run_on=row.run_on,
        last_run_finished_at=row.run_finished_at,
        last_run_customers=row.run_customers,
        last_run_changed=row.run_changed,
    )


@strawberry.type
class TierQueries:
    @strawberry.field(description="The tenant's customer tier rules (needs settings:manage).")
    async def tier_rules(self, info: Info[GraphQLContext, None]) -> TierRuleSet:
        return _shown(await query(info, lambda s, a: TierService(s, a).settings()))

    @strawberry.field(
        description="How many customers the given rules would put in each tier (nothing is saved; "
        "bad rules are refused as updateTierRules refuses them). Needs settings:manage."
    )
    async def preview_tier_rules(
        self, info: Info[GraphQLContext, None], rules: list[TierRuleInput]
    ) -> list[TierPreview]:
        rows = await query(info, lambda s, a: TierService(s, a).preview(_document(rules)))
        return [
            TierPreview(tier=CustomerTier(r.tier), customers=r.customers, moving_in=r.moving_in) for r in rows
        ]


@strawberry.type
class TierMutations:
    @strawberry.mutation(
        description="Save the tier rules and their switch; switched on, customers are re-rated at once. "
        "Refused: negative numbers, months outside 1-120, a higher tier asking less than a lower one. "
        "Needs settings:manage."
    )
    async def update_tier_rules(
        self, info: Info[GraphQLContext, None], input: TierRulesInput
    ) -> TierRulesResult:
        raw = {
            "enabled": input.enabled,
            "rules": _document(input.rules),
            "version": input.version,
            "release_manual": input.release_manual,
        }
        result = await mutate(info, lambda s, a: TierService(s, a).save(raw), _shown)
        return result  # type: ignore[no-any-return]
