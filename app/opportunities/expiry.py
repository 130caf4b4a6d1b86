"""Contracts about to end: the tenant's notice period, the reminder sweep and the home card.

The notice period is a tenant setting (``contracts``: ``{"remind_days": 30}``, 1 to 365 days,
settings:manage). The sweep tells each signed contract's owner once per end date, when that date is
within the notice period and the contract is still in an open state of its workflow (signed, in
force): per batch, in one transaction, it locks the due contracts not told yet (``FOR UPDATE SKIP
LOCKED``), writes the notifications, sets ``expiry_reminded_on`` to the end date and commits. A sweep
killed mid-batch rolls back (the next run reminds that batch); a concurrent sweep skips the locked
rows; the notification's natural key ``contract:<id>:ends:<date>`` makes a repeat a no-op even if
both guards failed. A contract extended to a later end date is reminded again when that one nears.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.audit import service as audit
from app.db import Database
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.kit.enums import N_
from app.kit.fields import LOCAL_TZ
from app.kit.home import CardData, CardRow
from app.kit.scope import owners_for
from app.notifications.kinds import IN_APP, Kind, register_kind
from app.notifications.service import Note, send_notes
from app.opportunities import repository as repo
from app.tenant_settings.models import TenantSetting
from app.workflows import service as workflows
from app.workflows.definition import StateCategory

SETTING_KEY = "contracts"
DEFAULT_REMIND_DAYS = 30
REMIND_DAYS_RANGE = (1, 365)

CONTRACT_EXPIRING = register_kind(
    Kind("contract.expiring", N_("A contract of mine is about to end"), "contracts", (IN_APP,))
)
EXPIRING_TITLE = N_("Contract %(number)s ends on %(ends)s")
EXPIRING_BODY = N_("%(title)s with %(customer)s ends in %(days)s days.")


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


async def remind_days(session: AsyncSession) -> int:
    """Days before a contract's end its owner is told (the tenant's setting, 30 by default)."""
    row = await session.get(TenantSetting, SETTING_KEY)
    value = (row.value or {}).get("remind_days") if row is not None else None
    low, high = REMIND_DAYS_RANGE
    return value if isinstance(value, int) and low <= value <= high else DEFAULT_REMIND_DAYS


async def set_remind_days(session: AsyncSession, actor: Actor, raw: object) -> int:
    """Change the notice period (settings:manage), audited; commits. A bad value is a field error on
    ``remind_days``."""
    if not actor.can(SETTINGS_MANAGE):
        raise PermissionDenied(SETTINGS_MANAGE)
    low, high = REMIND_DAYS_RANGE
    text = str(raw if raw is not None else "").strip()
    days = int(text) if text.isdigit() and len(text) <= 3 else None
    if days is None or not low <= days <= high:
        raise ValidationFailed(
            [FieldError("remind_days", "bad_remind_days", f"must be a whole number from {low} to {high}")]
        )
    before = await remind_days(session)
    row = await session.get(TenantSetting, SETTING_KEY)
    if row is None:
        session.add(TenantSetting(key=SETTING_KEY, value={"remind_days": days}, updated_by=actor.user_id))
    else:
        row.value = {**(row.value or {}), "remind_days": days}
        row.updated_at = datetime.now(UTC)
        row.updated_by = actor.user_id
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SETTING_KEY,
        action="update",
        before={"contract_remind_days": before},
        after={"contract_remind_days": days},
    )
    await session.commit()
    return days


async def open_states(session: AsyncSession) -> list[str]:
    """The contract workflow's states a contract is still running in (not ended, not terminated)."""
    workflow = await workflows.current(session, "contract")
    return [s.key for s in workflow.definition.states if s.category == StateCategory.OPEN]


async def remind_expiring(db: Database, schema: str, *, today: date | None = None, batch: int = 500) -> int:
    """Tell the owners of one tenant's contracts ending within the notice period, batch by batch
    (each batch commits); returns how many contracts were reminded."""
    day = today or today_local()
    reminded = 0
    while True:
        async with db.tenant_session(schema) as session:
            last = day + timedelta(days=await remind_days(session))
            rows = await repo.claim_expiring(session, day, last, await open_states(session), batch)
            if not rows:
                break
            notes = [
                Note(
                    row.owner_id,
                    EXPIRING_TITLE,
                    EXPIRING_BODY,
                    {
                        "number": row.number,
                        "ends": row.ends_on.isoformat(),
                        "title": row.title,
                        "customer": row.name,
                        "days": (row.ends_on - day).days,
                    },
                    f"/contracts/{row.id}",
                    f"contract:{row.id}:ends:{row.ends_on.isoformat()}",
                )
                for row in rows
                if row.owner_id is not None
            ]
            await send_notes(session, CONTRACT_EXPIRING, notes)
            await repo.mark_expiry_reminded(session, [row.id for row in rows])
            await session.commit()
            reminded += len(rows)
    return reminded


async def expiring_soon(session: AsyncSession, actor: Actor) -> CardData | None:
    """The home card: contracts in the viewer's scope ending within the notice period, soonest first."""
    day = today_local()
    last = day + timedelta(days=await remind_days(session))
    owners = await owners_for(session, actor)
    rows = await repo.expiring_contracts(session, day, last, await open_states(session), owners, 8)
    if not rows:
        return CardData(empty=N_("No contract ends soon."), link="/contracts")
    return CardData(
        rows=tuple(
            CardRow(f"{row.ends_on:%m-%d} · {row.number} · {row.name}", f"/contracts/{row.id}")
            for row in rows
        ),
        link=f"/contracts?ends.to={last.isoformat()}",
    )
