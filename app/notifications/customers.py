"""Telling a dealer's customers (not staff): an SMS about their delivery, through the same channel
adapters as staff notifications.

A message is written in the caller's transaction (``message_customer``), so a booking and the SMS
about it commit or roll back together; ``deliver_customer_messages`` is the worker's sweep that
sends due ones through the channel adapter (a recording fake until an SMS provider's adapter is
configured) with the same backoff and the same idempotency key on every attempt as staff
deliveries. The text is rendered when written, in the tenant's language: customers have no
language preference of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Database, TenantBase, created_at_col
from app.kit.enums import N_
from app.notifications.channels import Channel, Message
from app.notifications.delivery import MAX_ATTEMPTS, backoff
from app.notifications.kinds import register_channel

SMS = "sms"
register_channel(SMS, N_("SMS"))


class CustomerMessage(TenantBase):
    """One message to one customer's phone, and its delivery state (the channel's outbox row)."""

    __tablename__ = "customer_messages"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    to: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(60))
    # The cause ("booking:<id>:booked:<version>"): the same cause never texts the customer twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_col()

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_allowed"),
        Index("ix_customer_messages_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_customer_messages_customer_id", "customer_id", "id"),
    )


async def message_customer(
    session: AsyncSession,
    customer_id: uuid.UUID,
    to: str | None,
    body: str,
    *,
    kind: str,
    dedupe_key: str,
    channel: str = SMS,
) -> bool:
    """Queue a message to a customer in the caller's transaction; False when there is no number
    to send to or the same cause was already sent."""
    if not to:
        return False
    written = await session.execute(
        insert(CustomerMessage)
        .values(
            customer_id=customer_id, channel=channel, to=to, body=body[:500], kind=kind, dedupe_key=dedupe_key
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(CustomerMessage.id)
    )
    return written.scalar_one_or_none() is not None


@dataclass
class CustomerRun:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def deliver_customer_messages(
    db: Database,
    schema: str,
    channels: Mapping[str, Channel],
    *,
    now: datetime | None = None,
    batch: int = 100,
) -> CustomerRun:
    """Send the tenant's due customer messages once each (a failed one waits its backoff)."""
    run = CustomerRun()
    moment = now or datetime.now(UTC)
    async with db.tenant_session(schema) as session:
        due = list(
            (
                await session.scalars(
                    select(CustomerMessage)
                    .where(CustomerMessage.status == "pending", CustomerMessage.next_attempt_at <= moment)
                    .order_by(CustomerMessage.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        for row in due:
            channel = channels.get(row.channel)
            error: str | None = None
            if channel is None:
                error = f"no adapter is configured for channel {row.channel}"
            else:
                try:
                    await channel.send(
                        Message(
                            key=f"{schema}:customer:{row.id}",
                            to_user=str(row.customer_id),
                            to_email=row.to,
                            title=row.body,
                            body=row.body,
                            link=None,
                            kind=row.kind,
                        )
                    )
                except Exception as exc:  # any adapter failure is recorded and retried
                    error = f"{type(exc).__name__}: {exc}"[:2000]
            attempts = row.attempts + 1
            values: dict[str, object] = {"attempts": attempts, "error": error}
            if error is None:
                values.update(status="sent", sent_at=datetime.now(UTC))
                run.sent += 1
            elif attempts < MAX_ATTEMPTS and channel is not None:
                values.update(next_attempt_at=moment + backoff(attempts))
                run.retrying += 1
            else:
                values.update(status="failed")
                run.failed += 1
            await session.execute(
                update(CustomerMessage).where(CustomerMessage.id == row.id).values(**values)
            )
        await session.commit()
    return run
