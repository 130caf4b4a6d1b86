"""The shared customer pool (公海): customers without an owner sit in a pool; staff claim them up to
the tenant's per-person cap (of two people claiming one customer at once exactly one wins, the other
is told who) and release theirs back. Every move is audited on the customer, so it is on its
timeline. A salesperson sees a pooled customer's basic data only (name, region, last contact):
phone numbers and the rest once claimed, through the customer pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Team, User
from app.audit import service as audit
from app.customers.entity import SPEC as CUSTOMER
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.events import service as events
from app.kit.paging import BadCursor, Order, Page, keyset_page
from app.kit.service import unit_of_work
from app.leads import repository as repo
from app.leads.entity import POOLS_MANAGE, POOLS_READ
from app.leads.models import Pool
from app.leads.settings import lead_settings

# What a pool's customers may be listed by (the latest arrivals first by default).
POOL_SORTS = ("updated_at", "name")


@dataclass(frozen=True)
class PoolView:
    pool: Pool
    size: int


@dataclass(frozen=True)
class PooledCustomer:
    """What anyone who may see the pool learns about a customer in it: no phone, no e-mail."""

    id: uuid.UUID
    name: str
    province: str | None
    city: str | None
    last_contact: datetime | None
    entered_at: datetime | None


class PoolService:
    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def require(self, permission: str) -> None:
        if not self.actor.can(permission):
            raise PermissionDenied(permission)

    async def pools(self) -> list[PoolView]:
        self.require(POOLS_READ)
        sizes = await repo.pool_sizes(self.session)
        return [PoolView(p, sizes.get(p.id, 0)) for p in await repo.pools(self.session)]

    async def pool(self, pool_id: uuid.UUID) -> Pool:
        self.require(POOLS_READ)
        found = await self.session.get(Pool, pool_id)
        if found is None:
            raise NotFound("pool", pool_id)
        return found

    async def customers(
        self,
        pool_id: uuid.UUID,
        *,
        first: int = 20,
        after: str | None = None,
        before: str | None = None,
        order: Order | None = None,
    ) -> Page[PooledCustomer]:
        """One page of the pool's customers (after ``after``, or the page just before ``before``),
        the latest arrivals first unless ``order`` says otherwise (by name or last change), with
        basic data only."""
        await self.pool(pool_id)
        order = order or Order("updated_at")
        errors = []
        if not 1 <= first <= 100:
            errors.append(FieldError("first", "out_of_range", "must be between 1 and 100"))
        if order.field not in POOL_SORTS:
            errors.append(FieldError("orderBy", "invalid_choice", f"must be one of {', '.join(POOL_SORTS)}"))
        if errors:
            raise ValidationFailed(errors)
        try:
            page = await keyset_page(
                self.session, repo.in_pool(pool_id), Customer, order, limit=first, after=after, before=before
            )
        except BadCursor as exc:
            where = "before" if before and not after else "after"
            raise ValidationFailed([FieldError(where, "invalid_cursor", str(exc))]) from exc
        ids = [c.id for c in page.items]
        contacts = await repo.last_contacts(self.session, ids)
        entries = {cid: await repo.entry(self.session, cid) for cid in ids}
        items = [
            PooledCustomer(
                c.id,
                c.name,
                c.province,
                c.city,
                contacts.get(c.id),
                getattr(entries.get(c.id), "entered_at", None),
            )
            for c in page.items
        ]
        return Page(
            items,
            page.total,
            page.total_capped,
            page.has_next,
            page.end_cursor,
            start_cursor=page.start_cursor,
            has_previous=page.has_previous,
        )

    async def claim(self, customer_id: uuid.UUID) -> Customer:
        """Take a pooled customer. Refused over the cap, and when someone else was first (naming them)."""
        self.require(POOLS_READ)
        me = self.actor.user_id
        async with unit_of_work(self.session):
            await repo.lock_person(self.session, me)
            settings = await lead_settings(self.session)
            held = await repo.held_from_pools(self.session, me)
            if held >= settings.claim_cap:
                raise ValidationFailed(
                    [
                        FieldError(
                            "customer_id",
                            "claim_cap",
                            f"you hold {held} customers from the pool; the cap is {settings.claim_cap}",
                        )
                    ]
                )
            entry = await repo.entry(self.session, customer_id)
            now = datetime.now(UTC)
            if not await repo.take_from_pool(self.session, customer_id, me, now):
                owner = await self.session.scalar(
                    select(User.name)
                    .join(Customer, Customer.owner_id == User.id)
                    .where(Customer.id == customer_id, Customer.deleted_at.is_(None))
                )
                if owner is None or entry is None or entry.pool_id is None:
                    raise NotFound(CUSTOMER.key, customer_id)
                raise ValidationFailed(
                    [FieldError("customer_id", "already_claimed", f"{owner} claimed this customer first")]
                )
            pool = await self.session.get(Pool, entry.pool_id) if entry and entry.pool_id else None
            await repo.set_entry(
                self.session, customer_id, claimed_by=me, claimed_at=now, entered_at=None, warned_for=None
            )
            record_move(
                self.session,
                self.actor,
                customer_id,
                "claim",
                {"owner_id": None, "pool": pool.name if pool else None},
                {"owner_id": str(me)},
            )
        customer = await self.session.get(Customer, customer_id, populate_existing=True)
        assert customer is not None
        return customer

    async def release(self, customer_id: uuid.UUID, pool_id: uuid.UUID | None = None) -> Customer:
        """Give a customer of one's own (or in one's scope) back to a pool: the one named, else its
        home pool (the owner's team's, the province's, the first)."""
        customers = CustomerService(self.session, self.actor)
        customers.require("edit")
        self.require(POOLS_READ)
        async with unit_of_work(self.session):
            customer: Any = await customers._load(customer_id, for_update=True)
            if customer.deleted_at is not None:
                raise NotFound(CUSTOMER.key, customer_id)
            if customer.owner_id is None:
                raise ValidationFailed(
                    [FieldError("customer_id", "in_pool", "the customer is in a pool already")]
                )
            pool = await self._target(pool_id, customer)
            await move_to_pool(self.session, self.actor, customer, pool, "release")
        return customer  # type: ignore[no-any-return]

    async def _target(self, pool_id: uuid.UUID | None, customer: Customer) -> Pool:
        if pool_id is not None:
            found = await self.session.get(Pool, pool_id)
            if found is None:
                raise ValidationFailed(
                    [FieldError("pool_id", "unknown_pool", "is not a pool of this dealer")]
                )
            return found
        owner = await self.session.get(User, customer.owner_id) if customer.owner_id else None
        home = await repo.home_pool(self.session, owner.team_id if owner else None, customer.province)
        if home is None:
            raise ValidationFailed([FieldError("pool_id", "no_pool", "no pool is set up yet")])
        return home

    async def create_pool(
        self, name: str, *, team_id: uuid.UUID | None = None, province: str | None = None, position: int = 0
    ) -> Pool:
        self.require(POOLS_MANAGE)
        clean = (name or "").strip()
        errors: list[FieldError] = []
        if not clean:
            errors.append(FieldError("name", "required", "is required"))
        elif len(clean) > 60:
            errors.append(FieldError("name", "too_long", "must be at most 60 characters"))
        elif await self.session.scalar(select(Pool.id).where(Pool.name == clean)):
            errors.append(FieldError("name", "taken", "another pool has this name"))
        if team_id is not None and await self.session.get(Team, team_id) is None:
            errors.append(FieldError("team_id", "unknown_team", "is not a team of this dealer"))
        if errors:
            raise ValidationFailed(errors)
        async with unit_of_work(self.session):
            pool = Pool(
                name=clean, team_id=team_id, province=(province or "").strip() or None, position=position
            )
            self.session.add(pool)
            await self.session.flush()
            audit.record(
                self.session,
                self.actor,
                entity="settings",
                entity_id=f"pool:{pool.id}",
                action="create",
                before=None,
                after={
                    "pool": clean,
                    "team_id": str(team_id) if team_id else None,
                    "province": pool.province,
                },
            )
        return pool


def record_move(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """A move in or out of the pools: an audit record of the customer (so on its timeline) and an event."""
    audit.record(
        session, actor, entity=CUSTOMER.key, entity_id=customer_id, action=action, before=before, after=after
    )
    events.emit(session, f"customer.{action}", {"id": str(customer_id)})


async def move_to_pool(session: AsyncSession, actor: Actor, customer: Any, pool: Pool, action: str) -> None:
    """Take the customer from its owner into ``pool`` (a release by hand)."""
    now = datetime.now(UTC)
    previous = customer.owner_id
    customer.owner_id = None
    customer.version += 1
    customer.updated_at = now
    customer.updated_by = _by(actor)
    await _record_moves(session, actor, [(customer.id, previous, pool)], action, now)


async def return_to_pools(
    session: AsyncSession,
    actor: Actor,
    moves: Sequence[tuple[uuid.UUID, uuid.UUID | None, Pool]],
    action: str,
) -> None:
    """Take many customers (id, previous owner, pool) from their owners at once: the return rule's
    batch, with one statement for the customers, one for their pool entries and one for the audit
    records. Each move is audited on its customer and emits its event, as a move by hand does."""
    now = datetime.now(UTC)
    await repo.clear_owners(session, [customer_id for customer_id, _, _ in moves], now, _by(actor))
    await _record_moves(session, actor, moves, action, now)


def _by(actor: Actor) -> uuid.UUID | None:
    return actor.user_id if actor.via != "system" else None


async def _record_moves(
    session: AsyncSession,
    actor: Actor,
    moves: Sequence[tuple[uuid.UUID, uuid.UUID | None, Pool]],
    action: str,
    now: datetime,
) -> None:
    entries: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for customer_id, previous, pool in moves:
        entries.append(
            {
                "customer_id": customer_id,
                "pool_id": pool.id,
                "entered_at": now,
                "claimed_by": None,
                "claimed_at": None,
                "warned_for": None,
            }
        )
        audits.append(
            audit.row(
                actor,
                entity=CUSTOMER.key,
                entity_id=customer_id,
                action=action,
                before={"owner_id": str(previous) if previous else None},
                after={"owner_id": None, "pool": pool.name},
            )
        )
        events.emit(session, f"customer.{action}", {"id": str(customer_id)})
    await repo.set_entries(session, entries)
    await audit.record_many(session, audits)
