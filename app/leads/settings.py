"""The tenant's lead and pool settings (one ``tenant_settings`` document, key ``leads``): the
first-response timer, the web form's checks, the pool's per-person cap and the return rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.leads.entity import POOLS_MANAGE
from app.tenant_settings.models import TenantSetting

KEY = "leads"


@dataclass(frozen=True)
class LeadSettings:
    # A new lead's owner should answer within this many minutes; then the lead is flagged overdue.
    response_minutes: int = 120
    # The web form: refused when sent sooner than this after it was shown (a bot), and at most this
    # many submissions per address per hour.
    form_min_seconds: int = 3
    form_per_ip_per_hour: int = 10
    # How many customers one person may hold that they claimed from the pools.
    claim_cap: int = 30
    # A customer without a follow-up or an order for this many days returns to the pool (0: never),
    # its owner warned this many days before.
    return_days: int = 0
    warn_days: int = 3


BOUNDS: dict[str, tuple[int, int]] = {
    "response_minutes": (5, 60 * 24 * 14),
    "form_min_seconds": (0, 120),
    "form_per_ip_per_hour": (1, 1000),
    "claim_cap": (1, 10000),
    "return_days": (0, 3650),
    "warn_days": (0, 365),
}


async def lead_settings(session: AsyncSession) -> LeadSettings:
    row = await session.get(TenantSetting, KEY)
    stored = dict(row.value) if row is not None else {}
    known = {f.name for f in fields(LeadSettings)}
    return LeadSettings(**{k: int(v) for k, v in stored.items() if k in known})


async def update_lead_settings(session: AsyncSession, actor: Actor, changes: dict[str, Any]) -> LeadSettings:
    """Change some settings (each a whole number within its bounds); the warning must come before
    the return. Audited as the tenant's settings."""
    if not actor.can(POOLS_MANAGE):
        raise PermissionDenied(POOLS_MANAGE)
    current = await lead_settings(session)
    errors: list[FieldError] = []
    clean: dict[str, int] = {}
    for name, raw in changes.items():
        if name not in BOUNDS:
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors.append(FieldError(name, "invalid", "must be a whole number"))
            continue
        low, high = BOUNDS[name]
        if not low <= value <= high:
            errors.append(FieldError(name, "out_of_range", f"must be between {low} and {high}"))
            continue
        clean[name] = value
    wanted = replace(current, **clean)
    if not errors and wanted.return_days and wanted.warn_days >= wanted.return_days:
        errors.append(FieldError("warn_days", "warn_after_return", "must be fewer days than the return"))
    if errors:
        raise ValidationFailed(errors)
    row = await session.get(TenantSetting, KEY)
    if row is None:
        row = TenantSetting(key=KEY, value={})
        session.add(row)
    row.value = asdict(wanted)
    row.updated_at = datetime.now(UTC)
    row.updated_by = actor.user_id
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=KEY,
        action="update",
        before=asdict(current),
        after=asdict(wanted),
    )
    await session.commit()
    return wanted
