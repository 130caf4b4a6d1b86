"""Support access: a tenant's admin lets DealerCRM support in for 1-72 hours; an operator enters
only while that grant lasts, as a support actor whose every action is audited as such.

- The grant lives in the tenant's schema (``tenant_settings`` key ``support_access``), so the
  check on each support request reads nothing outside the tenant.
- The console's "enter as support" issues a signed, single-use link valid for two minutes to
  ``https://<slug>.<base>/support/enter?token=...``; redeeming it on the tenant's host starts a
  support session (a random cookie ``dcrm_support``; the session is kept in Redis until the
  grant ends, at most a staff session's lifetime). Revoking or letting the grant lapse ends it at
  the next request, and losing Redis only ends it sooner.
- The support actor is not a staff member: its name is "平台支持", its email the operator's, so
  the tenant's audit log shows "平台支持 <operator email>"; it can work on customers and read the
  audit log, but not manage staff, tokens or security settings (so it cannot extend its own grant).
- Every request of a support session is also written to the platform audit log.
- A tenant's IP allowlist applies to support sessions too, unless the request comes from the
  platform allowlist (PLATFORM_IP_ALLOWLIST; empty: no exception).
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import security
from app.accounts.permissions import (
    AUDIT_READ,
    CUSTOMERS_CREATE,
    CUSTOMERS_DELETE,
    CUSTOMERS_EDIT,
    CUSTOMERS_EXPORT,
    CUSTOMERS_READ,
    SCOPE_ALL,
    STAFF_MANAGE,
)
from app.audit import service as audit
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.platform import tokens
from app.platform.audit import PlatformActor, record, record_now
from app.platform.usage import publish_support_until
from app.settings import Settings
from app.tenant_settings.models import TenantSetting
from app.tenant_settings.service import security_policy
from tenancy import registry
from tenancy.models import Tenant, TenantStatus

SUPPORT_SETTING = "support_access"
SUPPORT_COOKIE = "dcrm_support"
ENTRY_PURPOSE = "support_entry"
MIN_HOURS, MAX_HOURS = 1, 72
SUPPORT_NAME = "平台支持"
SUPPORT_ROLE = "support"
SUPPORT_PERMISSIONS = frozenset(
    {CUSTOMERS_READ, CUSTOMERS_CREATE, CUSTOMERS_EDIT, CUSTOMERS_DELETE, CUSTOMERS_EXPORT, AUDIT_READ}
)
_SESSION_KEY = "dcrm:support-session:{}"


# -- the tenant's side: granting ------------------------------------------------------------------


@dataclass(frozen=True)
class SupportGrant:
    until: datetime | None
    granted_by: str | None
    granted_at: datetime | None
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime | None = None) -> bool:
        return self.until is not None and self.until > (now or datetime.now(UTC))


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def current_grant(session: AsyncSession) -> SupportGrant | None:
    row = await session.get(TenantSetting, SUPPORT_SETTING, populate_existing=True)
    if row is None:
        return None
    value = row.value or {}
    return SupportGrant(
        until=_when(value.get("until")),
        granted_by=value.get("granted_by"),
        granted_at=_when(value.get("granted_at")),
        revoked_by=value.get("revoked_by"),
        revoked_at=_when(value.get("revoked_at")),
    )


async def _store(session: AsyncSession, actor: Actor, value: dict[str, Any]) -> None:
    row = await session.get(TenantSetting, SUPPORT_SETTING)
    if row is None:
        row = TenantSetting(key=SUPPORT_SETTING, value={})
        session.add(row)
    row.value = value
    row.updated_at = datetime.now(UTC)
    row.updated_by = actor.user_id


def _require_admin(actor: Actor) -> None:
    if not actor.can(STAFF_MANAGE) or actor.via == "support":
        raise PermissionDenied(STAFF_MANAGE)


async def grant_access(session: AsyncSession, actor: Actor, hours: int) -> SupportGrant:
    """Let DealerCRM support in for ``hours`` (1-72) from now; replaces an earlier grant. Audited."""
    _require_admin(actor)
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise ValidationFailed(
            [FieldError("hours", "out_of_range", f"must be between {MIN_HOURS} and {MAX_HOURS} hours")]
        )
    now = datetime.now(UTC)
    before = await current_grant(session)
    until = now + timedelta(hours=hours)
    grant = SupportGrant(until=until, granted_by=actor.label, granted_at=now)
    await _store(
        session,
        actor,
        {
            "until": until.isoformat(),
            "granted_by": grant.granted_by,
            "granted_by_id": str(actor.user_id),
            "granted_at": now.isoformat(),
            "hours": hours,
        },  # fmt: skip
    )
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SUPPORT_SETTING,
        action="grant",
        before={"until": before.until.isoformat()}
        if before and before.until and before.active(now)
        else None,
        after={"until": until.isoformat(), "hours": hours},
    )
    await session.commit()
    return grant


async def revoke_access(session: AsyncSession, actor: Actor) -> None:
    """End support access now; a support session in progress ends at its next request. Audited."""
    _require_admin(actor)
    now = datetime.now(UTC)
    before = await current_grant(session)
    if before is None or not before.active(now):
        return
    await _store(
        session,
        actor,
        {
            "until": None,
            "granted_by": before.granted_by,
            "granted_at": before.granted_at.isoformat() if before.granted_at else None,
            "revoked_by": actor.label,
            "revoked_at": now.isoformat(),
        },  # fmt: skip
    )
    audit.record(
        session,
        actor,
        entity="settings",
        entity_id=SUPPORT_SETTING,
        action="revoke",
        before={"until": before.until.isoformat() if before.until else None},
        after={"until": None},
    )
    await session.commit()


async def publish(engine: AsyncEngine, slug: str, grant: SupportGrant | None) -> None:
    """Tell the console at once (it lists tenants with an active grant from its usage table)."""
    await publish_support_until(engine, slug, grant.until if grant and grant.active() else None)


# -- the operator's side: entering ----------------------------------------------------------------


class SupportRefused(Exception):
    """``code``: no_grant, expired, tenant_unavailable, ip_not_allowed."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def platform_allows(settings: Settings, ip: str | None) -> bool:
    """Whether ``ip`` is in PLATFORM_IP_ALLOWLIST (empty list: never)."""
    if not ip or not settings.platform_ip_allowlist:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for block in settings.platform_ip_allowlist:
        try:
            if address in ipaddress.ip_network(block, strict=False):
                return True
        except ValueError:
            continue
    return False


