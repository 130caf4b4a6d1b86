"""The tenant table of custom-field definitions (values live in each entity's ``custom`` JSONB column)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk


class CustomFieldDefinition(TenantBase):
    __tablename__ = "custom_field_definitions"

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(String(40))  # the entity key of the kit registry ("customer")
    key: Mapped[str] = mapped_column(String(40))  # slug; the key in the entity's ``custom`` JSONB
    label_zh: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(60), default="")
    type: Mapped[str] = mapped_column(String(20))  # app.customfields.types.TYPES
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ordered [{value, label_zh, label_en, color, archived}] for the select types.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    # {min, max, min_length, max_length, regex}: only the keys the type takes.
    validation: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    default: Mapped[Any] = mapped_column(JSONB, nullable=True)
    searchable: Mapped[bool] = mapped_column(Boolean, default=False)
    filterable: Mapped[bool] = mapped_column(Boolean, default=False)
    show_in_list: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    group: Mapped[str | None] = mapped_column(String(60))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_col()
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (UniqueConstraint("entity", "key"),)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def label(self, locale: str) -> str:
        return (self.label_en or self.label_zh) if locale == "en" else self.label_zh

    def option_label(self, value: str, locale: str) -> str:
        for option in self.options or []:
            if option.get("value") == value:
                text = option.get("label_en") if locale == "en" else None
                return str(text or option.get("label_zh") or value)
        return value
