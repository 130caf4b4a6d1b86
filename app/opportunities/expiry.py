"""Contracts about to end: the tenant's notice periods, the reminder sweep and the home card.

The notice periods are a tenant setting (``contracts``: ``{"notice_days": [30, 7]}``, one to three
distinct periods of 1 to 365 days, settings:manage; 30 and 7 by default). The sweep tells each signed
contract's owner once per period and end date, while the contract is still in an open state of its
workflow (signed, in force): a contract is in the window of the shortest period that reaches its end
date, and is due when its owner was not told about that window (or a shorter one) for this end date.
``expiry_reminded_on`` and ``expiry_notice_days`` record the end date and the window told. A contract
first seen inside the 7-day window gets one notice, not a 30-day one as well.

Per batch, in one transaction, the sweep locks the due contracts (``FOR UPDATE SKIP LOCKED``), writes
the notifications, records the window and commits. A sweep killed mid-batch rolls back (the next run
reminds that batch); a concurrent sweep skips the locked rows; the notification's natural key
``contract:<id>:ends:<date>:<days>`` makes a repeat a no-op even if both guards failed. A contract
whose end date changes is reminded afresh as the new date nears.
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
DEFAULT_NOTICE_DAYS = (30, 7)
NOTICE_DAYS_RANGE = (1, 365)
NOTICE_DAYS_MAX_COUNT = 3

CONTRACT_EXPIRING = register_kind(
    Kind("contract.expiring", N_("A contract of mine is about to end"), "contracts", (IN_APP,))
)
EXPIRING_TITLE = N_("Contract %(number)s ends on %(ends)s")
EXPIRING_BODY = N_("%(title)s with %(customer)s ends in %(days)s days.")


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


def _valid(value: object) -> bool:
    low, high = NOTICE_DAYS_RANGE
    return (
        isinstance(value, list)
        and 1 <= len(value) <= NOTICE_DAYS_MAX_COUNT
        and all(isinstance(d, int) and not isinstance(d, bool) and low <= d <= high for d in value)
        and len(set(value)) == len(value)
    )


async def notice_days(session: AsyncSession) -> tuple[int, ...]:
    """Days before a contract's end its owner is told, longest first (the tenant's setting; 30 and 7
    by default)."""
    row = await session.get(TenantSetting, SETTING_KEY)
    value = (row.value or {}).get("notice_days") if row is not None else None
    if not isinstance(value, list) or not _valid(value):
        return DEFAULT_NOTICE_DAYS
    return tuple(sorted(value, reverse=True))


def parse_notice_days(raw: object) -> tuple[int, ...]:
    """``"30, 7"`` (commas, spaces or 、) or a list of numbers → the periods, longest first; a bad
    value is one field error on ``notice_days`` saying what is allowed."""
    low, high = NOTICE_DAYS_RANGE
    if isinstance(raw, list | tuple):
        parts = [str(part).strip() for part in raw]
    else:
        text = str(raw if raw is not None else "")
        parts = [
            part for part in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part
        ]
    days = [int(part) if part.isdigit() and len(part) <= 3 else None for part in parts]
    if not days or len(days) > NOTICE_DAYS_MAX_COUNT:
        raise ValidationFailed(
            [FieldError("notice_days", "notice_days_count", f"give 1 to {NOTICE_DAYS_MAX_COUNT} periods")]
        )
    if any(d is None or not low <= d <= high for d in days):
        raise ValidationFailed(
            [
                FieldError(
                    "notice_days", "bad_notice_days", f"each period is a whole number from {low} to {high}"
                )
            ]
        )
    if len(set(days)) != len(days):
        raise ValidationFailed([FieldError("notice_days", "notice_days_repeated", "each period once")])
    return tuple(sorted((d for d in days if d is not None), reverse=True))


async def set_notice_days(session: AsyncSession, actor: Actor, raw: object) -> tuple[int, ...]:
    """Change the notice periods (settings:manage), audited; commits. A bad value is a field error on
    ``notice_days`` and changes nothing."""
    if not actor.can(SETTINGS_MANAGE):
        raise PermissionDenied(SETTINGS_MANAGE)
    days = parse_notice_days(raw)
    before = await notice_days(session)
    row = await session.get(TenantSetting, SETTING_KEY)
    if row is None:
        session.add(
            TenantSetting(key=SETTING_KEY, value={"notice_days": list(days)}, updated_by=actor.user_id)
        )
    else:
        row.value = {**(row.value or {}), "notice_days": list(days)}
        row.updated_at = datetime.now(UTC)
        row.updated_by = actor.user_id
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SETTING_KEY,
        action="update",
        before={"contract_notice_days": list(before)},
        after={"contract_notice_days": list(days)},
    )
    await session.commit()
    return days


async def open_states(session: AsyncSession) -> list[str]:
    """The contract workflow's states a contract is still running in (not ended, not terminated)."""
    workflow = await workflows.current(session, "contract")
    return [s.key for s in workflow.definition.states if s.category == StateCategory.OPEN]


async def remind_expiring(db: Database, schema: str, *, today: date | None = None, batch: int = 500) -> int:
    """Tell the owners of one tenant's contracts that entered a notice window, batch by batch (each
    batch commits); returns how many notices were sent."""
    day = today or today_local()
    reminded = 0
    while True:
        async with db.tenant_session(schema) as session:
            periods = await notice_days(session)
            rows = await repo.claim_expiring(session, day, periods, await open_states(session), batch)
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
                    f"contract:{row.id}:ends:{row.ends_on.isoformat()}:{row.window}",
                )
                for row in rows
                if row.owner_id is not None
            ]
            await send_notes(session, CONTRACT_EXPIRING, notes)
            await repo.mark_expiry_reminded(session, [row.id for row in rows], day, periods)
            await session.commit()
            reminded += len(rows)
    return reminded


async def expiring_soon(session: AsyncSession, actor: Actor) -> CardData | None:
    """The home card: contracts in the viewer's scope ending within the longest notice period,
    soonest first."""
    day = today_local()
    last = day + timedelta(days=max(await notice_days(session)))
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
