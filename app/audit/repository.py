from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditRecord
from app.customers.models import Customer

# Audit records whose visibility follows a business record's owner: entity name → model.
SCOPED_ENTITIES = {"customer": Customer}

if TYPE_CHECKING:
    from app.audit.service import AuditFilter


async def find(
    session: AsyncSession,
    filters: AuditFilter,
    *,
    limit: int,
    before_id: int | None,
    owner_ids: Sequence[uuid.UUID] | None = None,
) -> Sequence[AuditRecord]:
    """Matching records, newest first; with ``owner_ids`` (a limited data scope) only those of
    records owned within it (soft-deleted ones included) and, for other entities, those made by
    someone within it."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if owner_ids is not None:
        in_scope = [
            and_(
                AuditRecord.entity == entity,
                AuditRecord.entity_id.in_(
                    select(cast(model.id, String)).where(model.owner_id.in_(owner_ids))
                ),
            )
            for entity, model in SCOPED_ENTITIES.items()
        ]
        others = and_(AuditRecord.entity.not_in(list(SCOPED_ENTITIES)), AuditRecord.actor_id.in_(owner_ids))
        query = query.where(or_(*in_scope, others))
    if filters.entity:
        query = query.where(AuditRecord.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditRecord.entity_id == filters.entity_id)
    if filters.actor_id:
        query = query.where(AuditRecord.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditRecord.action == filters.action)
    if filters.since:
        query = query.where(AuditRecord.at >= filters.since)
    if filters.until:
        query = query.where(AuditRecord.at < filters.until)
    if before_id:
        query = query.where(AuditRecord.id < before_id)
    return (await session.scalars(query)).all()
