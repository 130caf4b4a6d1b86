from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditRecord

if TYPE_CHECKING:
    from app.audit.service import AuditFilter


async def find(
    session: AsyncSession, filters: AuditFilter, *, limit: int, before_id: int | None
) -> Sequence[AuditRecord]:
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
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
