"""Import batch queries. A run's writes are fenced by its attempt number, as exports' are: a run
declared dead and superseded finds its updates matching no row and stops."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.bulk_create import copy_rows
from app.kit.imports.models import ImportBatch, ImportRow, ImportStatus, ImportTemplate, RowAction


async def refresh_statistics(session: AsyncSession, schema: str, table: str) -> None:
    """``ANALYZE`` one of the tenant's tables: its planner statistics follow a table an import is
    filling (the statements of later chunks are planned for its real size, not the empty table's)."""
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
    await session.execute(text(f"ANALYZE {quoted}"))


async def get(session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False) -> ImportBatch | None:
    query = select(ImportBatch).where(ImportBatch.id == batch_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def recent(
    session: AsyncSession, entity: str, requested_by: uuid.UUID | None, *, limit: int
) -> Sequence[ImportBatch]:
    query = (
        select(ImportBatch)
        .where(ImportBatch.entity == entity)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(limit)
    )
    if requested_by is not None:
        query = query.where(ImportBatch.requested_by == requested_by)
    return (await session.scalars(query)).all()


async def claim(session: AsyncSession, batch_id: uuid.UUID, now: datetime) -> ImportBatch | None:
    """Queued → running for a new attempt; None when it is not queued (done, undone, taken)."""
    return await session.scalar(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.status == ImportStatus.QUEUED)
        .values(
            status=ImportStatus.RUNNING,
            attempts=ImportBatch.attempts + 1,
            started_at=func.coalesce(ImportBatch.started_at, now),
            heartbeat_at=now,
            error=None,
        )
        .returning(ImportBatch)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def fenced(session: AsyncSession, batch_id: uuid.UUID, attempt: int, **values: Any) -> bool:
    result = await session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch_id,
            ImportBatch.attempts == attempt,
            ImportBatch.status == ImportStatus.RUNNING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_counts(
    session: AsyncSession, batch_id: uuid.UUID, attempt: int, counts: dict[str, int], now: datetime
) -> bool:
    values: dict[str, Any] = {"heartbeat_at": now}
    for action, column in (
        (RowAction.CREATED, ImportBatch.created_count),
        (RowAction.UPDATED, ImportBatch.updated_count),
        (RowAction.SKIPPED, ImportBatch.skipped_count),
        (RowAction.REJECTED, ImportBatch.rejected_count),
    ):
        values[column.key] = column + counts.get(action, 0)
    values["rows_done"] = ImportBatch.rows_done + sum(counts.values())
    return await fenced(session, batch_id, attempt, **values)


async def add_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """A chunk's ``import_rows`` lines in one statement (a COPY)."""
    await copy_rows(session, ImportRow, rows)


async def touched(session: AsyncSession, batch_id: uuid.UUID) -> tuple[set[uuid.UUID], dict[uuid.UUID, int]]:
    """The records the batch created, and the version each record was left at by its last line."""
    lines = (ImportRow.batch_id == batch_id, ImportRow.record_id.is_not(None))
    found = await session.scalars(
        select(ImportRow.record_id).where(*lines, ImportRow.action == RowAction.CREATED)
    )
    created = {record_id for record_id in found.all() if record_id is not None}
    last = await session.execute(
        select(ImportRow.record_id, ImportRow.version_after)
        .where(*lines, ImportRow.action.in_([RowAction.CREATED, RowAction.UPDATED]))
        .distinct(ImportRow.record_id)
        .order_by(ImportRow.record_id, ImportRow.row_no.desc())
    )
    return created, {
        record_id: version
        for record_id, version in last.all()
        if record_id is not None and version is not None
    }


async def last_row(session: AsyncSession, batch_id: uuid.UUID) -> int:
    """The last file line a committed chunk handled (a resumed run starts after it)."""
    return int(
        await session.scalar(select(func.max(ImportRow.row_no)).where(ImportRow.batch_id == batch_id)) or 0
    )


async def rows(
    session: AsyncSession, batch_id: uuid.UUID, actions: Sequence[str], *, after: int = 0, limit: int = 1000
) -> Sequence[ImportRow]:
    query = (
        select(ImportRow)
        .where(ImportRow.batch_id == batch_id, ImportRow.action.in_(list(actions)), ImportRow.row_no > after)
        .order_by(ImportRow.row_no)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def templates(session: AsyncSession, entity: str) -> Sequence[ImportTemplate]:
    query = select(ImportTemplate).where(ImportTemplate.entity == entity).order_by(ImportTemplate.name)
    return (await session.scalars(query)).all()


async def template(session: AsyncSession, entity: str, template_id: uuid.UUID) -> ImportTemplate | None:
    return await session.scalar(
        select(ImportTemplate).where(ImportTemplate.id == template_id, ImportTemplate.entity == entity)
    )


async def template_named(session: AsyncSession, entity: str, name: str) -> ImportTemplate | None:
    return await session.scalar(
        select(ImportTemplate).where(ImportTemplate.name == name, ImportTemplate.entity == entity)
    )
