"""Custom-field queries: the definitions, and counts over an entity's ``custom`` JSONB column."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.customfields.models import CustomFieldDefinition
from app.tenant_settings.models import TenantSetting


async def definitions(
    session: AsyncSession, entity: str, *, include_archived: bool = False
) -> Sequence[CustomFieldDefinition]:
    query = select(CustomFieldDefinition).where(CustomFieldDefinition.entity == entity)
    if not include_archived:
        query = query.where(CustomFieldDefinition.archived_at.is_(None))
    query = query.order_by(CustomFieldDefinition.position, CustomFieldDefinition.created_at)
    return (await session.scalars(query)).all()


async def get(
    session: AsyncSession, definition_id: uuid.UUID, *, for_update: bool = False
) -> CustomFieldDefinition | None:
    query = select(CustomFieldDefinition).where(CustomFieldDefinition.id == definition_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_key(session: AsyncSession, entity: str, key: str) -> CustomFieldDefinition | None:
    return await session.scalar(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.entity == entity, CustomFieldDefinition.key == key
        )
    )


async def next_position(session: AsyncSession, entity: str) -> int:
    found = await session.scalar(
        select(func.max(CustomFieldDefinition.position)).where(CustomFieldDefinition.entity == entity)
    )
    return int(found or 0) + 10


def _has_value(column: Any, key: str) -> ColumnElement[bool]:
    return func.coalesce(func.jsonb_typeof(column[key]), "null") != "null"


async def count_values(
    session: AsyncSession, model: type, key: str, *, unless: ColumnElement[bool] | None = None
) -> int:
    """Records (soft-deleted ones too: they can come back) holding a value for ``key``; with
    ``unless``, only those whose value fails that condition."""
    column = model.custom  # type: ignore[attr-defined]
    query = select(func.count()).select_from(model).where(_has_value(column, key))
    if unless is not None:
        query = query.where(func.coalesce(unless, False).is_(False))
    return int(await session.scalar(query) or 0)


async def count_option_use(
    session: AsyncSession, model: type, key: str, values: Sequence[str], *, multi: bool
) -> int:
    """Records whose value is (single) or includes (multi) one of ``values``."""
    column = model.custom  # type: ignore[attr-defined]
    if multi:
        condition = column[key].op("?|")(array(list(values)))
    else:
        condition = column[key].astext.in_(list(values))
    return int(await session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


# -- each person's list columns (one tenant-settings document per entity: user id → keys) ----------


def _columns_key(entity: str) -> str:
    return f"list_columns:{entity}"


async def column_choice(session: AsyncSession, entity: str, user_id: uuid.UUID) -> list[str] | None:
    row = await session.get(TenantSetting, _columns_key(entity))
    found = (row.value or {}).get(str(user_id)) if row is not None else None
    return list(found) if isinstance(found, list) else None


async def save_column_choice(
    session: AsyncSession, entity: str, user_id: uuid.UUID, keys: Sequence[str] | None
) -> None:
    """One statement, so two people saving at once both keep their choice; None forgets it."""
    who = str(user_id)
    if keys is None:
        await session.execute(
            update(TenantSetting)
            .where(TenantSetting.key == _columns_key(entity))
            .values(value=TenantSetting.value.op("-")(who), updated_by=user_id, updated_at=func.now())
        )
        return
    entry = {who: list(keys)}
    insert = pg_insert(TenantSetting).values(key=_columns_key(entity), value=entry, updated_by=user_id)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[TenantSetting.key],
            set_={
                "value": TenantSetting.value.op("||")(insert.excluded.value),
                "updated_by": user_id,
                "updated_at": func.now(),
            },
        )
    )
