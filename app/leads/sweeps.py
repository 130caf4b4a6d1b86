"""The cron sweep of leads and pools, per tenant, each batch one transaction (like the reminders in
``app.followups.reminders``):

- leads past their first-response time: the owner is told once (``overdue_notified_at`` set in the
  same transaction, the notification's natural key ``lead_overdue:<id>:<respond_by>``;
  ``app.kit.sweeps.notify_due``);
- the return rule (when the tenant sets one): an owner is warned once per deadline M days before it
  (``pool_entries.warned_for`` holds the deadline warned about, the key ``pool_warning:<id>:<deadline>``),
  and a customer idle N days goes back to its home pool (its owner cleared in the same statement
  batch, so a second sweep finds nothing to return), audited as the system.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.db import Database
from app.domain import Actor
from app.kit.fields import LOCAL_TZ
from app.kit.sweeps import notify_due
from app.leads import repository as repo
from app.leads.entity import (
    LEAD_OVERDUE,
    LEAD_OVERDUE_TITLE,
    POOL_RETURNED,
    POOL_RETURNED_TITLE,
    POOL_WARNING,
    POOL_WARNING_BODY,
    POOL_WARNING_TITLE,
)
from app.leads.models import Lead, Pool
from app.leads.pools import return_to_pools
from app.leads.settings import lead_settings
from app.notifications.service import Note, send_notes

# The rule acts as the system: audit records name no staff member.
SYSTEM = Actor(
    user_id=uuid.UUID(int=0),
    name="系统",
    email="system",
    role_key="system",
    permissions=frozenset(),
    data_scope="all",
    via="system",
)


@dataclass
class PoolSweep:
    overdue: int = 0
    warned: int = 0
    returned: int = 0


def _overdue_note(lead: Lead, owner: uuid.UUID) -> Note:
    return Note(
        owner,
        LEAD_OVERDUE_TITLE,
        params={"lead": lead.name},
        link=f"/leads/{lead.id}",
        dedupe_key=f"lead_overdue:{lead.id}:{lead.respond_by}",
    )


async def _told_overdue(leads: Sequence[Lead], moment: datetime) -> None:
    """Saved with the batch's commit: the owner is told once."""
    for lead in leads:
        lead.overdue_notified_at = moment


async def sweep_tenant(
    db: Database, schema: str, *, now: datetime | None = None, batch: int = 500
) -> PoolSweep:
    run = PoolSweep()
    moment = now or datetime.now(UTC)
    run.overdue = await notify_due(
        db,
        schema,
        LEAD_OVERDUE,
        claim=lambda session: repo.overdue_leads(session, moment, batch),
        note=_overdue_note,
        mark=lambda session, leads: _told_overdue(leads, moment),
    )
    async with db.tenant_session(schema) as session:
        settings = await lead_settings(session)
    if not settings.return_days:
        return run
    idle_since = moment - timedelta(days=settings.return_days)
    if settings.warn_days:
        warn_since = moment - timedelta(days=settings.return_days - settings.warn_days)
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            async with db.tenant_session(schema) as session:
                rows = await repo.warnable_customers(session, idle_since, warn_since, after, batch)
                if not rows:
                    break
                deadlines = {
                    row.id: row.activity + timedelta(days=settings.return_days)
                    for row in rows
                    if row.owner_id is not None
                    and row.warned_for != row.activity + timedelta(days=settings.return_days)
                }
                # One statement for the batch; a warning another sweep recorded first is not sent twice.
                fresh = await repo.mark_warned(session, deadlines)
                notes = [
                    Note(
                        row.owner_id,
                        POOL_WARNING_TITLE,
                        POOL_WARNING_BODY,
                        {
                            "customer": row.name,
                            "on": deadlines[row.id].astimezone(LOCAL_TZ).strftime("%m-%d"),
                        },
                        f"/customers/{row.id}",
                        f"pool_warning:{row.id}:{deadlines[row.id].isoformat()}",
                    )
                    for row in rows
                    if row.id in fresh and row.owner_id is not None
                ]
                await send_notes(session, POOL_WARNING, notes)
                await session.commit()
                run.warned += len(notes)
                after = (rows[-1].activity, rows[-1].id)
    while True:
        async with db.tenant_session(schema) as session:
            idle = await repo.idle_customers(session, idle_since, batch)
            if not idle:
                break
            # Pools and owners' teams are read once per batch, in the batch's own session.
            found = await repo.pools(session)
            if not found:
                return run  # no pool set up: nothing can return
            teams = await repo.teams_of(session, {c.owner_id for c in idle if c.owner_id})
            moves: list[tuple[uuid.UUID, uuid.UUID | None, Pool]] = []
            returned: list[Note] = []
            for customer in idle:
                if customer.owner_id is None:
                    continue
                pool = repo.choose_home_pool(found, teams.get(customer.owner_id), customer.province)
                assert pool is not None  # some pool exists
                moves.append((customer.id, customer.owner_id, pool))
                returned.append(
                    Note(
                        customer.owner_id,
                        POOL_RETURNED_TITLE,
                        params={"customer": customer.name},
                        link="/pools",
                        dedupe_key=f"pool_returned:{customer.id}:{customer.activity.isoformat()}",
                    )
                )
            await return_to_pools(session, SYSTEM, moves, "return_to_pool")
            await send_notes(session, POOL_RETURNED, returned)
            await session.commit()
            run.returned += len(moves)
    return run
