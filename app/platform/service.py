"""Platform operations on tenants: sign-up, listing with usage, suspend and resume; operators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app import security
from app.accounts.service import seed_tenant
from app.catalog.starting import seed_catalog
from app.customers.validation import EMAIL_RE
from app.domain import FieldError, ValidationFailed
from app.mail import Mailer, MailFailed
from app.models import tenant_metadata
from app.platform import plans, verification
from app.platform.audit import PlatformActor, record, record_now
from app.platform.models import OperatorSession, PlatformOperator
from app.settings import Settings
from app.throttle import Throttle, hit
from app.workflows.seed import seed_workflows
from tenancy import registry
from tenancy.migrate import quote_ident
from tenancy.models import Tenant, TenantStatus
from tenancy.naming import InvalidSlug, validate_slug

log = logging.getLogger("dealercrm.platform")

PASSWORD_MIN = 8
SLUG_MESSAGES = {
    "required": "is required",
    "too_short": "must be at least 3 characters",
    "too_long": "must be at most 30 characters",
    "malformed": "may contain only lowercase letters, digits and single hyphens, starting with a letter",
    "reserved": "is reserved; please choose another",
    "taken": "is already taken",
}


@dataclass(frozen=True)
class SignUp:
    company_name: str
    slug: str
    admin_email: str
    admin_password: str
    admin_name: str = ""


def _validate(data: SignUp) -> tuple[str, str, str]:
    errors: list[FieldError] = []
    slug = ""
    try:
        slug = validate_slug(data.slug)
    except InvalidSlug as exc:
        errors.append(FieldError("slug", exc.code, SLUG_MESSAGES[exc.code]))
    name = (data.company_name or "").strip()
    if not name:
        errors.append(FieldError("company_name", "required", "is required"))
    elif len(name) > 100:
        errors.append(FieldError("company_name", "too_long", "must be at most 100 characters"))
    email = (data.admin_email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors.append(FieldError("admin_email", "invalid_email", "is not a valid email address"))
    if len(data.admin_password or "") < PASSWORD_MIN:
        errors.append(
            FieldError("admin_password", "too_short", f"must be at least {PASSWORD_MIN} characters")
        )
    elif len(data.admin_password) > 200:
        errors.append(FieldError("admin_password", "too_long", "must be at most 200 characters"))
    if errors:
        raise ValidationFailed(errors)
    return slug, name, email


async def sign_up(
    engine: AsyncEngine, data: SignUp, *, plan: str = plans.TRIAL, email_verified: bool = True
) -> Tenant:
    """Create a tenant: registry row, schema at head, default roles, the owner and the plan's limits
    (mirrored into the schema), atomically.

    ``email_verified=False`` is the self-service sign-up (``self_service_sign_up``): the owner may
    log in only after opening the emailed link. Operators (CLI) and tests create verified tenants.
    """
    slug, name, email = _validate(data)
    owner_name = (data.admin_name or "").strip()[:60] or email.split("@")[0]
    chosen = plans.get_plan(plan)
    trial_ends_at = plans.trial_end(chosen)

    async def seed(conn: AsyncConnection, schema: str) -> None:
        await seed_tenant(
            conn, schema, owner_email=email, owner_name=owner_name, owner_password=data.admin_password
        )
        await plans.write_mirror(conn, schema, plans.PlanLimits.of(chosen, trial_ends_at))
        await seed_workflows(conn, schema)
        await seed_catalog(conn, schema)

    try:
        return await registry.provision_tenant(
            engine,
            slug=slug,
            name=name,
            admin_email=email,
            metadata=tenant_metadata,
            seed=seed,
            plan=chosen.slug,
            trial_ends_at=trial_ends_at,
            email_verified=email_verified,
        )
    except registry.TenantExists as exc:
        raise ValidationFailed([FieldError("slug", "taken", SLUG_MESSAGES["taken"])]) from exc


class SignUpThrottled(Exception):
    """Too many sign-ups from this address (``reason="ip"``) or for this email (``"email"``), or the
    limiter is unavailable (``"unavailable"``: it fails closed); try again after ``retry_after`` s."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(f"sign-up throttled ({reason}); retry after {retry_after}s")
        self.reason = reason
        self.retry_after = retry_after


async def check_sign_up_rate(redis: Any, settings: Settings, *, ip: str | None, email: str) -> None:
    """Count one sign-up attempt per address and per email; raise ``SignUpThrottled`` over either.

    Every attempt provisions a schema and sends a mail, so both limits fail closed when Redis is
    down: a dealer loses nothing by signing up a little later. The email is counted hashed.
    """
    per_ip = Throttle("signup-ip", settings.signup_per_ip_per_hour, 3600)
    verdict = await hit(redis, per_ip, ip or "unknown", fail="closed")
    if not verdict.allowed:
        raise SignUpThrottled("ip" if verdict.count else "unavailable", verdict.retry_after)
    normalised = email.strip().lower()
    if not normalised:
        return
    per_email = Throttle("signup-email", settings.signup_per_email_per_day, 86400)
    verdict = await hit(redis, per_email, security.token_hash(normalised)[:32], fail="closed")
    if not verdict.allowed:
        raise SignUpThrottled("email" if verdict.count else "unavailable", verdict.retry_after)


