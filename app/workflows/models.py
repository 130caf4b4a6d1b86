"""Tenant tables: workflow versions, the pipelines of entities that run several workflows, and the
stage history of records."""

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

# The key of an entity's only workflow, and of the first pipeline of one that runs several.
DEFAULT_KEY = "default"


class Workflow(TenantBase):
    """One version of one of an entity's workflows (``key``: which pipeline; ``default`` for an
    entity with one). Editing adds a version; exactly one per (entity, key) is current."""

    __tablename__ = "workflows"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40), default=DEFAULT_KEY, server_default=DEFAULT_KEY)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # States, moves, guards and actions (app.workflows.definition), checked when saved.
    definition: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_col()
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        UniqueConstraint("entity", "key", "version", name="uq_workflows_entity_key_version"),
        Index("ix_workflows_current", "entity", "key", unique=True, postgresql_where=text("is_current")),
    )


class Pipeline(TenantBase):
    """One of the workflows of an entity that runs several (``EntitySpec.workflow_key_field``): its
    name, its place in the switcher (the first one not archived is the default for new records)
    and whether it is archived (kept for its records' history, offered for nothing new)."""

    __tablename__ = "workflow_pipelines"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (
        UniqueConstraint("entity", "key", name="uq_workflow_pipelines_entity_key"),
        Index("uq_workflow_pipelines_name", "entity", text("lower(name)"), unique=True),
    )


class StageHistory(TenantBase):
    """A record moved from one state to another: who, when, under which workflow version."""

    __tablename__ = "stage_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # The pipeline the move was made in (a move between pipelines: the one it went to).
    workflow_key: Mapped[str] = mapped_column(String(40), default=DEFAULT_KEY, server_default=DEFAULT_KEY)
    workflow_version: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_stage_history_record", "entity", "record_id", "id"),)
