"""Arranging due follow-ups in bulk (one INSERT; the service refuses past times, rightly)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_testkit import TenantKit
from litestar import Litestar
from sqlalchemy import func, insert, select

from app.customers.models import Customer
from app.followups.models import FollowUp
from app.notifications.models import Notification, NotificationPreference


async def due_follow_ups(
    app: Litestar, kit: TenantKit, owner_key: str, count: int, *, customers: int = 20, minutes_ago: int = 5
) -> list[uuid.UUID]:
    """``count`` follow-ups of ``owner_key`` whose planned next time passed ``minutes_ago`` minutes ago."""
    owner = kit.people[owner_key]
    due = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    async with app.state.db.tenant_session(kit.schema) as session:
        customer_ids = (
            await session.scalars(
                insert(Customer).returning(Customer.id),
                [
                    {
                        "name": f"提醒客户{uuid.uuid4().hex[:8]}",
                        "kind": "individual",
                        "status": "lead",
                        "owner_id": owner,
                        "version": 1,
                        "custom": {},
                        "search_grams": [],
                        "search_text": "",
                    }
                    for _ in range(customers)
                ],
            )
        ).all()
        ids = (
            await session.scalars(
                insert(FollowUp).returning(FollowUp.id),
                [
                    {
                        "customer_id": customer_ids[i % customers],
                        "channel": "call",
                        "summary": f"第{i}次电话",
                        "owner_id": owner,
                        "next_at": due - timedelta(seconds=i),
                        "version": 1,
                        "custom": {},
                    }
                    for i in range(count)
                ],
            )
        ).all()
        await session.commit()
    return list(ids)


async def wants_email(app: Litestar, kit: TenantKit, who: str, kind: str) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        session.add(NotificationPreference(user_id=kit.people[who], kind=kind, channel="email", enabled=True))
        await session.commit()


async def notification_count(app: Litestar, kit: TenantKit, kind: str) -> tuple[int, int]:
    """(notifications of ``kind``, distinct dedupe keys among them)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        row = (
            await session.execute(
                select(func.count(), func.count(func.distinct(Notification.dedupe_key))).where(
                    Notification.kind == kind
                )
            )
        ).one()
    return int(row[0]), int(row[1])
