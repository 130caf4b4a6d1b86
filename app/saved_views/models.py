"""A saved view of a list (tenant table ``saved_views``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class SavedView(TenantBase):
    __tablename__ = "saved_views"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))  # the kit entity whose list it is
    name: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    visibility: Mapped[str] = mapped_column(String(10))  # private | team | role
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    role_key: Mapped[str | None] = mapped_column(String(40))
    # The list's query-string parameters (its filter spec's names: q, status, cf.<key>...).
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}", default=dict)
    sort: Mapped[str | None] = mapped_column(String(40))
    descending: Mapped[bool | None] = mapped_column(Boolean)
    # Visible columns in order (built-in names and ``cf.<key>``); None: the list's defaults.
    columns: Mapped[list[str] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_col()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("visibility IN ('private', 'team', 'role')", name="visibility_allowed"),
        Index("ix_saved_views_entity_owner", "entity", "owner_id"),
    )