async def _live_grant(db: Any, tenant: Tenant) -> SupportGrant | None:
    async with db.tenant_session(tenant.schema_name) as session:
        return await current_grant(session)


async def start_entry(db: Any, settings: Settings, slug: str, by: PlatformActor) -> str:
    """The signed one-time token for "enter as support", if the tenant's admin has granted access.

    Refusals (``SupportRefused``) are written to the platform audit log like the entries.
    """
    async with db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, slug)
    if tenant is None:
        raise registry.TenantNotFound(slug)
    refusal: str | None = None
    grant = None
    if tenant.status != TenantStatus.ACTIVE or tenant.email_verified_at is None:
        refusal = "tenant_unavailable"
    else:
        grant = await _live_grant(db, tenant)
        if grant is None or grant.until is None:
            refusal = "no_grant"
        elif not grant.active():
            refusal = "expired"
    if refusal is not None or grant is None:
        await record_now(db.engine, by, "support_refused", slug, {"reason": refusal})
        raise SupportRefused(refusal or "no_grant")
    async with db.engine.begin() as conn:
        token = await tokens.issue(
            conn,
            settings.secret_key,
            purpose=ENTRY_PURPOSE,
            tenant_slug=slug,
            lifetime=timedelta(seconds=settings.support_entry_seconds),
            extra={"o": str(by.operator_id), "m": by.email, "n": by.name},
        )
        await record(
            conn, by, "support_link", slug, {"grant_until": grant.until.isoformat() if grant.until else None}
        )
    return token


@dataclass(frozen=True)
class SupportSession:
    tenant: str
    operator_id: uuid.UUID
    operator_email: str
    operator_name: str
    until: datetime


def support_actor(data: SupportSession, *, ip: str | None, request_id: str | None) -> Actor:
    return Actor(
        user_id=data.operator_id,
        name=SUPPORT_NAME,
        email=data.operator_email,
        role_key=SUPPORT_ROLE,
        permissions=SUPPORT_PERMISSIONS,
        data_scope=SCOPE_ALL,
        ip=ip,
        request_id=request_id,
        via="support",
    )


