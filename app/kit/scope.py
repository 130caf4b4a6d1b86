"""Data scope (own / team / all) as a query condition, for owned records and for their children.

``OwnerScope`` reads the record's own ``owner_id``; ``ParentScope`` follows a foreign key to a
parent entity's scope (a contact is visible when its customer is). Out-of-scope records read
exactly like absent ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import visible_owner_ids
from app.domain import Actor


class Scope(Protocol):
    def condition(self, model: Any, owners: Sequence[uuid.UUID] | None) -> ColumnElement[bool]: ...


@dataclass(frozen=True)
class OwnerScope:
    column: str = "owner_id"

    def condition(self, model: Any, owners: Sequence[uuid.UUID] | None) -> ColumnElement[bool]:
        if owners is None:
            return true()
        return getattr(model, self.column).in_(owners)


@dataclass(frozen=True)
class ParentScope:
    """Visible when the parent (``parent_model`` through ``foreign_key``) is."""

    parent_model: Any
    foreign_key: str
    parent_key: str = "record"  # the parent entity's key, for error codes (unknown_customer)
    parent_scope: OwnerScope = OwnerScope()

    def condition(self, model: Any, owners: Sequence[uuid.UUID] | None) -> ColumnElement[bool]:
        if owners is None:
            return true()
        parents = select(self.parent_model.id).where(self.parent_scope.condition(self.parent_model, owners))
        return getattr(model, self.foreign_key).in_(parents)


async def owners_for(session: AsyncSession, actor: Actor) -> list[uuid.UUID] | None:
    """The owners whose records ``actor`` may see, or None for all."""
    return await visible_owner_ids(session, actor)


@dataclass(frozen=True)
class TenantWide:
    """Shared records of the whole tenant (products, warehouses): every holder of the module's read
    permission sees them, whatever their data scope."""

    def condition(self, model: Any, owners: Sequence[uuid.UUID] | None) -> ColumnElement[bool]:
        return true()
