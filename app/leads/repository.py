"""The SQL of leads and pools: assignment candidates and loads, pool membership, claims, the
return rule's candidates. Services call these; they hold no business rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.customers.models import Customer
from app.db import tenant_schema_of
from app.followups.models import FollowUp
from app.leads.activity import idle_since as idle_expression
from app.leads.fields import OPEN_STATUSES
from app.leads.models import Lead, LeadRule, Pool, PoolEntry

# -- assignment -------------------------------------------------------------------------------------


async def lock_assignment(session: AsyncSession) -> None:
    """The tenant's assignment lock, held until the transaction ends: one assignment decision at a
    time (an import chunk's thousand, or one lead by hand), so loads and round robin's place are
    read after the other's leads are stored. Keyed by the schema: tenants never wait on each other."""
    key = f"lead_assign:{tenant_schema_of(session)}"
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


async def active_rules(session: AsyncSession) -> list[LeadRule]:
    """The tenant's active rules in order, locked: round robin's place moves one lead at a time."""
    query = (
        select(LeadRule)
        .where(LeadRule.active.is_(True))
        .order_by(LeadRule.position, LeadRule.created_at, LeadRule.id)
        .with_for_update()
    )
    return list((await session.scalars(query)).all())


async def all_rules(session: AsyncSession) -> list[LeadRule]:
    query = select(LeadRule).order_by(LeadRule.position, LeadRule.created_at, LeadRule.id)
    return list((await session.scalars(query)).all())


async def candidates(session: AsyncSession, team_id: uuid.UUID | None, permission: str) -> list[uuid.UUID]:
    """Active staff who may work leads: the team's members, or everyone when no team is named."""
    query = (
        select(User.id)
        .join(Role, Role.id == User.role_id)
        .where(User.is_active.is_(True), Role.permissions.contains([permission]))
        .order_by(User.name, User.id)
    )
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list((await session.scalars(query)).all())


async def open_lead_counts(session: AsyncSession, people: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    query = (
        select(Lead.owner_id, func.count())
        .where(Lead.owner_id.in_(people), Lead.status.in_(OPEN_STATUSES), Lead.deleted_at.is_(None))
        .group_by(Lead.owner_id)
    )
    return {owner: int(n) for owner, n in (await session.execute(query)).all() if owner is not None}


async def teams_of(session: AsyncSession, people: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    """Each person's team (None: no team)."""
    ids = list(people)
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.team_id).where(User.id.in_(ids)))
    return {person: team for person, team in rows.all()}


async def active_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    user = await session.get(User, user_id)
    return user if user is not None and user.is_active else None


async def overdue_leads(session: AsyncSession, now: datetime, limit: int) -> list[Lead]:
    """Leads past their first-response time that nobody was told about yet, locked (SKIP LOCKED:
    a concurrent sweep takes other rows)."""
    query = (
        select(Lead)
        .where(
            Lead.respond_by < now,
            Lead.responded_at.is_(None),
            Lead.overdue_notified_at.is_(None),
            Lead.deleted_at.is_(None),
            Lead.respond_by.is_not(None),
        )
        .order_by(Lead.respond_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


# -- pools ------------------------------------------------------------------------------------------


async def pools(session: AsyncSession) -> list[Pool]:
    return list((await session.scalars(select(Pool).order_by(Pool.position, Pool.name))).all())


def in_pool(pool_id: uuid.UUID) -> Select[Any]:
    """Live customers sitting in ``pool_id`` (no owner)."""
    return (
        select(Customer)
        .join(PoolEntry, PoolEntry.customer_id == Customer.id)
        .where(PoolEntry.pool_id == pool_id, Customer.owner_id.is_(None), Customer.deleted_at.is_(None))
    )


async def pool_sizes(session: AsyncSession) -> dict[uuid.UUID, int]:
    query = (
        select(PoolEntry.pool_id, func.count())
        .join(Customer, Customer.id == PoolEntry.customer_id)
        .where(Customer.owner_id.is_(None), Customer.deleted_at.is_(None), PoolEntry.pool_id.is_not(None))
        .group_by(PoolEntry.pool_id)
    )
    return {pool: int(n) for pool, n in (await session.execute(query)).all() if pool is not None}


async def last_contacts(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    if not customer_ids:
        return {}
    query = (
        select(FollowUp.customer_id, func.max(FollowUp.happened_at))
        .where(FollowUp.customer_id.in_(customer_ids), FollowUp.deleted_at.is_(None))
        .group_by(FollowUp.customer_id)
    )
    return {c: at for c, at in (await session.execute(query)).all()}


async def lock_person(session: AsyncSession, user_id: uuid.UUID) -> None:
    """One claim at a time per person, so two claims at once cannot both pass the cap."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def held_from_pools(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(PoolEntry)
        .join(Customer, Customer.id == PoolEntry.customer_id)
        .where(PoolEntry.claimed_by == user_id, Customer.owner_id == user_id, Customer.deleted_at.is_(None))
    )
    return int(await session.scalar(query) or 0)


async def take_from_pool(
    session: AsyncSession, customer_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """Give a pooled customer to ``user_id`` if it is still in a pool: one statement, so of two people
    claiming at once exactly one changes the row."""
    result = await session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.owner_id.is_(None),
            Customer.deleted_at.is_(None),
            Customer.id.in_(select(PoolEntry.customer_id).where(PoolEntry.pool_id.is_not(None))),
        )
        .values(owner_id=user_id, version=Customer.version + 1, updated_at=now, updated_by=user_id)
        .returning(Customer.id)
    )
    return result.scalar_one_or_none() is not None


async def set_entry(session: AsyncSession, customer_id: uuid.UUID, **values: Any) -> None:
    statement = insert(PoolEntry).values(customer_id=customer_id, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["customer_id"], set_=values))


async def set_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many customers' places in the pools in one statement (rows with the same keys)."""
    if not rows:
        return
    statement = insert(PoolEntry).values(list(rows))
    columns = [k for k in rows[0] if k != "customer_id"]
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_id"], set_={k: statement.excluded[k] for k in columns}
        )
    )


async def entry(session: AsyncSession, customer_id: uuid.UUID) -> PoolEntry | None:
    return await session.get(PoolEntry, customer_id)


async def home_pool(session: AsyncSession, team_id: uuid.UUID | None, province: str | None) -> Pool | None:
    """Where a customer goes back to: its owner's team's pool, else its province's, else the first."""
    return choose_home_pool(await pools(session), team_id, province)


def choose_home_pool(found: Sequence[Pool], team_id: uuid.UUID | None, province: str | None) -> Pool | None:
    """``home_pool`` among pools already read (a sweep's batch reads them once)."""
    for pool in found:
        if team_id is not None and pool.team_id == team_id:
            return pool
    for pool in found:
        if province and pool.province == province and pool.team_id is None:
            return pool
    general = [p for p in found if p.team_id is None and not p.province]
    return (general or found)[0] if found else None


# -- the return rule --------------------------------------------------------------------------------


def last_activity() -> Any:
    """A customer's last sign of work: its newest follow-up or order, or when it was claimed or
    made. Kept on the customer by PostgreSQL (``app.leads.activity``); indexed for owned live ones."""
    return idle_expression()


@dataclass(frozen=True)
class Idle:
    """What the return rule needs of a customer: who owns it, where it goes, since when it is idle."""

    id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    province: str | None
    activity: datetime
    warned_for: datetime | None = None


def _idle_columns() -> list[Any]:
    return [
        Customer.id,
        Customer.name,
        Customer.owner_id,
        Customer.province,
        last_activity().label("activity"),
    ]


async def idle_customers(session: AsyncSession, idle_since: datetime, limit: int) -> list[Idle]:
    """Owned live customers whose last activity is before ``idle_since``, the longest idle first,
    locked (SKIP LOCKED): a range of ``ix_customers_idle``."""
    activity = last_activity()
    query = (
        select(*_idle_columns())
        .where(Customer.owner_id.is_not(None), Customer.deleted_at.is_(None), activity < idle_since)
        .order_by(activity, Customer.id)
        .limit(limit)
        .with_for_update(of=Customer, skip_locked=True)
    )
    return [
        Idle(c, name, owner, province, at)
        for c, name, owner, province, at in (await session.execute(query)).all()
    ]


async def warnable_customers(
    session: AsyncSession,
    idle_since: datetime,
    warn_since: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Idle]:
    """Owned live customers idle since ``warn_since`` but not yet ``idle_since`` (due for a warning),
    with their last activity and the deadline last warned about; keyset by (activity, id) along
    ``ix_customers_idle``."""
    activity = last_activity()
    query = (
        select(*_idle_columns(), PoolEntry.warned_for)
        .outerjoin(PoolEntry, PoolEntry.customer_id == Customer.id)
        .where(
            Customer.owner_id.is_not(None),
            Customer.deleted_at.is_(None),
            activity < warn_since,
            activity >= idle_since,
        )
        .order_by(activity, Customer.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(activity, Customer.id) > tuple_(*after))
    rows = (await session.execute(query)).all()
    return [Idle(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def clear_owners(
    session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime, updated_by: uuid.UUID | None
) -> None:
    """Take many customers from their owners in one statement (the return rule's batch)."""
    if ids:
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(list(ids)))
            .values(owner_id=None, version=Customer.version + 1, updated_at=now, updated_by=updated_by)
            .execution_options(synchronize_session=False)
        )


async def mark_warned(session: AsyncSession, deadlines: Mapping[uuid.UUID, datetime]) -> set[uuid.UUID]:
    """Record the warnings about each customer's deadline in one statement; returns the customers
    whose warning was not recorded yet (another sweep may have been first)."""
    if not deadlines:
        return set()
    statement = insert(PoolEntry).values(
        [{"customer_id": c, "warned_for": at} for c, at in deadlines.items()]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={"warned_for": statement.excluded.warned_for},
        where=or_(PoolEntry.warned_for.is_(None), PoolEntry.warned_for != statement.excluded.warned_for),
    )
    result = await session.execute(statement.returning(PoolEntry.customer_id))
    return set(result.scalars().all())
