"""Platform tables for backups: one row per backup file, and the operators' alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import PlatformBase, created_at_col, uuid_pk


class BackupStatus:
    RUNNING = "running"  # the file is being written; never restorable
    COMPLETED = "completed"  # the file is complete (renamed into place), not yet verified
    VERIFIED = "verified"  # restored into a scratch schema and matched the source table by table
    FAILED = "failed"  # the backup or its verification failed; ``error`` says why
    DELETED = "deleted"  # pruned by the retention policy; the file is gone
    GOOD = (COMPLETED, VERIFIED)


class BackupKind:
    """Why a backup was taken. Scheduled ones are labelled by the retention bucket they open."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    MANUAL = "manual"
    SCHEDULED = (DAILY, WEEKLY, MONTHLY)
    ALL = (DAILY, WEEKLY, MONTHLY, MANUAL)


class Backup(PlatformBase):
    """One encrypted ``pg_dump`` of one tenant schema.

    ``source_tables`` holds each table's row count and checksum taken inside the dump's own
    snapshot; verification compares a restored copy against it. ``wrapped_key`` is the backup's
    data key sealed by the master key (the file header carries the same), never the key itself.
    """

    __tablename__ = "backups"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    tenant_slug: Mapped[str] = mapped_column(String(30))
    schema_name: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), server_default=BackupStatus.RUNNING)
    file_name: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    wrapped_key: Mapped[str] = mapped_column(Text)
    schema_revision: Mapped[str | None] = mapped_column(String(32))
    source_tables: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_backups_tenant_slug_created_at", "tenant_slug", "created_at"),
        Index("ix_backups_status", "status"),
    )


class PlatformAlert(PlatformBase):
    """Something an operator must look at (a failed or missing backup...), shown by the console.

    At most one open alert per (kind, tenant): raising it again only bumps ``last_seen_at``.
    """

    __tablename__ = "platform_alerts"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(40))
    tenant_slug: Mapped[str | None] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()
    last_seen_at: Mapped[datetime] = created_at_col()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_platform_alerts_open",
            "kind",
            text("coalesce(tenant_slug, '')"),
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )
