"""Per-request DataLoaders: one query per kind of related record, however many rows a page has."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.accounts import repository as accounts_repo
from app.accounts.models import User
from app.customers import service as customers
from app.customers.models import Customer
from app.domain import Actor
from app.kit.service import service_for


@dataclass(frozen=True)
class Related:
    """Owners and tags already loaded for a whole page; ``None`` where a field loads its own."""

    owners: dict[uuid.UUID, User | None] | None = None
    tags: dict[uuid.UUID, list[str]] | None = None


NOTHING_PRELOADED = Related()


@dataclass(frozen=True)
class Loaders:
    owners: DataLoader[uuid.UUID, User | None]
    tags: DataLoader[uuid.UUID, list[str]]
    session: AsyncSession | None = None
    lock: asyncio.Lock | None = None
    _children: dict[str, DataLoader[uuid.UUID, list[Any]]] = field(default_factory=dict)

    def children(self, key: str, actor: Actor) -> DataLoader[uuid.UUID, list[Any]]:
        """A parent's records of child entity ``key`` (a customer's contacts), batched over every
        parent the request resolves, through the entity's service (its permission and scope)."""
        if key not in self._children:
            session, lock = self.session, self.lock
            assert session is not None and lock is not None
            service_cls = service_for(key)

            async def load(parent_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
                async with lock:
                    found = await service_cls(session, actor).for_parents(list(parent_ids))
                return [found.get(i, []) for i in parent_ids]

            self._children[key] = DataLoader(load_fn=load)
        return self._children[key]

    def forget_customer(self, customer_id: uuid.UUID) -> None:
        """After a change to the customer: what was loaded for it earlier in the request is stale."""
        with suppress(KeyError):
            self.tags.clear(customer_id)

    async def preload(self, customers: Sequence[Customer], *, owners: bool, tags: bool) -> Related:
        """A page's owners and tags in one batch each, handed to the rows as plain values: fifty rows
        then resolve ``owner`` and ``tags`` without fifty awaits each (the loaders still batch the SQL
        either way; this saves the per-field async machinery)."""
        ids = [c.id for c in customers]
        owner_ids = list({c.owner_id for c in customers if c.owner_id is not None})
        related = Related()
        if owners:
            users = await self.owners.load_many(owner_ids)
            related = replace(related, owners=dict(zip(owner_ids, users, strict=True)))
        if tags:
            names = await self.tags.load_many(ids)
            related = replace(related, tags=dict(zip(ids, names, strict=True)))
        return related


def make_loaders(session: AsyncSession, lock: asyncio.Lock) -> Loaders:
    """Loaders over the request's session. ``lock`` serialises them with resolvers: one session,
    one statement at a time (sibling fields resolve concurrently)."""

    async def load_owners(ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with lock:
            found = {user.id: user for user in await accounts_repo.users_by_ids(session, list(ids))}
        return [found.get(i) for i in ids]

    async def load_tags(ids: Sequence[uuid.UUID]) -> list[list[str]]:
        async with lock:
            found = await customers.tag_names(session, list(ids))
        return [found.get(i, []) for i in ids]

    return Loaders(
        owners=DataLoader(load_fn=load_owners), tags=DataLoader(load_fn=load_tags), session=session, lock=lock
    )