async def enter(
    db: Any,
    redis: Any,
    settings: Settings,
    tenant: Tenant,
    db_session: AsyncSession,
    token: str,
    *,
    ip: str | None,
    request_id: str | None,
) -> tuple[str, SupportSession]:
    """Redeem an entry link on the tenant's host; the support session's cookie value and record.

    Raises ``TokenRefused`` (bad, used or expired link) or ``SupportRefused`` (no live grant,
    address not allowed). Both are written to the platform audit log.
    """
    async with db.engine.begin() as conn:
        payload = await tokens.redeem(
            conn, settings.secret_key, purpose=ENTRY_PURPOSE, tenant_slug=tenant.slug, token=token
        )
    by = PlatformActor(
        operator_id=uuid.UUID(payload["o"]), email=str(payload["m"]), name=str(payload.get("n") or ""),
        ip=ip, request_id=request_id,
    )  # fmt: skip
    grant = await current_grant(db_session)
    refusal = None
    if grant is None or not grant.active():
        refusal = "expired" if grant is not None and grant.until is not None else "no_grant"
    elif not (await security_policy(db_session)).allows_ip(ip) and not platform_allows(settings, ip):
        refusal = "ip_not_allowed"
    if refusal is not None or grant is None or grant.until is None:
        await record_now(db.engine, by, "support_refused", tenant.slug, {"reason": refusal, "at": "enter"})
        raise SupportRefused(refusal or "no_grant")
    now = datetime.now(UTC)
    until = min(grant.until, now + timedelta(hours=settings.session_absolute_hours))
    data = SupportSession(tenant.slug, by.operator_id, by.email, by.name, until)  # type: ignore[arg-type]
    cookie = security.new_token()
    await redis.set(
        _SESSION_KEY.format(security.token_hash(cookie)),
        json.dumps(
            {
                "tenant": data.tenant,
                "operator_id": str(data.operator_id),
                "operator_email": data.operator_email,
                "operator_name": data.operator_name,
                "until": until.isoformat(),
            }
        ),  # fmt: skip
        ex=max(1, int((until - now).total_seconds())),
    )
    actor = support_actor(data, ip=ip, request_id=request_id)
    audit.record(db_session, actor, entity="support_session", entity_id=data.operator_id, action="start",
                 before=None, after={"until": until.isoformat()})  # fmt: skip
    await db_session.commit()
    await record_now(db.engine, by, "support_enter", tenant.slug, {"until": until.isoformat()})
    return cookie, data


async def session_for(redis: Any, cookie: str | None, tenant: Tenant) -> SupportSession | None:
    """The support session behind a cookie, on this tenant's host only."""
    if not cookie:
        return None
    raw = await redis.get(_SESSION_KEY.format(security.token_hash(cookie)))
    if raw is None:
        return None
    value = json.loads(raw)
    if value.get("tenant") != tenant.slug:
        return None
    until = datetime.fromisoformat(value["until"])
    if until <= datetime.now(UTC):
        return None
    return SupportSession(
        value["tenant"],
        uuid.UUID(value["operator_id"]),
        value["operator_email"],
        value.get("operator_name", ""),
        until,
    )


async def resolve_actor(
    db_session: AsyncSession,
    redis: Any,
    tenant: Tenant,
    cookie: str | None,
    *,
    ip: str | None,
    request_id: str | None,
) -> Actor | None:
    """The support actor for this request, or None when there is no session or the grant has ended
    (a revoked or lapsed grant ends the session here, at its next request)."""
    data = await session_for(redis, cookie, tenant)
    if data is None:
        return None
    grant = await current_grant(db_session)
    if grant is None or not grant.active():
        await redis.delete(_SESSION_KEY.format(security.token_hash(cookie or "")))
        return None
    return support_actor(data, ip=ip, request_id=request_id)


async def record_request(engine: AsyncEngine, actor: Actor, tenant_slug: str, method: str, path: str) -> None:
    """Every request of a support session, in the platform audit log (with the request id that the
    tenant's own audit records of the same request carry)."""
    by = PlatformActor(operator_id=actor.user_id, email=actor.email, ip=actor.ip, request_id=actor.request_id)
    await record_now(engine, by, "support_request", tenant_slug, {"method": method, "path": path[:300]})


async def leave(db: Any, redis: Any, tenant: Tenant, cookie: str | None, actor: Actor | None) -> None:
    """End a support session (the operator's "leave" button)."""
    if not cookie:
        return
    data = await session_for(redis, cookie, tenant)
    await redis.delete(_SESSION_KEY.format(security.token_hash(cookie)))
    if data is not None:
        by = PlatformActor(
            operator_id=data.operator_id,
            email=data.operator_email,
            ip=actor.ip if actor else None,
            request_id=actor.request_id if actor else None,
        )
        await record_now(db.engine, by, "support_leave", tenant.slug, {})
