"""Tenant tables of the kit's importer: one batch per uploaded file, one row per data row handled
(what it did and, for an updated record, the record as it was), and saved column mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class ImportStatus:
    MAPPING = "mapping"  # uploaded; the columns wait for the person to confirm them
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"


class RowAction:
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    REJECTED = "rejected"


class ImportBatch(TenantBase):
    """One uploaded file and what importing it did. ``rows_done`` moves only with the committed rows."""

    __tablename__ = "import_batches"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))  # under the tenant's "imports" folder
    format: Mapped[str] = mapped_column(String(8))  # csv | xlsx
    encoding: Mapped[str | None] = mapped_column(String(20))  # csv only: utf-8, utf-8-sig, gb18030
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    headers: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # One target per column, in column order: a field name, "custom.<key>", or None (not imported).
    mapping: Mapped[list[str | None]] = mapped_column(JSONB, default=list)
    policy: Mapped[str] = mapped_column(String(8), default="skip")  # skip | update | create
    status: Mapped[str] = mapped_column(String(12), default=ImportStatus.MAPPING)
    requested_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (Index("ix_import_batches_created_at", "created_at"),)


class ImportRow(TenantBase):
    """What one data row did, committed with its change (a resumed run starts after the last one)."""

    __tablename__ = "import_rows"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True
    )
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)  # the line in the file (header = 1)
    action: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # An updated record as it was (every column, and what the entity keeps beside it, like tags).
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The record's version right after the import wrote it (undo leaves later edits alone).
    version_after: Mapped[int | None] = mapped_column(Integer)
    # Why a row was rejected or skipped: [{field, code, message}] (worded by whoever shows it).
    problems: Mapped[list[dict[str, str]] | None] = mapped_column(JSONB)
    cells: Mapped[list[Any] | None] = mapped_column(JSONB)  # a rejected row's cells, for the rejects file


class ImportTemplate(TenantBase):
    """A saved column mapping (header → target), offered on the next import of the same entity."""

    __tablename__ = "import_templates"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    columns: Mapped[dict[str, str | None]] = mapped_column(JSONB, default=dict)
    policy: Mapped[str] = mapped_column(String(8), default="skip")
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (UniqueConstraint("entity", "name"),)