async def self_service_sign_up(
    engine: AsyncEngine,
    data: SignUp,
    *,
    mailer: Mailer,
    settings: Settings,
    url_of: Callable[[str], str],
    locale: str,
    redis: Any,
    ip: str | None,
) -> tuple[Tenant, bool]:
    """A dealer's own sign-up: the tenant on a trial, unverified, and the verification email sent
    (``url_of(slug)`` is the tenant's address, where the link points). Valid requests are limited
    per address and per email (``check_sign_up_rate``); a tenant never confirmed is purged later
    (``lifecycle.purge_unverified``).

    Returns the tenant and whether the email went out. A mail failure does not undo the account:
    the owner asks for the link again from the login page.
    """
    _validate(data)  # a form to correct costs nothing and is not counted
    await check_sign_up_rate(redis, settings, ip=ip, email=data.admin_email)
    tenant = await sign_up(engine, data, email_verified=False)
    try:
        await verification.send_link(
            engine, mailer, settings, tenant, tenant_url=url_of(tenant.slug), locale=locale
        )
    except MailFailed:
        log.exception("verification email for %s could not be sent", tenant.slug)
        return tenant, False
    return tenant, True


@dataclass(frozen=True)
class TenantOverview:
    tenant: Tenant
    users: int | None
    customers: int | None


async def tenant_overviews(engine: AsyncEngine) -> list[TenantOverview]:
    """Every tenant with its user and customer counts (an operator page, not a request hot path)."""
    async with engine.connect() as conn:
        tenants = await registry.list_tenants(conn)
        out: list[TenantOverview] = []
        for t in tenants:
            schema = quote_ident(t.schema_name)
            try:
                row = (
                    await conn.execute(
                        text(
                            f"SELECT (SELECT count(*) FROM {schema}.users), "
                            f"(SELECT count(*) FROM {schema}.customers WHERE deleted_at IS NULL)"
                        )
                    )
                ).one()
                out.append(TenantOverview(t, int(row[0]), int(row[1])))
            except Exception:
                await conn.rollback()
                out.append(TenantOverview(t, None, None))
    return out


class TenantNotLive(Exception):
    """Suspend/resume asked of a deleted or purged tenant (restore it first)."""

    def __init__(self, slug: str, status: str) -> None:
        super().__init__(f"{slug} is {status}")
        self.slug = slug
        self.status = status


async def _set_status(engine: AsyncEngine, slug: str, status: str, by: PlatformActor | None) -> Tenant:
    async with engine.begin() as conn:
        current = await registry.get_tenant(conn, slug, for_update=True)
        if current is None:
            raise registry.TenantNotFound(slug)
        if current.status not in (TenantStatus.ACTIVE, TenantStatus.SUSPENDED):
            raise TenantNotLive(slug, current.status)
        tenant = await registry.update_tenant(conn, slug, **registry.status_values(status))
        action = "suspend" if status == TenantStatus.SUSPENDED else "resume"
        await record(conn, by or PlatformActor.system(), action, slug, {"from": current.status})
    return tenant


async def suspend(engine: AsyncEngine, slug: str, by: PlatformActor | None = None) -> Tenant:
    """Suspend a tenant (its staff and tokens are refused); audited in the platform log."""
    return await _set_status(engine, slug, TenantStatus.SUSPENDED, by)


async def resume(engine: AsyncEngine, slug: str, by: PlatformActor | None = None) -> Tenant:
    return await _set_status(engine, slug, TenantStatus.ACTIVE, by)


# -- operators -------------------------------------------------------------------------------------


async def create_operator(session: AsyncSession, *, email: str, name: str, password: str) -> PlatformOperator:
    email = email.strip().lower()
    existing = await session.scalar(select(PlatformOperator).where(PlatformOperator.email == email))
    if existing is not None:
        existing.password_hash = await security.make_password_hash(password)
        existing.name = name
        await session.commit()
        return existing
    operator = PlatformOperator(
        email=email, name=name, password_hash=await security.make_password_hash(password), failed_logins=0
    )
    session.add(operator)
    await session.commit()
    return operator


