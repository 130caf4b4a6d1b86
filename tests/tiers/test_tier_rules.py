"""Tier rules as the tenant writes them: checked all at once (negative numbers, months out of 1-120,
a higher tier asking less than a lower one), previewed before saving, and applied on save to every
customer whose tier was not set by hand, each change audited on the customer's timeline."""

from __future__ import annotations

from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select
from tier_world import NOW, RULES, customer, open_shop, order, tier_audits, tiers

from app.audit.models import AuditRecord
from app.customers.service import CustomerService
from app.domain import PermissionDenied, ValidationFailed
from app.tiers.rules import parse_rules
from app.tiers.service import TierService
from app.timeline.service import customer_timeline


def codes(exc: ValidationFailed) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in exc.errors}


def refused(raw: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(raw)
    return codes(caught.value)


def test_bad_numbers_are_all_reported_at_once() -> None:
    assert refused(
        {
            "silver": {"amount": "-1", "amount_months": 0},
            "gold": {"orders": "two", "orders_months": 121},
            "vip": {"within_days": -5, "amount": "1e3x", "amount_months": 12},
        }
    ) == {
        ("silver.amount", "negative"),
        ("silver.amount_months", "out_of_range"),
        ("gold.orders", "not_a_number"),
        ("gold.orders_months", "out_of_range"),
        ("vip.within_days", "negative"),
        ("vip.amount", "not_a_number"),
    }


def test_an_amount_or_a_count_needs_its_months() -> None:
    assert refused({"silver": {"amount": "5000"}, "gold": {"orders": 3}}) == {
        ("silver.amount_months", "required"),
        ("gold.orders_months", "required"),
    }


def test_unknown_tiers_and_conditions_are_refused() -> None:
    assert refused({"platinum": {"amount": "1"}, "gold": {"spend": 3}}) == {
        ("platinum", "unknown_tier"),
        ("gold.spend", "unknown_field"),
    }


def test_a_higher_tier_asking_less_than_a_lower_one_is_refused() -> None:
    assert refused(
        {
            "silver": {"amount": "20000", "amount_months": 12, "within_days": 30},
            "gold": {"amount": "10000", "amount_months": 12, "within_days": 60},
        }
    ) == {("gold.amount", "below_lower_tier"), ("gold.within_days", "below_lower_tier")}
    # vip is checked against silver too, not only against gold.
    assert ("vip.orders", "below_lower_tier") in refused(
        {
            "silver": {"orders": 5, "orders_months": 12},
            "gold": {"orders": 6, "orders_months": 12},
            "vip": {"orders": 4, "orders_months": 12, "amount": "1", "amount_months": 1},
        }
    )


def test_a_higher_tier_asking_the_same_overlaps_and_is_refused() -> None:
    same = {"amount": "5000", "amount_months": 12}
    assert refused({"silver": same, "gold": same}) == {("gold.amount", "same_as_lower_tier")}


def test_good_rules_parse_and_unused_tiers_are_skipped() -> None:
    rules = parse_rules(RULES | {"silver": {"amount": "5000.5", "amount_months": "12", "orders": ""}})
    assert str(rules["silver"].amount) == "5000.50" and rules["silver"].orders is None
    assert not parse_rules({"gold": {}})["gold"].used


async def test_saving_rules_rates_customers_and_keeps_hand_set_tiers(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    big = await customer(app, tenant, "赵敏")  # three orders, ¥60,000, the last 10 days ago: vip
    for amount, days in ((30000, 10), (20000, 100), (10000, 200)):
        await order(app, shop, big, amount, days_ago=days)
    old = await customer(app, tenant, "钱多多")  # ¥60,000 but 13 months ago: normal
    await order(app, shop, old, 60000, days_ago=400)
    some = await customer(app, tenant, "孙丽")  # one ¥6,000 order, and a cancelled ¥90,000 one: silver
    await order(app, shop, some, 6000)
    await order(app, shop, some, 90000, status="cancelled")
    manual = await customer(app, tenant, "李雷", tier="gold")  # set by a salesperson: kept
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = TierService(session, owner)
        preview = {p.tier: (p.customers, p.moving_in) for p in await service.preview(RULES, now=NOW)}
        # The preview counts without changing anyone; the hand-set tier is not counted.
        assert preview == {"vip": (1, 1), "gold": (0, 0), "silver": (1, 1), "normal": (1, 1)}
        assert await tiers(app, tenant, big, old, some) == [(None, "rule")] * 3
        saved = await service.save({"enabled": True, "rules": RULES, "version": 0}, now=NOW)
        assert saved.version == 1
    assert await tiers(app, tenant, big, old, some, manual) == [
        ("vip", "rule"),
        ("normal", "rule"),
        ("silver", "rule"),
        ("gold", "manual"),
    ]
    [record] = await tier_audits(app, tenant, big)
    assert (record.before["tier"], record.after["tier"], record.actor_label.startswith("王建国")) == (
        None,
        "vip",
        True,
    )
    assert await tier_audits(app, tenant, manual) == []
    # The change is one entry on the customer's timeline, naming the tier.
    async with app.state.db.tenant_session(tenant.schema) as session:
        page = await customer_timeline(session, owner, big, kinds_wanted=["record"])
        tiered = [e for e in page.items if e.data.get("action") == "tier"]
        assert [e.changed_fields for e in tiered] == [["tier", "tier_source"]]


async def test_the_rules_can_take_hand_set_tiers_back(app: Litestar, tenant: TenantKit) -> None:
    await open_shop(app, tenant)
    manual = await customer(app, tenant, "李雷", tier="gold")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await TierService(session, await actor(app, tenant, "owner")).save(
            {"enabled": True, "rules": RULES, "release_manual": True}, now=NOW
        )
    assert await tiers(app, tenant, manual) == [("normal", "rule")]


async def test_a_tier_set_in_the_customer_form_becomes_manual(app: Litestar, tenant: TenantKit) -> None:
    someone = await customer(app, tenant, "韩梅梅")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = CustomerService(session, await actor(app, tenant, "sales_a"))
        found = await service.get(someone)
        await service.update(someone, found.version, {"tier": "silver"})
    assert await tiers(app, tenant, someone) == [("silver", "manual")]


async def test_bad_rules_keep_nothing(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    big = await customer(app, tenant, "赵敏")
    await order(app, shop, big, 6000)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = TierService(session, owner)
        await service.save({"enabled": False, "rules": RULES}, now=NOW)
        bad = {"silver": {"amount": "-5", "amount_months": 200}}
        with pytest.raises(ValidationFailed) as caught:
            await service.save({"enabled": "on", "rules": bad, "version": 1}, now=NOW)
        assert codes(caught.value) == {
            ("silver.amount", "negative"),
            ("silver.amount_months", "out_of_range"),
            ("rules", "required"),
        }
        with pytest.raises(ValidationFailed) as stale:
            await service.save({"enabled": True, "rules": RULES, "version": 0}, now=NOW)
        assert codes(stale.value) == {("version", "stale")}
        with pytest.raises(ValidationFailed):
            await service.preview(bad, now=NOW)
        kept = await service.settings()
        assert (kept.enabled, kept.version, kept.rules["silver"]["amount"]) == (False, 1, "5000.00")
    # Switched off, no tier moved.
    assert await tiers(app, tenant, big) == [(None, "rule")]


async def test_only_settings_managers_see_or_change_the_rules(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = TierService(session, await actor(app, tenant, "sales_a"))
        for call in (service.settings(), service.preview(RULES), service.save({"rules": RULES})):
            with pytest.raises(PermissionDenied):
                await call
        assert (
            await session.scalars(select(AuditRecord).where(AuditRecord.entity == "tier_rules"))
        ).all() == []
