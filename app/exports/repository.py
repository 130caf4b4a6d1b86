"""Export job queries. Every state change of a running export is fenced by its attempt number.

A run owns an export only while ``attempts`` still equals the number it claimed with; a run that
was declared dead and superseded (a newer attempt claimed the row) finds its updates matching no
row and stops, so two runs can never both report progress or both finish the same export.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.models import ExportJob, ExportStatus

ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


async def get(session: AsyncSession, export_id: uuid.UUID, *, for_update: bool = False) -> ExportJob | None:
    query = select(ExportJob).where(ExportJob.id == export_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def recent(session: AsyncSession, requested_by: uuid.UUID | None, *, limit: int) -> Sequence[ExportJob]:
    """Newest first; ``requested_by=None`` lists everyone's."""
    query = select(ExportJob).order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)
    if requested_by is not None:
        query = query.where(ExportJob.requested_by == requested_by)
    return (await session.scalars(query)).all()


async def claim(session: AsyncSession, export_id: uuid.UUID, now: datetime) -> ExportJob | None:
    """Queued → running for a new attempt; None when the export is not queued (done, failed, taken)."""
    claimed = await session.scalar(
        update(ExportJob)
        .where(ExportJob.id == export_id, ExportJob.status == ExportStatus.QUEUED)
        .values(
            status=ExportStatus.RUNNING,
            attempts=ExportJob.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            rows_done=0,
            rows_total=None,
            error=None,
            file_name=None,
            finished_at=None,
        )
        .returning(ExportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return claimed


async def _fenced(session: AsyncSession, export_id: uuid.UUID, attempt: int, **values: object) -> bool:
    result = await session.execute(
        update(ExportJob)
        .where(
            ExportJob.id == export_id,
            ExportJob.attempts == attempt,
            ExportJob.status == ExportStatus.RUNNING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_total(
    session: AsyncSession, export_id: uuid.UUID, attempt: int, total: int, now: datetime
) -> bool:
    return await _fenced(session, export_id, attempt, rows_total=total, heartbeat_at=now)


async def record_progress(
    session: AsyncSession, export_id: uuid.UUID, attempt: int, rows_done: int, now: datetime
) -> bool:
    return await _fenced(session, export_id, attempt, rows_done=rows_done, heartbeat_at=now)


async def mark_done(
    session: AsyncSession,
    export_id: uuid.UUID,
    attempt: int,
    *,
    file_name: str,
    rows_done: int,
    now: datetime,
) -> bool:
    return await _fenced(
        session,
        export_id,
        attempt,
        status=ExportStatus.DONE,
        file_name=file_name,
        rows_done=rows_done,
        heartbeat_at=now,
        finished_at=now,
    )


async def mark_failed(
    session: AsyncSession, export_id: uuid.UUID, attempt: int, error: str, now: datetime
) -> bool:
    return await _fenced(
        session, export_id, attempt, status=ExportStatus.FAILED, error=error, finished_at=now
    )


async def hand_back(session: AsyncSession, export_id: uuid.UUID, attempt: int) -> bool:
    """Running → queued by the run itself (its worker is shutting down), for another worker to take."""
    return await _fenced(session, export_id, attempt, status=ExportStatus.QUEUED)


async def requeue(session: AsyncSession, export_id: uuid.UUID, *, stale_before: datetime) -> bool:
    """Failed, or running without a heartbeat since ``stale_before`` (its worker died) → queued."""
    result = await session.execute(
        update(ExportJob)
        .where(
            ExportJob.id == export_id,
            or_(
                ExportJob.status == ExportStatus.FAILED,
                (ExportJob.status == ExportStatus.RUNNING) & (ExportJob.heartbeat_at < stale_before),
            ),
        )
        .values(status=ExportStatus.QUEUED, error=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
