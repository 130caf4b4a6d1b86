"""SQL of the notification centre."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.notifications.models import Notification, NotificationDelivery, NotificationPreference


async def preferences_for(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], kind: str
) -> dict[tuple[uuid.UUID, str], bool]:
    rows = await session.execute(
        select(
            NotificationPreference.user_id, NotificationPreference.channel, NotificationPreference.enabled
        ).where(NotificationPreference.user_id.in_(list(user_ids)), NotificationPreference.kind == kind)
    )
    return {(user_id, channel): enabled for user_id, channel, enabled in rows.all()}


async def user_preferences(session: AsyncSession, user_id: uuid.UUID) -> dict[tuple[str, str], bool]:
    rows = await session.execute(
        select(
            NotificationPreference.kind, NotificationPreference.channel, NotificationPreference.enabled
        ).where(NotificationPreference.user_id == user_id)
    )
    return {(kind, channel): enabled for kind, channel, enabled in rows.all()}


async def save_preferences(
    session: AsyncSession, user_id: uuid.UUID, choices: dict[tuple[str, str], bool]
) -> None:
    if not choices:
        return
    statement = insert(NotificationPreference).values(
        [{"user_id": user_id, "kind": k, "channel": c, "enabled": on} for (k, c), on in choices.items()]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "kind", "channel"], set_={"enabled": statement.excluded.enabled}
        )
    )


async def insert_notifications(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Insert; a row whose (recipient, dedupe key) exists already is skipped. Returns (id, recipient)
    of the rows inserted."""
    if not rows:
        return []
    statement = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["recipient_id", "dedupe_key"])
        .returning(Notification.id, Notification.recipient_id)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(NotificationDelivery).values(rows).on_conflict_do_nothing())


def _mine(user_id: uuid.UUID, unread_only: bool) -> Any:
    condition = Notification.recipient_id == user_id
    return and_(condition, Notification.read_at.is_(None)) if unread_only else condition


async def unread_count(session: AsyncSession, user_id: uuid.UUID, cap: int) -> int:
    ids = select(Notification.id).where(_mine(user_id, True)).limit(cap + 1).subquery()
    return int(await session.scalar(select(func.count()).select_from(ids)) or 0)


def mine_query(user_id: uuid.UUID, unread_only: bool) -> Any:
    return select(Notification).where(_mine(user_id, unread_only))


async def own_notification(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Any:
    return await session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.recipient_id == user_id)
    )


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID] | None, now: datetime
) -> int:
    """Mark the recipient's own notifications read (``ids`` None: all of them); others' ids change nothing."""
    condition = _mine(user_id, True)
    if ids is not None:
        condition = and_(condition, Notification.id.in_(list(ids)))
    result = await session.execute(update(Notification).where(condition).values(read_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- delivery (the worker's side) -------------------------------------------------------------------


async def claim_deliveries(session: AsyncSession, now: datetime, lease: timedelta, limit: int) -> list[Any]:
    """Claim up to ``limit`` due deliveries (pending, failed-and-due, or claimed by a run that
    died longer than ``lease`` ago); rows another sweep holds are skipped, not waited for."""
    due = (
        select(NotificationDelivery.id)
        .where(
            or_(
                and_(NotificationDelivery.status == "pending", NotificationDelivery.next_attempt_at <= now),
                and_(NotificationDelivery.status == "sending", NotificationDelivery.claimed_at < now - lease),
            )
        )
        .order_by(NotificationDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(due.scalar_subquery()))
        .values(status="sending", claimed_at=now, attempts=NotificationDelivery.attempts + 1)
        .returning(
            NotificationDelivery.id,
            NotificationDelivery.channel,
            NotificationDelivery.attempts,
            NotificationDelivery.notification_id,
        )
    )
    return list((await session.execute(claimed)).all())


async def notifications_with_recipients(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Notification, User]]:
    rows = await session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.recipient_id)
        .where(Notification.id.in_(list(ids)))
    )
    return {n.id: (n, u) for n, u in rows.all()}


async def finish_delivery(
    session: AsyncSession,
    delivery_id: int,
    *,
    sent_at: datetime | None,
    error: str | None,
    retry_at: datetime | None,
) -> None:
    if sent_at is not None:
        values: dict[str, Any] = {"status": "sent", "sent_at": sent_at, "error": None}
    elif retry_at is not None:
        values = {"status": "pending", "next_attempt_at": retry_at, "error": error}
    else:
        values = {"status": "failed", "error": error}
    await session.execute(
        update(NotificationDelivery).where(NotificationDelivery.id == delivery_id).values(values)
    )
