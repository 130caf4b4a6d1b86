"""Tier rules as data, and their check: per tier above normal, conditions over the customer's
completed orders (a stage of the order workflow in the "done" category, not deleted):

- amount in the last months (``amount``, ``amount_months``): the orders' totals in the window
  reach ``amount``;
- orders in the last months (``orders``, ``orders_months``): at least ``orders`` in the window;
- recency (``within_days``): the last order is at most that many days old.

A tier's conditions all hold for a customer to reach it; a tier with none is not used. Tiers are
checked from the highest (vip, gold, silver); a customer no tier's rule holds for is normal. A higher
tier must ask at least as much as every lower one on each condition both set, and more on one of
them: otherwise the lower tier could never be reached (overlapping or unordered thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.kit.enums import N_, LabeledEnum
from app.kit.fields import Errors


class TierSource(LabeledEnum):
    """Who set a customer's tier (``customers.tier_source``)."""

    MANUAL = "manual", N_("Set by hand")
    RULE = "rule", N_("By the tier rules")


# Checked from the highest; "normal" is what no rule reaches.
RULED_TIERS = ("vip", "gold", "silver")
FALLBACK = "normal"
MAX_MONTHS = 120
MAX_DAYS = 3650
MAX_ORDERS = 100_000
MAX_AMOUNT = Decimal("9999999999.99")
FIELDS = ("amount", "amount_months", "orders", "orders_months", "within_days")


@dataclass(frozen=True)
class TierRule:
    tier: str
    amount: Decimal | None = None
    amount_months: int | None = None
    orders: int | None = None
    orders_months: int | None = None
    within_days: int | None = None

    @property
    def used(self) -> bool:
        return self.amount is not None or self.orders is not None or self.within_days is not None

    def document(self) -> dict[str, Any]:
        return {
            "amount": None if self.amount is None else str(self.amount),
            "amount_months": self.amount_months,
            "orders": self.orders,
            "orders_months": self.orders_months,
            "within_days": self.within_days,
        }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _integer(errors: Errors, name: str, value: Any, low: int, high: int) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None:
        errors.add(name, "not_a_number", "must be a whole number")
        return None
    if number < 0:
        errors.add(name, "negative", "must not be negative")
    elif not low <= number <= high:
        errors.add(name, "out_of_range", f"must be between {low} and {high}")
    else:
        return number
    return None


def _amount(errors: Errors, name: str, value: Any) -> Decimal | None:
    if _blank(value):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors.add(name, "not_a_number", "must be an amount such as 5000 or 5000.50")
        return None
    if amount < 0:
        errors.add(name, "negative", "must not be negative")
        return None
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        errors.add(name, "out_of_range", "must be at most 9,999,999,999.99 with two decimals")
        return None
    return amount.quantize(Decimal("0.01"))


def _rule(errors: Errors, tier: str, raw: Mapping[str, Any]) -> TierRule:
    p = f"{tier}."
    amount = _amount(errors, p + "amount", raw.get("amount"))
    amount_months = _integer(errors, p + "amount_months", raw.get("amount_months"), 1, MAX_MONTHS)
    orders = _integer(errors, p + "orders", raw.get("orders"), 1, MAX_ORDERS)
    orders_months = _integer(errors, p + "orders_months", raw.get("orders_months"), 1, MAX_MONTHS)
    within_days = _integer(errors, p + "within_days", raw.get("within_days"), 1, MAX_DAYS)
    if amount is not None and amount_months is None and not errors.has(p + "amount_months"):
        errors.add(p + "amount_months", "required", "say over how many months the amount counts")
    if orders is not None and orders_months is None and not errors.has(p + "orders_months"):
        errors.add(p + "orders_months", "required", "say over how many months the orders count")
    return TierRule(
        tier,
        amount,
        amount_months if amount is not None else None,
        orders,
        orders_months if orders is not None else None,
        within_days,
    )


def _at_least(higher: TierRule, lower: TierRule, errors: Errors) -> None:
    """``higher`` must ask no less than ``lower`` on each condition both set, and more on one."""
    stricter = False
    loose: list[str] = []
    pairs = (
        ("amount", higher.amount, lower.amount, higher.amount_months == lower.amount_months),
        ("orders", higher.orders, lower.orders, higher.orders_months == lower.orders_months),
    )
    for name, mine, theirs, same_window in pairs:
        if mine is not None and theirs is not None:
            if mine < theirs:
                loose.append(name)
            elif mine > theirs or not same_window:
                stricter = True
        elif mine is not None:
            stricter = True
    if higher.within_days is not None and lower.within_days is not None:
        if higher.within_days > lower.within_days:
            loose.append("within_days")
        elif higher.within_days < lower.within_days:
            stricter = True
    elif higher.within_days is not None:
        stricter = True
    for name in loose:
        errors.add(f"{higher.tier}.{name}", "below_lower_tier", f"must ask at least what {lower.tier} asks")
    if not loose and not stricter:
        errors.add(f"{higher.tier}.amount", "same_as_lower_tier", f"must ask more than {lower.tier} asks")


def parse_rules(raw: Any) -> dict[str, TierRule]:
    """The rules from a form or API document (tier → field → value), every bad value at once
    (``ValidationFailed``, fields named ``<tier>.<field>``); unknown tiers or fields are refused."""
    errors = Errors()
    if not isinstance(raw, Mapping):
        errors.add("rules", "invalid", "must map tiers to their conditions")
        errors.raise_if_any()
    for tier, conditions in raw.items():
        if tier not in RULED_TIERS:
            errors.add(f"{tier}", "unknown_tier", "must be one of silver, gold, vip")
        elif not isinstance(conditions, Mapping):
            errors.add(f"{tier}", "invalid", "must map conditions to values")
        else:
            for name in conditions:
                if name not in FIELDS:
                    errors.add(f"{tier}.{name}", "unknown_field", "is not a condition")
    errors.raise_if_any()
    rules = {tier: _rule(errors, tier, raw.get(tier) or {}) for tier in RULED_TIERS}
    if not errors.items:
        used = [rules[t] for t in reversed(RULED_TIERS) if rules[t].used]  # lowest first
        for i, higher in enumerate(used):
            for lower in used[:i]:
                _at_least(higher, lower, errors)
    errors.raise_if_any()
    return rules


def rules_from_document(document: Mapping[str, Any] | None) -> dict[str, TierRule]:
    """Stored rules (already checked when saved)."""
    return parse_rules(document or {})


def document_of(rules: Mapping[str, TierRule]) -> dict[str, Any]:
    return {tier: rule.document() for tier, rule in rules.items() if rule.used}
