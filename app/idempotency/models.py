"""One row per (actor, key): the request's fingerprint and the answer given the first time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col

KEY_MAX_LENGTH = 255


class IdempotencyKey(TenantBase):
    """Written in the same transaction as the operation it guards, so both exist or neither does."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    actor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    # sha256 of what the request asked for; the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_col()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
