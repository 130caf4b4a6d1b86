"""Typed tenant settings. ``security`` holds the tenant's security policy."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.audit import service as audit
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.tenant_settings.models import TenantSetting

SECURITY = "security"


@dataclass(frozen=True)
class SecurityPolicy:
    require_2fa: bool = False
    ip_allowlist: tuple[str, ...] = ()  # CIDR blocks; empty means any address
    password_min_length: int = 8
    password_require_mixed: bool = False  # letters and digits
    idle_timeout_minutes: int = 30
    session_lifetime_hours: int = 12

    def allows_ip(self, ip: str | None) -> bool:
        if not self.ip_allowlist:
            return True
        if not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(block, strict=False) for block in self.ip_allowlist)

    def password_problems(self, password: str) -> list[str]:
        problems = []
        if len(password) < self.password_min_length:
            problems.append("too_short")
        if self.password_require_mixed and not (
            any(c.isalpha() for c in password) and any(c.isdigit() for c in password)
        ):
            problems.append("needs_letters_and_digits")
        return problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ip_allowlist"] = list(self.ip_allowlist)
        return data


DEFAULT_POLICY = SecurityPolicy()


async def security_policy(session: AsyncSession) -> SecurityPolicy:
    row = await session.get(TenantSetting, SECURITY)
    if row is None:
        return DEFAULT_POLICY
    value = dict(row.value)
    value["ip_allowlist"] = tuple(value.get("ip_allowlist") or ())
    known = {f for f in SecurityPolicy.__dataclass_fields__}
    return SecurityPolicy(**{k: v for k, v in value.items() if k in known})


@dataclass
class PolicyInput:
    require_2fa: bool = False
    ip_allowlist: list[str] = field(default_factory=list)
    password_min_length: int = 8
    password_require_mixed: bool = False
    idle_timeout_minutes: int = 30
    session_lifetime_hours: int = 12


def _clean(data: PolicyInput, current_ip: str | None) -> SecurityPolicy:
    errors: list[FieldError] = []
    blocks: list[str] = []
    for i, raw in enumerate(data.ip_allowlist):
        raw = raw.strip()
        if not raw:
            continue
        try:
            blocks.append(str(ipaddress.ip_network(raw, strict=False)))
        except ValueError:
            errors.append(
                FieldError(f"ip_allowlist.{i}", "invalid_cidr", f"{raw} is not an IP address or CIDR block")
            )
    if not 8 <= data.password_min_length <= 128:
        errors.append(FieldError("password_min_length", "out_of_range", "must be between 8 and 128"))
    if not 5 <= data.idle_timeout_minutes <= 24 * 60:
        errors.append(
            FieldError("idle_timeout_minutes", "out_of_range", "must be between 5 and 1440 minutes")
        )
    if not 1 <= data.session_lifetime_hours <= 24 * 30:
        errors.append(FieldError("session_lifetime_hours", "out_of_range", "must be between 1 and 720 hours"))
    policy = SecurityPolicy(
        require_2fa=data.require_2fa,
        ip_allowlist=tuple(dict.fromkeys(blocks)),
        password_min_length=data.password_min_length,
        password_require_mixed=data.password_require_mixed,
        idle_timeout_minutes=data.idle_timeout_minutes,
        session_lifetime_hours=data.session_lifetime_hours,
    )
    if not errors and not policy.allows_ip(current_ip):
        # Saving this would lock the admin out of their own session at the next request.
        errors.append(
            FieldError(
                "ip_allowlist",
                "locks_you_out",
                f"your current address {current_ip} is not in the list; saving it would lock you out",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return policy


async def update_security_policy(session: AsyncSession, actor: Actor, data: PolicyInput) -> SecurityPolicy:
    if not actor.can(SETTINGS_MANAGE):
        raise PermissionDenied(SETTINGS_MANAGE)
    policy = _clean(data, actor.ip)
    before = (await security_policy(session)).to_json()
    row = await session.get(TenantSetting, SECURITY)
    if row is None:
        row = TenantSetting(key=SECURITY, value={})
        session.add(row)
    row.value = policy.to_json()
    row.updated_at = datetime.now(UTC)
    row.updated_by = actor.user_id
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SECURITY,
        action="update",
        before=before,
        after=policy.to_json(),
    )
    await session.commit()
    return policy
