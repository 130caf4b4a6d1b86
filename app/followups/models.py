"""Tenant tables of follow-ups and tasks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TenantBase
from app.followups.fields import FollowUpChannel, FollowUpOutcome
from app.kit.model import OwnedMixin, RecordMixin


class FollowUp(OwnedMixin, RecordMixin, TenantBase):
    """A call, visit, WeChat chat, SMS, email or meeting with a customer; ``owner_id`` is the
    salesperson who had it and who is reminded of the next one."""

    __tablename__ = "follow_ups"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the reminder of ``next_at`` was sent (set in the reminder's own transaction; a changed
    # ``next_at`` clears it, so the new time is reminded of too).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the planned next follow-up happened (a later follow-up with the customer was logged):
    # it leaves the work list and is not reminded of any more.
    next_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        FollowUpChannel.check_constraint("channel", nullable=False),
        FollowUpOutcome.check_constraint("outcome"),
        Index("ix_follow_ups_customer", "customer_id", "happened_at"),
        Index("ix_follow_ups_owner_next", "owner_id", "next_at", postgresql_where="deleted_at IS NULL"),
        # What the reminder sweep reads: due and not reminded yet.
        Index(
            "ix_follow_ups_reminder_due",
            "next_at",
            postgresql_where="reminded_at IS NULL AND next_done_at IS NULL AND deleted_at IS NULL "
            "AND next_at IS NOT NULL",
        ),
    )


class Task(OwnedMixin, RecordMixin, TenantBase):
    """Something one person (``owner_id``, the assignee) must do by ``due_at``, maybe for a customer."""

    __tablename__ = "tasks"

    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_tasks_owner_due",
            "owner_id",
            "due_at",
            postgresql_where="done_at IS NULL AND deleted_at IS NULL",
        ),
        Index(
            "ix_tasks_reminder_due",
            "due_at",
            postgresql_where="reminded_at IS NULL AND done_at IS NULL AND deleted_at IS NULL",
        ),
    )
