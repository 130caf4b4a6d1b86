"""Tenant tables: workflow versions and the stage history of records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class Workflow(TenantBase):
    """One version of an entity's workflow. Editing adds a version; exactly one is current."""

    __tablename__ = "workflows"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # States, moves, guards and actions (app.workflows.definition), checked when saved.
    definition: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_col()
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        UniqueConstraint("entity", "version", name="uq_workflows_entity_version"),
        Index("ix_workflows_current", "entity", unique=True, postgresql_where=text("is_current")),
    )


class StageHistory(TenantBase):
    """A record moved from one state to another: who, when, under which workflow version."""

    __tablename__ = "stage_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    workflow_version: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_stage_history_record", "entity", "record_id", "id"),)
