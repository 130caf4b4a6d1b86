"""SQL of the pipeline: products of interest, names for pages, the board's columns and the sums
the forecast and targets read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Team, User
from app.catalog.models import Product
from app.customers.models import Customer
from app.opportunities.models import Contract, Opportunity, OpportunityProduct, SalesTarget
from app.orders.models import Order


async def live_products(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Product).where(Product.id.in_(set(ids)), Product.deleted_at.is_(None))
    )
    return {p.id: p for p in rows.all()}


async def products_of(
    session: AsyncSession, opportunity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[OpportunityProduct]]:
    found: dict[uuid.UUID, list[OpportunityProduct]] = {i: [] for i in opportunity_ids}
    if not opportunity_ids:
        return found
    rows = await session.scalars(
        select(OpportunityProduct)
        .where(OpportunityProduct.opportunity_id.in_(list(opportunity_ids)))
        .order_by(OpportunityProduct.opportunity_id, OpportunityProduct.position)
    )
    for line in rows.all():
        found.setdefault(line.opportunity_id, []).append(line)
    return found


async def replace_products(
    session: AsyncSession, opportunity_id: uuid.UUID, lines: Sequence[OpportunityProduct]
) -> None:
    await session.execute(
        delete(OpportunityProduct).where(OpportunityProduct.opportunity_id == opportunity_id)
    )
    session.add_all(lines)
    await session.flush()


async def names(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID], product_ids: Sequence[uuid.UUID] = ()
) -> dict[uuid.UUID, str]:
    """Id → name of the customers and products a page shows."""
    found: dict[uuid.UUID, str] = {}
    for model, ids in ((Customer, customer_ids), (Product, product_ids)):
        if ids:
            rows = await session.execute(select(model.id, model.name).where(model.id.in_(set(ids))))
            found.update({row[0]: row[1] for row in rows.all()})
    return found


async def pipeline_sums(
    session: AsyncSession,
    owners: Sequence[uuid.UUID] | None,
    first: date,
    last: date,
    pipeline: str | None = None,
) -> list[tuple[uuid.UUID | None, date, str, str, int | None, Decimal, int]]:
    """Live deals expected to close in ``first``..``last``, summed per (owner, month, pipeline,
    stage, own probability): (owner, first day of month, pipeline, stage, probability or None,
    amount, count). ``owners``: whose deals count (None: everyone's); ``pipeline``: one pipeline's
    (None: every pipeline's)."""
    month = func.date_trunc("month", Opportunity.expected_close).cast(Date)
    query = (
        select(
            Opportunity.owner_id,
            month,
            Opportunity.pipeline,
            Opportunity.stage,
            Opportunity.probability,
            func.sum(Opportunity.amount),
            func.count(Opportunity.id),
        )
        .where(
            Opportunity.deleted_at.is_(None),
            Opportunity.expected_close >= first,
            Opportunity.expected_close <= last,
        )
        .group_by(
            Opportunity.owner_id, month, Opportunity.pipeline, Opportunity.stage, Opportunity.probability
        )
    )
    if owners is not None:
        query = query.where(Opportunity.owner_id.in_(list(owners)))
    if pipeline is not None:
        query = query.where(Opportunity.pipeline == pipeline)
    rows = await session.execute(query)
    return [(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), int(r[6])) for r in rows.all()]


async def stage_columns(
    session: AsyncSession,
    owners: Sequence[uuid.UUID] | None,
    stage_keys: Sequence[str],
    per_stage: int,
    pipeline: str = "default",
) -> dict[str, tuple[list[Opportunity], int, Decimal]]:
    """The board of one pipeline: per stage, its newest-moved deals (at most ``per_stage``), the
    count and the sum."""
    found: dict[str, tuple[list[Opportunity], int, Decimal]] = {}
    scope = [Opportunity.deleted_at.is_(None), Opportunity.pipeline == pipeline]
    if owners is not None:
        scope.append(Opportunity.owner_id.in_(list(owners)))
    totals = await session.execute(
        select(Opportunity.stage, func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
        .where(*scope, Opportunity.stage.in_(list(stage_keys)))
        .group_by(Opportunity.stage)
    )
    sums = {r[0]: (int(r[1]), Decimal(r[2])) for r in totals.all()}
    cards: dict[str, list[Opportunity]] = {key: [] for key in stage_keys}
    if per_stage and any(count for count, _total in sums.values()):
        # Each column's newest-moved cards in one statement (a window per stage), not one per stage.
        rank = (
            func.row_number()
            .over(
                partition_by=Opportunity.stage,
                order_by=(Opportunity.stage_entered_at.desc(), Opportunity.id),
            )
            .label("rank")
        )
        ranked = (
            select(Opportunity.id, rank).where(*scope, Opportunity.stage.in_(list(stage_keys))).subquery()
        )
        rows = await session.scalars(
            select(Opportunity)
            .join(ranked, ranked.c.id == Opportunity.id)
            .where(ranked.c.rank <= per_stage)
            .order_by(Opportunity.stage_entered_at.desc(), Opportunity.id)
        )
        for deal in rows.all():
            cards[deal.stage].append(deal)
    for key in stage_keys:
        count, total = sums.get(key, (0, Decimal("0.00")))
        found[key] = (cards[key], count, total)
    return found


async def targets_between(session: AsyncSession, first: date, last: date) -> list[SalesTarget]:
    rows = await session.scalars(
        select(SalesTarget)
        .where(SalesTarget.month >= first, SalesTarget.month <= last)
        .order_by(SalesTarget.month)
    )
    return list(rows.all())


async def target_of(
    session: AsyncSession, month: date, user_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> SalesTarget | None:
    query = select(SalesTarget).where(SalesTarget.month == month).with_for_update()
    if user_id is not None:
        query = query.where(SalesTarget.user_id == user_id)
    else:
        query = query.where(SalesTarget.team_id == team_id)
    return await session.scalar(query)


async def staff(session: AsyncSession) -> list[tuple[uuid.UUID, str, uuid.UUID | None, bool]]:
    """Every staff member: (id, name, team id, active)."""
    rows = await session.execute(select(User.id, User.name, User.team_id, User.is_active).order_by(User.name))
    return [(r[0], r[1], r[2], bool(r[3])) for r in rows.all()]


async def teams(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Team.id, Team.name))
    return {r[0]: r[1] for r in rows.all()}


async def recent_customers(
    session: AsyncSession, owners: Sequence[uuid.UUID] | None, limit: int = 200
) -> list[tuple[uuid.UUID, str]]:
    """The live customers a deal may be opened for (``owners``' or everyone's), recently changed first."""
    query = select(Customer.id, Customer.name).where(Customer.deleted_at.is_(None))
    if owners is not None:
        query = query.where(Customer.owner_id.in_(list(owners)))
    rows = await session.execute(query.order_by(Customer.updated_at.desc()).limit(limit))
    return [(r[0], r[1]) for r in rows.all()]


# -- contracts ----------------------------------------------------------------------------------------


async def contract_links(
    session: AsyncSession,
    customer_ids: Sequence[uuid.UUID],
    opportunity_ids: Sequence[uuid.UUID],
    order_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, str]:
    """Id → name of the customers and opportunities, number of the orders, that contracts name."""
    found = await names(session, customer_ids)
    for column, label, ids in (
        (Opportunity.id, Opportunity.name, opportunity_ids),
        (Order.id, Order.number, order_ids),
    ):
        if ids:
            rows = await session.execute(select(column, label).where(column.in_(set(ids))))
            found.update({row[0]: row[1] for row in rows.all()})
    return found


def _expiring(today: date, last: date, states: Sequence[str]) -> list[ColumnElement[bool]]:
    """Signed, live contracts in one of ``states`` ending between ``today`` and ``last``."""
    return [
        Contract.deleted_at.is_(None),
        Contract.ends_on.is_not(None),
        Contract.ends_on >= today,
        Contract.ends_on <= last,
        Contract.signed_on.is_not(None),
        Contract.status.in_(list(states)),
    ]


def notice_window(today: date, periods: Sequence[int]) -> ColumnElement[Any]:
    """The notice a contract is in today: the shortest of ``periods`` (days) that reaches its end date
    (NULL beyond the longest)."""
    return case(
        *[(Contract.ends_on <= today + timedelta(days=days), days) for days in sorted(periods)],
        else_=None,
    )


async def claim_expiring(
    session: AsyncSession, today: date, periods: Sequence[int], states: Sequence[str], limit: int
) -> list[Any]:
    """Contracts whose owner is due a notice: in the window of one of ``periods`` and not told about
    that window (or a shorter one) for this end date yet; locked for this transaction (rows another
    sweep holds are skipped): (id, owner, number, title, ends on, customer, window days)."""
    window = notice_window(today, periods)
    query = (
        select(
            Contract.id,
            Contract.owner_id,
            Contract.number,
            Contract.title,
            Contract.ends_on,
            Customer.name,
            window.label("window"),
        )
        .join(Customer, Customer.id == Contract.customer_id)
        .where(
            *_expiring(today, today + timedelta(days=max(periods)), states),
            or_(
                Contract.expiry_reminded_on.is_(None),
                Contract.expiry_reminded_on != Contract.ends_on,
                Contract.expiry_notice_days.is_(None),
                Contract.expiry_notice_days > window,
            ),
        )
        .order_by(Contract.ends_on, Contract.id)
        .limit(limit)
        .with_for_update(of=Contract, skip_locked=True)
    )
    return list((await session.execute(query)).all())


async def mark_expiry_reminded(
    session: AsyncSession, ids: Sequence[uuid.UUID], today: date, periods: Sequence[int]
) -> None:
    """Record the claimed contracts as told about their end date's current window."""
    await session.execute(
        update(Contract)
        .where(Contract.id.in_(list(ids)))
        .values(expiry_reminded_on=Contract.ends_on, expiry_notice_days=notice_window(today, periods))
    )


async def expiring_contracts(
    session: AsyncSession,
    today: date,
    last: date,
    states: Sequence[str],
    owners: Sequence[uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """The soonest-ending contracts of ``owners`` (None: everyone's): (id, number, title, ends on,
    customer)."""
    query = (
        select(Contract.id, Contract.number, Contract.title, Contract.ends_on, Customer.name)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(*_expiring(today, last, states))
    )
    if owners is not None:
        query = query.where(Contract.owner_id.in_(list(owners)))
    return list((await session.execute(query.order_by(Contract.ends_on, Contract.id).limit(limit))).all())
