"""The tenant's duplicate policy (撞单): warn about a matching customer, or refuse to save it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.audit import service as audit
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.kit.enums import N_, LabeledEnum
from app.tenant_settings.models import TenantSetting

SETTING_KEY = "duplicates"


class DuplicatePolicy(LabeledEnum):
    # A match is shown on the form (or returned as DuplicateWarning) and saved once confirmed.
    WARN = "warn", N_("Warn, and save once confirmed")
    # A match is refused: the existing customer's owner (or a manager) has to transfer it.
    REFUSE = "refuse", N_("Refuse to save a duplicate")


DEFAULT_POLICY = DuplicatePolicy.WARN


async def duplicate_policy(session: AsyncSession) -> DuplicatePolicy:
    row = await session.get(TenantSetting, SETTING_KEY)
    value = (row.value or {}).get("policy") if row is not None else None
    return DuplicatePolicy.parse(value) or DEFAULT_POLICY  # type: ignore[return-value]


async def set_duplicate_policy(session: AsyncSession, actor: Actor, raw: str) -> DuplicatePolicy:
    """Change the policy (settings:manage), audited; commits."""
    if not actor.can(SETTINGS_MANAGE):
        raise PermissionDenied(SETTINGS_MANAGE)
    policy = DuplicatePolicy.parse(raw)
    if policy is None:
        allowed = ", ".join(DuplicatePolicy.values())
        raise ValidationFailed([FieldError("policy", "invalid_choice", f"must be one of {allowed}")])
    before = await duplicate_policy(session)
    row = await session.get(TenantSetting, SETTING_KEY)
    if row is None:
        session.add(TenantSetting(key=SETTING_KEY, value={"policy": policy.value}, updated_by=actor.user_id))
    else:
        row.value = {"policy": policy.value}
        row.updated_at = datetime.now(UTC)
        row.updated_by = actor.user_id
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SETTING_KEY,
        action="update",
        before={"duplicate_policy": before.value},
        after={"duplicate_policy": policy.value},
    )
    await session.commit()
    return policy  # type: ignore[return-value]
