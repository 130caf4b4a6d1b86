"""Batch jobs (tenant tables ``batch_jobs`` and ``batch_job_items``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDOING = "undoing"
    UNDONE = "undone"


class ItemState(StrEnum):
    PENDING = "pending"
    DONE = "done"  # changed; ``before`` holds what it was
    UNCHANGED = "unchanged"  # already as asked: nothing to do, nothing to undo
    REFUSED = "refused"  # ``reason`` says why
    UNDONE = "undone"
    KEPT = "kept"  # changed by someone after the batch: the undo left it as it is


class BatchJob(TenantBase):
    __tablename__ = "batch_jobs"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))  # owner | add_tags | remove_tags | stage | delete
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}", default=dict)
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Refused records by reason ({"guard_failed": 3, "not_found": 1}).
    refused: Mapped[dict[str, int]] = mapped_column(JSONB, server_default="{}", default=dict)
    undo_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    undo_kept: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Set by every chunk of a run or undo: the lost-job sweep (app.kit.jobs) judges a run by it.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Runs the sweep rescued from a dead worker (a batch that keeps killing workers is failed).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'undoing', 'undone')", name="status_allowed"
        ),
        Index("ix_batch_jobs_actor_created", "actor_id", "created_at"),
    )

    @property
    def processed(self) -> int:
        return self.done + sum(self.refused.values())


class BatchJobItem(TenantBase):
    __tablename__ = "batch_job_items"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(String(10), default=ItemState.PENDING, server_default="pending")
    reason: Mapped[str | None] = mapped_column(String(40))
    # The record's values before the change (only the fields the action changes), for the undo.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The record's version right after the change: a later version means someone edited it since.
    after_version: Mapped[int | None] = mapped_column(Integer)
