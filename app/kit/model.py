"""Columns every business record has, declared once.

    class Contact(RecordMixin, TenantBase): ...            # a record (scope through its parent)
    class Customer(OwnedMixin, SearchMixin, RecordMixin, TenantBase): ...   # owned and searchable

``RecordMixin``: id, version (optimistic locking), created/updated/deleted at and by (soft delete),
``custom`` (values of per-tenant custom fields, validated by the service). ``OwnedMixin``: the
owning staff member, which the own/team/all data scope reads. ``SearchMixin``: the gram array and
its source text for the Chinese search path (``app.search.grams``), with the GIN index made by
``search_index``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class RecordMixin:
    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Values of per-tenant custom fields (app.customfields), validated by the service layer.
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}", default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class OwnedMixin:
    @declared_attr
    def owner_id(cls) -> Mapped[uuid.UUID | None]:  # noqa: N805 (declared_attr receives the class)
        return mapped_column(ForeignKey("users.id"), index=True)


class SearchMixin:
    # Search grams (CJK bigrams, digit trigrams, tokens, pinyin initials): see app.search.grams.
    search_grams: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # The normalised text the grams came from, for the LIKE recheck (order and adjacency).
    search_text: Mapped[str] = mapped_column(Text, default="")


def search_index(table: str) -> Index:
    return Index(f"ix_{table}_search_grams", "search_grams", postgresql_using="gin")
