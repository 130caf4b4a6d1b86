"""SQL for tier rules: the settings row, the preview's counts and the recompute, each one statement
over an aggregate of completed orders (``target``), never a row at a time."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditRecord
from app.customers.models import Customer
from app.orders.models import Order
from app.tiers.models import TierRules
from app.tiers.rules import FALLBACK, RULED_TIERS, TierRule


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last))


async def settings(session: AsyncSession, *, for_update: bool = False) -> TierRules | None:
    query = select(TierRules).where(TierRules.id == 1)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


def _target(
    rules: Mapping[str, TierRule],
    done: Sequence[str],
    now: datetime,
    *,
    after: uuid.UUID | None = None,
    limit: int | None = None,
    only: uuid.UUID | None = None,
) -> Any:
    """Customers whose tier follows the rules (live, not set by hand) with the tier the rules give
    them: (id, old_tier, new_tier). ``after``/``limit``: one chunk in id order; ``only``: one customer."""
    used = [rules[t] for t in RULED_TIERS if t in rules and rules[t].used]
    customers = select(Customer.id, Customer.tier).where(
        Customer.deleted_at.is_(None), Customer.tier_source == "rule"
    )
    if only is not None:
        customers = customers.where(Customer.id == only)
    if after is not None:
        customers = customers.where(Customer.id > after)
    if limit is not None:
        customers = customers.order_by(Customer.id).limit(limit)
    c = customers.cte("tier_customers")

    cutoffs: list[datetime] = []
    for rule in used:
        if rule.amount is not None and rule.amount_months:
            cutoffs.append(months_before(now, rule.amount_months))
        if rule.orders is not None and rule.orders_months:
            cutoffs.append(months_before(now, rule.orders_months))
        if rule.within_days is not None:
            cutoffs.append(now - timedelta(days=rule.within_days))
    since = min(cutoffs) if cutoffs else now
    joined = c.outerjoin(
        Order,
        and_(
            Order.customer_id == c.c.id,
            Order.deleted_at.is_(None),
            Order.status.in_(list(done) or [""]),
            Order.created_at >= since,
            Order.created_at <= now,
        ),
    )
    columns: dict[str, Any] = {"last_at": func.max(Order.created_at)}
    for rule in used:
        if rule.amount is not None and rule.amount_months:
            cutoff = months_before(now, rule.amount_months)
            columns[f"amount_{rule.amount_months}"] = func.coalesce(
                func.sum(Order.total).filter(Order.created_at >= cutoff), 0
            )
        if rule.orders is not None and rule.orders_months:
            cutoff = months_before(now, rule.orders_months)
            columns[f"orders_{rule.orders_months}"] = func.count(Order.id).filter(Order.created_at >= cutoff)
    agg = (
        select(c.c.id, c.c.tier.label("old_tier"), *(v.label(k) for k, v in columns.items()))
        .select_from(joined)
        .group_by(c.c.id, c.c.tier)
        .cte("tier_orders")
    )

    def holds(rule: TierRule) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if rule.amount is not None:
            conditions.append(agg.c[f"amount_{rule.amount_months}"] >= rule.amount)
        if rule.orders is not None:
            conditions.append(agg.c[f"orders_{rule.orders_months}"] >= rule.orders)
        if rule.within_days is not None:
            conditions.append(agg.c.last_at >= now - timedelta(days=rule.within_days))
        return and_(true(), *conditions)

    new_tier: Any = (
        case(*((holds(rule), literal(rule.tier)) for rule in used), else_=literal(FALLBACK))
        if used
        else literal(FALLBACK)
    )
    return select(agg.c.id, agg.c.old_tier, new_tier.label("new_tier")).cte("tier_target")


async def preview(
    session: AsyncSession, rules: Mapping[str, TierRule], done: Sequence[str], now: datetime
) -> dict[str, tuple[int, int]]:
    """Per tier: (customers the rules put there, of them how many are not there now), one query."""
    target = _target(rules, done, now)
    rows = await session.execute(
        select(
            target.c.new_tier,
            func.count(),
            func.count().filter(target.c.old_tier.is_distinct_from(target.c.new_tier)),
        ).group_by(target.c.new_tier)
    )
    return {tier: (int(total), int(moving)) for tier, total, moving in rows}


@dataclass(frozen=True)
class Chunk:
    last_id: uuid.UUID | None  # the chunk's last customer (None: nothing left)
    seen: int
    changed: int
    by_tier: dict[str, int]


async def recompute(
    session: AsyncSession,
    rules: Mapping[str, TierRule],
    done: Sequence[str],
    now: datetime,
    *,
    actor_id: uuid.UUID | None,
    actor_label: str,
    after: uuid.UUID | None = None,
    limit: int | None = None,
    only: uuid.UUID | None = None,
) -> Chunk:
    """Set the tier the rules give to one chunk of customers (or ``only`` one) where it differs,
    with one audit record per customer changed (the timeline's entry), in one statement; the
    caller commits. Only the customers that change are locked."""
    target = _target(rules, done, now, after=after, limit=limit, only=only)
    changed = (
        update(Customer)
        .where(
            Customer.id == target.c.id,
            Customer.tier_source == "rule",
            Customer.deleted_at.is_(None),
            Customer.tier.is_distinct_from(target.c.new_tier),
        )
        .values(
            tier=target.c.new_tier,
            version=Customer.version + 1,
            updated_at=func.now(),
            updated_by=null(),
        )
        .returning(Customer.id, target.c.old_tier, target.c.new_tier, Customer.version)
        .cte("tier_changed")
    )
    audited = (
        insert(AuditRecord)
        .from_select(
            ["actor_id", "actor_label", "entity", "entity_id", "action", "before", "after"],
            select(
                literal(actor_id, AuditRecord.actor_id.type),
                literal(actor_label[:120]),
                literal("customer"),
                cast(changed.c.id, String),
                literal("tier"),
                func.jsonb_build_object("tier", changed.c.old_tier, "version", changed.c.version - 1),
                func.jsonb_build_object(
                    "tier", changed.c.new_tier, "tier_source", "rule", "version", changed.c.version
                ),
            ),
        )
        .returning(AuditRecord.id)
        .cte("tier_audited")
    )
    counts = (
        select(changed.c.new_tier, func.count().label("n")).group_by(changed.c.new_tier).subquery("by_tier")
    )
    row = (
        await session.execute(
            select(
                select(func.max(cast(target.c.id, String).collate("C"))).scalar_subquery(),
                select(func.count()).select_from(target).scalar_subquery(),
                select(func.count()).select_from(audited).scalar_subquery(),
                select(
                    func.coalesce(
                        func.jsonb_object_agg(counts.c.new_tier, counts.c.n), cast("{}", JSONB), type_=JSONB
                    )
                ).scalar_subquery(),
            )
        )
    ).one()
    last, seen, count, by_tier = row
    if isinstance(by_tier, str):  # a scalar subquery's JSONB may come back as its text
        by_tier = json.loads(by_tier)
    return Chunk(uuid.UUID(last) if last else None, int(seen), int(count), dict(by_tier or {}))


async def claim_day(session: AsyncSession, day: date, now: datetime, stale: timedelta) -> TierRules | None:
    """Claim the nightly pass for ``day``: the switched-on rules row when it has not run that day
    (or a claim older than ``stale`` never finished: its worker died), else None."""
    result = await session.execute(
        update(TierRules)
        .where(
            TierRules.id == 1,
            TierRules.enabled.is_(True),
            or_(
                TierRules.run_on.is_(None),
                TierRules.run_on < day,
                and_(
                    TierRules.run_on == day,
                    TierRules.run_finished_at.is_(None),
                    TierRules.run_started_at < now - stale,
                ),
            ),
        )
        .values(run_on=day, run_started_at=now, run_finished_at=None)
        .returning(TierRules)
    )
    return result.scalar_one_or_none()


async def finish_day(session: AsyncSession, day: date, customers: int, changed: int) -> None:
    await session.execute(
        update(TierRules)
        .where(TierRules.id == 1, TierRules.run_on == day)
        .values(run_finished_at=func.now(), run_customers=customers, run_changed=changed)
    )


async def release_manual(session: AsyncSession) -> int:
    """Every live customer's hand-set tier given back to the rules; how many."""
    result = await session.execute(
        update(Customer)
        .where(Customer.tier_source == "manual", Customer.deleted_at.is_(None))
        .values(tier_source="rule")
        .returning(Customer.id)
    )
    return len(result.all())
