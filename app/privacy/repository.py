"""SQL of the privacy tables (the services hold the rules)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.privacy.models import Consent, SensitiveValue


async def consents(session: AsyncSession, customer_ids: list[uuid.UUID]) -> Sequence[Consent]:
    if not customer_ids:
        return []
    return (
        await session.scalars(
            select(Consent)
            .where(Consent.customer_id.in_(customer_ids))
            .order_by(Consent.given_at.desc(), Consent.id)
        )
    ).all()


async def active_consent(
    session: AsyncSession, customer_id: uuid.UUID, purpose: str, *, for_update: bool = False
) -> Consent | None:
    query = select(Consent).where(
        Consent.customer_id == customer_id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.limit(1))


async def sensitive_values(
    session: AsyncSession, entity: str, record_id: uuid.UUID
) -> Sequence[SensitiveValue]:
    return (
        await session.scalars(
            select(SensitiveValue).where(
                SensitiveValue.entity == entity, SensitiveValue.record_id == record_id
            )
        )
    ).all()


async def sensitive_value(
    session: AsyncSession, entity: str, record_id: uuid.UUID, field: str
) -> SensitiveValue | None:
    return await session.get(SensitiveValue, (entity, record_id, field))


async def upsert_sensitive(session: AsyncSession, values: dict[str, object]) -> None:
    statement = insert(SensitiveValue).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["entity", "record_id", "field"],
            set_={k: statement.excluded[k] for k in values if k not in ("entity", "record_id", "field")},
        )
    )


async def delete_sensitive(
    session: AsyncSession, entity: str, record_id: uuid.UUID, fields: Sequence[str] | None = None
) -> list[str]:
    query = delete(SensitiveValue).where(
        SensitiveValue.entity == entity, SensitiveValue.record_id == record_id
    )
    if fields is not None:
        query = query.where(SensitiveValue.field.in_(list(fields)))
    return list((await session.scalars(query.returning(SensitiveValue.field))).all())


async def records_by_hash(session: AsyncSession, entity: str, field: str, digest: str) -> list[uuid.UUID]:
    return list(
        (
            await session.scalars(
                select(SensitiveValue.record_id).where(
                    SensitiveValue.entity == entity,
                    SensitiveValue.field == field,
                    SensitiveValue.search_hash == digest,
                )
            )
        ).all()
    )


async def older_than(session: AsyncSession, version: int, limit: int) -> Sequence[SensitiveValue]:
    return (
        await session.scalars(
            select(SensitiveValue)
            .where(SensitiveValue.key_version < version)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
