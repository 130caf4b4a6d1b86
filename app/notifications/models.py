"""Tenant tables of the notification centre: notifications, their deliveries, preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase, created_at_col, uuid_pk

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class Notification(TenantBase):
    """One thing one staff member is told, shown under the bell until read."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    # Msgids, translated with ``params`` where shown (the reader's language, not the sender's).
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    link: Mapped[str | None] = mapped_column(String(300))
    # The natural key of what caused it ("follow_up:<id>:<due time>"): the same cause never
    # notifies the same person twice, however often a sweep runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_col()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("recipient_id", "dedupe_key"),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at"),
        Index("ix_notifications_unread", "recipient_id", postgresql_where="read_at IS NULL"),
    )


class NotificationDelivery(TenantBase):
    """A notification on its way through one outside channel (email, WeCom...): the outbox row
    the delivery sweep claims, sends and records the outcome of."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When to try next (a failed attempt backs off; a claim that outlives its lease is retried).
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_allowed"),
        Index(
            "ix_notification_deliveries_due",
            "next_attempt_at",
            postgresql_where="status IN ('pending', 'sending')",
        ),
    )


class NotificationPreference(TenantBase):
    """A staff member's choice for one kind on one channel (absent: the kind's default)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