class OperatorLoginFailed(Exception):
    """``code``: invalid (unknown, wrong or locked, told apart only in the audit log) or throttled."""

    def __init__(self, code: str, retry_after: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


async def operator_login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    max_failures: int = 5,
    lock_minutes: int = 15,
    ip: str | None = None,
    request_id: str | None = None,
    redis: Any = None,
    settings: Settings | None = None,
) -> str:
    """Open a console session. Throttled per address in Redis (app.accounts.lockout) and locked in
    PostgreSQL after ``max_failures``: each check is first counted with one atomic UPDATE committed
    before argon2 runs, so parallel guesses cannot all be checked. Unknown, wrong and locked fail
    alike (``invalid``); ``throttled`` when an address tries too often. The lock is per operator
    account (operators are few and reach the console from the platform's own networks); the lock
    and each login are in the platform audit log."""
    from app.accounts import lockout

    email = (email or "").strip().lower()
    throttles = lockout.LoginThrottles.for_kind("operator", settings or Settings())
    admission = await lockout.admit(redis, throttles, account=email, ip=ip)
    if not admission.allowed:
        raise OperatorLoginFailed("throttled", retry_after=admission.retry_after)
    operator = await session.scalar(select(PlatformOperator).where(PlatformOperator.email == email))
    if operator is None:
        await security.check_password(None, password)
        raise OperatorLoginFailed("invalid")
    by = PlatformActor(
        operator_id=operator.id, email=operator.email, name=operator.name, ip=ip, request_id=request_id
    )
    expired = PlatformOperator.locked_until <= func.now()
    attempt, locked_until = (
        await session.execute(
            update(PlatformOperator)
            .where(PlatformOperator.id == operator.id)
            .values(
                failed_logins=case((expired, 1), else_=PlatformOperator.failed_logins + 1),
                locked_until=case((expired, None), else_=PlatformOperator.locked_until),
            )
            .returning(PlatformOperator.failed_logins, PlatformOperator.locked_until)
        )
    ).one()
    await session.commit()  # counted before argon2 runs: parallel attempts see each other
    now = datetime.now(UTC)
    if (locked_until is not None and locked_until > now) or attempt > max_failures:
        await security.check_password(None, password)
        await _lock_operator(session, by, operator.id, lock_minutes)
        raise OperatorLoginFailed("invalid")
    if not await security.check_password(operator.password_hash, password):
        if attempt >= max_failures:
            await _lock_operator(session, by, operator.id, lock_minutes)
        raise OperatorLoginFailed("invalid")
    await session.execute(
        update(PlatformOperator)
        .where(PlatformOperator.id == operator.id)
        .values(failed_logins=0, locked_until=None)
    )
    token = security.new_token()
    session.add(
        OperatorSession(
            token_hash=security.token_hash(token),
            operator_id=operator.id,
            csrf_token=security.new_token(24),
            expires_at=now + timedelta(hours=12),
        )
    )
    await session.commit()
    await lockout.give_back(redis, throttles, account=email, ip=ip)
    await record_now(session.bind, by, "operator_login", None)  # type: ignore[arg-type]
    return token


async def _lock_operator(
    session: AsyncSession, by: PlatformActor, operator_id: Any, lock_minutes: int
) -> None:
    """Start the lock once (the first failure past the limit); audited when it starts."""
    started = await session.scalar(
        update(PlatformOperator)
        .where(PlatformOperator.id == operator_id, PlatformOperator.locked_until.is_(None))
        .values(locked_until=func.now() + timedelta(minutes=lock_minutes))
        .returning(PlatformOperator.id)
    )
    await session.commit()
    if started is not None:
        await record_now(session.bind, by, "operator_locked", None, {"minutes": lock_minutes})  # type: ignore[arg-type]


async def operator_for_session(session: AsyncSession, token: str | None) -> PlatformOperator | None:
    if not token:
        return None
    now = datetime.now(UTC)
    record = await session.scalar(
        select(OperatorSession).where(
            OperatorSession.token_hash == security.token_hash(token),
            OperatorSession.revoked_at.is_(None),
            OperatorSession.expires_at > now,
        )
    )
    if record is None:
        return None
    return await session.get(PlatformOperator, record.operator_id)


async def operator_logout(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    record = await session.scalar(
        select(OperatorSession).where(OperatorSession.token_hash == security.token_hash(token))
    )
    if record is not None:
        record.revoked_at = datetime.now(UTC)
        await session.commit()


async def slug_availability(engine: AsyncEngine, slug: str) -> str:
    """Whether a sign-up could use ``slug``: ``available`` or the reason code it could not.

    A hint for the sign-up form only; ``sign_up`` decides for real (a racing sign-up can still win).
    """
    try:
        slug = validate_slug(slug)
    except InvalidSlug as exc:
        return exc.code
    async with engine.connect() as conn:
        return "taken" if await registry.slug_taken(conn, slug) else "available"


async def tenant_status_counts(engine: AsyncEngine) -> dict[str, int]:
    """How many tenants are in each status (the console's summary)."""
    tenants = Tenant.__table__
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tenants.c.status, func.count()).group_by(tenants.c.status))).all()
    counts = {status: 0 for status in TenantStatus.ALL}
    counts.update({status: int(n) for status, n in rows})
    return counts
