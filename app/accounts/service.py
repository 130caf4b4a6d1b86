"""Staff accounts: seeding a tenant, logging in and out, sessions, tokens, data scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app import security
from app.accounts import lockout, mfa
from app.accounts import repository as repo
from app.accounts.models import ApiToken, LoginAttempt, Role, Team, User, UserSession
from app.accounts.permissions import (
    DEFAULT_ROLES,
    SCOPE_ALL,
    SCOPE_OWN,
    SCOPE_TEAM,
    STAFF_MANAGE,
    TOKENS_CREATE,
)
from app.audit import service as audit
from app.db import tenant_schema_of
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.platform import quotas
from app.settings import Settings
from app.tenant_settings.service import SecurityPolicy, security_policy
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

TOKEN_PREFIX = "dcrm"
SESSION_TOUCH_EVERY = timedelta(seconds=60)
STAGE_ACTIVE, STAGE_SECOND_FACTOR, STAGE_ENROLL = "active", "second_factor", "enroll_2fa"
# A login with a one-time password (added directly, or reset by an admin): good for choosing one's own.
STAGE_NEW_PASSWORD = "new_password"
HALF_LOGIN_LIFETIME = timedelta(minutes=15)
API_TOKEN_NAME_MAX = 60
# Past the account-wide brake, sources the account signed in from within this time may still try.
KNOWN_SOURCE_FOR = timedelta(days=90)
SCOPE_READ, SCOPE_WRITE = "read", "write"
# What a token may be given: read-only, or read and write.
TOKEN_SCOPES: dict[str, tuple[str, ...]] = {"read": (SCOPE_READ,), "read write": (SCOPE_READ, SCOPE_WRITE)}


def now_utc() -> datetime:
    return datetime.now(UTC)


class LoginFailed(Exception):
    """``code``: invalid (unknown email, wrong password or locked: told apart only in the login
    history), inactive, ip_not_allowed, throttled (too many attempts from this address; retry after
    ``retry_after`` seconds)."""

    def __init__(self, code: str, retry_after: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


class SecondFactorEnded(Exception):
    """Too many wrong codes: the half-login is over and the password must be typed again."""


@dataclass(frozen=True)
class StaffSession:
    user: User
    record: UserSession


# -- tenant seeding -------------------------------------------------------------------------------


async def seed_tenant(
    conn: AsyncConnection, schema: str, *, owner_email: str, owner_name: str, owner_password: str
) -> None:
    """Default roles and the owner, written on the provisioning connection (same transaction)."""
    bound = await conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    role_rows = [
        {
            "id": uuid.uuid4(),
            "key": r.key,
            "name": r.name,
            "permissions": list(r.permissions),
            "data_scope": r.data_scope,
            "template": r.key,
        }
        for r in DEFAULT_ROLES
    ]
    await bound.execute(insert(Role), role_rows)
    owner_role = next(r["id"] for r in role_rows if r["key"] == "owner")
    await bound.execute(
        insert(User).values(
            email=owner_email.strip().lower(),
            name=owner_name,
            password_hash=await security.make_password_hash(owner_password),
            role_id=owner_role,
            is_active=True,
            failed_logins=0,
        )
    )
    # Later statements on this connection address ``public`` again.
    await conn.execution_options(schema_translate_map=None)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    role_key: str,
    team_name: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Hire a staff member. ``password_hash`` lets bulk seeding hash one shared password once."""
    role = await repo.role_by_key(session, role_key)
    if role is None:
        raise NotFound("role", role_key)
    await quotas.ensure_room(session, "users")
    team = None
    if team_name:
        team = await repo.team_by_name(session, team_name)
        if team is None:
            team = Team(name=team_name)
            session.add(team)
            await session.flush()
    user = User(
        email=email.strip().lower(),
        name=name,
        password_hash=password_hash or await security.make_password_hash(password),
        role_id=role.id,
        team_id=team.id if team else None,
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    return user


# -- sessions -------------------------------------------------------------------------------------


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    redis: Redis | None = None,
) -> tuple[str, StaffSession]:
    """Check credentials, apply the throttles, the lock and the tenant's policy, and open a session.

    The session is ``active`` only when no second factor is due: a user with TOTP gets a
    ``second_factor`` session (good for the code page only), and where the tenant demands 2FA a
    user without it gets an ``enroll_2fa`` session (good for the enrolment pages only).

    Throttles (Redis) and the lock (PostgreSQL, per account and source network) are explained in
    app.accounts.lockout. An unknown email, a locked one and a wrong password fail alike
    (``invalid``; the attempt history keeps the real reason), with an argon2 check of the same cost.
    """
    now = now_utc()
    email = (email or "").strip().lower()
    throttles = lockout.LoginThrottles.for_kind("staff", settings)
    # The same address may be staff at two dealers: each dealer's account is throttled on its own.
    account = f"{tenant_schema_of(session)}:{email}"
    admission = await lockout.admit(redis, throttles, account=account, ip=ip)
    if not admission.allowed:
        raise LoginFailed("throttled", retry_after=admission.retry_after)
    policy = await security_policy(session)
    user = await repo.user_by_email(session, email)
    source = lockout.source_of(ip)
    failure: str | None = None
    if not policy.allows_ip(ip):
        failure = "ip_not_allowed"
    elif user is None:
        await security.check_password(None, password)  # same cost as a real check
        failure = "unknown"
    elif admission.account_busy and not await repo.signed_in_from(
        session, email, source, now - KNOWN_SOURCE_FOR
    ):
        await security.check_password(None, password)
        failure = "account_throttled"
    else:
        attempt = await repo.reserve_login_attempt(
            session,
            user.id,
            source,
            max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes,
        )
        # Committed before argon2 runs: parallel attempts see this one's count.
        await session.commit()
        if attempt > settings.login_max_failures:
            await security.check_password(None, password)
            failure = "locked"
        elif not await security.check_password(user.password_hash, password):
            failure = "invalid"
        elif not user.is_active:
            failure = "inactive"
    await repo.record_login_attempt(
        session,
        LoginAttempt(
            email=email[:254],
            user_id=user.id if user else None,
            succeeded=failure is None,
            reason=failure,
            ip=ip,
        ),
    )
    if failure is not None:
        await session.commit()
        if failure in ("unknown", "invalid", "locked", "account_throttled"):
            await lockout.count_failure(redis, throttles, account=account)
        # The answer does not tell an unknown account, a locked one and a wrong password apart.
        raise LoginFailed(failure if failure in ("ip_not_allowed", "inactive") else "invalid")
    assert user is not None
    await repo.clear_login_lock(session, user.id, source)
    user.last_login_at = now
    token, record = _open_session(session, user, policy, _stage_after_password(user, policy), ip, user_agent)
    await session.commit()
    await lockout.give_back(redis, throttles, account=account, ip=ip)
    return token, StaffSession(user=user, record=record)


def _stage_after_password(user: User, policy: SecurityPolicy) -> str:
    """What a correct password leads to: the second factor, a password of one's own (after a
    one-time password), enrolling 2FA where the policy demands it, or a working session."""
    if mfa.is_enrolled(user):
        return STAGE_SECOND_FACTOR
    if user.must_change_password:
        return STAGE_NEW_PASSWORD
    return STAGE_ENROLL if policy.require_2fa else STAGE_ACTIVE


def _open_session(
    session: AsyncSession,
    user: User,
    policy: SecurityPolicy,
    stage: str,
    ip: str | None,
    user_agent: str | None,
) -> tuple[str, UserSession]:
    now = now_utc()
    lifetime = (
        timedelta(hours=policy.session_lifetime_hours) if stage == STAGE_ACTIVE else HALF_LOGIN_LIFETIME
    )
    token = security.new_token()
    record = UserSession(
        token_hash=security.token_hash(token),
        user_id=user.id,
        csrf_token=security.new_token(24),
        stage=stage,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(record)
    return token, record


async def promote_session(session: AsyncSession, staff: StaffSession) -> tuple[str, StaffSession]:
    """A half-finished login completed its second step: replace it with a fresh active session (or,
    after the second factor of someone holding a one-time password, with the new-password step)."""
    policy = await security_policy(session)
    await repo.revoke_session(session, staff.record.id, now_utc())
    stage = (
        STAGE_NEW_PASSWORD
        if staff.user.must_change_password and staff.record.stage == STAGE_SECOND_FACTOR
        else STAGE_ACTIVE
    )
    token, record = _open_session(
        session, staff.user, policy, stage, staff.record.ip, staff.record.user_agent
    )
    await session.commit()
    return token, StaffSession(user=staff.user, record=record)


async def complete_second_factor(
    session: AsyncSession,
    settings: Settings,
    staff: StaffSession,
    code: str,
    *,
    redis: Redis | None = None,
    ip: str | None = None,
) -> tuple[str, StaffSession]:
    """Finish a half-login with a TOTP or recovery code.

    Each code is counted on the half-login before it is checked (parallel guesses each take a turn);
    after ``second_factor_max_failures`` wrong codes the half-login is revoked (SecondFactorEnded).
    The same Redis throttles as the password form limit codes per address (LoginFailed "throttled").
    """
    if staff.record.stage != STAGE_SECOND_FACTOR:
        raise ValidationFailed([FieldError("code", "invalid_code", "the code is not valid")])
    throttles = lockout.LoginThrottles.for_kind("second-factor", settings)
    account = f"{tenant_schema_of(session)}:{staff.user.email}"
    admission = await lockout.admit(redis, throttles, account=account, ip=ip)
    if not admission.allowed:
        raise LoginFailed("throttled", retry_after=admission.retry_after)
    limit = settings.second_factor_max_failures
    attempt = await repo.count_second_factor_attempt(session, staff.record.id)
    await session.commit()
    if attempt is None or attempt > limit:
        await _end_half_login(session, staff)
        raise SecondFactorEnded()
    if not await mfa.verify(session, staff.user, code):
        if attempt >= limit:
            await _end_half_login(session, staff)
            raise SecondFactorEnded()
        raise ValidationFailed([FieldError("code", "invalid_code", "the code is not valid")])
    return await promote_session(session, staff)


async def _end_half_login(session: AsyncSession, staff: StaffSession) -> None:
    await repo.revoke_session(session, staff.record.id, now_utc())
    await repo.record_login_attempt(
        session,
        LoginAttempt(
            email=staff.user.email,
            user_id=staff.user.id,
            succeeded=False,
            reason="second_factor",
            ip=staff.record.ip,
        ),
    )
    await session.commit()


def may_enroll(staff: StaffSession) -> bool:
    """Enrolment pages: an active session, or a half-login whose policy demands 2FA and that has none."""
    if staff.record.stage == STAGE_ACTIVE:
        return True
    return staff.record.stage == STAGE_ENROLL and not mfa.is_enrolled(staff.user)


async def reauthenticate(session: AsyncSession, user: User, *, password: str, code: str) -> None:
    """The current password or a current second-factor code, before changing the second factor."""
    if password and await security.check_password(user.password_hash, password):
        return
    if code and mfa.is_enrolled(user) and await mfa.verify(session, user, code):
        return
    raise ValidationFailed(
        [FieldError("reauth", "reauth_failed", "enter your current password or a current code")]
    )


async def start_2fa_enrollment(
    session: AsyncSession, staff: StaffSession, *, password: str = "", code: str = ""
) -> None:
    """Begin (or restart) enrolling an authenticator.

    Replacing an active one asks for the password or a current code."""
    if not may_enroll(staff):
        raise PermissionDenied("2fa:enroll")
    if mfa.is_enrolled(staff.user):
        await reauthenticate(session, staff.user, password=password, code=code)
    await mfa.start_enrollment(session, staff.user)


async def disable_2fa(session: AsyncSession, staff: StaffSession, *, password: str, code: str) -> None:
    """Turn the second factor off (the caller checks the tenant's policy); asks for the password or a code."""
    await reauthenticate(session, staff.user, password=password, code=code)
    await mfa.disable(session, staff.user)


async def resume_session(session: AsyncSession, settings: Settings, token: str | None) -> StaffSession | None:
    """The live session for a cookie token, or None if missing, revoked, idle too long or expired."""
    if not token:
        return None
    now = now_utc()
    record = await repo.live_session(session, security.token_hash(token), now)
    if record is None:
        return None
    policy = await security_policy(session)
    if record.last_seen_at + timedelta(minutes=policy.idle_timeout_minutes) < now or (
        record.created_at + timedelta(hours=policy.session_lifetime_hours) < now
    ):
        await repo.revoke_session(session, record.id, now)
        await session.commit()
        return None
    user = await repo.user_by_id(session, record.user_id)
    if user is None or not user.is_active:
        return None
    if now - record.last_seen_at > SESSION_TOUCH_EVERY:
        await repo.touch_session(session, record.id, now)
        await session.commit()
    return StaffSession(user=user, record=record)


async def change_password(
    session: AsyncSession, staff: StaffSession, *, current: str, new: str
) -> tuple[str, StaffSession]:
    """Change one's own password; every session of the user ends and a fresh one replaces this one."""
    policy = await security_policy(session)
    errors: list[FieldError] = []
    if not await security.check_password(staff.user.password_hash, current):
        errors.append(FieldError("current_password", "wrong_password", "the current password is not correct"))
    for problem in policy.password_problems(new):
        errors.append(FieldError("new_password", problem, "the new password does not meet the policy"))
    if errors:
        raise ValidationFailed(errors)
    now = now_utc()
    staff.user.password_hash = await security.make_password_hash(new)
    staff.user.password_changed_at = now
    await repo.revoke_all_sessions(session, staff.user.id, now)
    # Tokens were made under the old password: whoever learnt it may have made one too.
    await repo.revoke_all_tokens(session, staff.user.id, now)
    token, record = _open_session(
        session, staff.user, policy, STAGE_ACTIVE, staff.record.ip, staff.record.user_agent
    )
    await session.commit()
    return token, StaffSession(user=staff.user, record=record)


async def choose_first_password(
    session: AsyncSession, staff: StaffSession, *, new: str, confirm: str
) -> tuple[str, StaffSession]:
    """Replace a one-time password with one's own (the ``new_password`` step of a login); the
    half-login becomes a working session, or the 2FA enrolment where the policy demands it."""
    if staff.record.stage != STAGE_NEW_PASSWORD:
        raise PermissionDenied("password:first")
    policy = await security_policy(session)
    errors = [
        FieldError("new_password", problem, "the new password does not meet the policy")
        for problem in policy.password_problems(new)
    ]
    if not errors and new != confirm:
        errors.append(FieldError("confirm_password", "mismatch", "the two passwords differ"))
    if not errors and await security.check_password(staff.user.password_hash, new):
        errors.append(
            FieldError("new_password", "same_password", "choose another password than the one you were given")
        )
    if errors:
        raise ValidationFailed(errors)
    now = now_utc()
    staff.user.password_hash = await security.make_password_hash(new)
    staff.user.password_changed_at = now
    staff.user.must_change_password = False
    await repo.revoke_all_sessions(session, staff.user.id, now)
    stage = STAGE_ENROLL if policy.require_2fa and not mfa.is_enrolled(staff.user) else STAGE_ACTIVE
    token, record = _open_session(
        session, staff.user, policy, stage, staff.record.ip, staff.record.user_agent
    )
    await session.commit()
    return token, StaffSession(user=staff.user, record=record)


async def set_active(session: AsyncSession, actor: Actor, user_id: uuid.UUID, active: bool) -> User:
    """Deactivate (or reactivate) a staff member; deactivation ends all their sessions at once."""
    if not actor.can(STAFF_MANAGE):
        raise PermissionDenied(STAFF_MANAGE)
    user = await repo.user_by_id(session, user_id)
    if user is None:
        raise NotFound("user", user_id)
    if active and not user.is_active:
        await quotas.ensure_room(session, "users")
    if not active and user.is_active:
        from app.roles.service import ensure_a_role_manager_outlasts  # roles build on accounts

        await ensure_a_role_manager_outlasts(session, user.id)
    before = {"is_active": user.is_active}
    user.is_active = active
    if not active:
        await repo.revoke_all_sessions(session, user.id, now_utc())
        await repo.revoke_all_tokens(session, user.id, now_utc())
    audit.record(
        session,
        actor,
        entity="user",
        entity_id=user.id,
        action="activate" if active else "deactivate",
        before=before,
        after={"is_active": active},
    )
    await session.commit()
    return user


async def list_sessions(session: AsyncSession, actor: Actor, *, everyone: bool = False) -> list[UserSession]:
    if everyone and not actor.can(STAFF_MANAGE):
        raise PermissionDenied(STAFF_MANAGE)
    return list(await repo.live_sessions(session, None if everyone else actor.user_id, now_utc()))


async def revoke_session_by_id(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> None:
    record = await session.get(UserSession, session_id)
    if record is None or (record.user_id != actor.user_id and not actor.can(STAFF_MANAGE)):
        raise NotFound("session", session_id)
    await repo.revoke_session(session, record.id, now_utc())
    audit.record(
        session,
        actor,
        entity="session",
        entity_id=record.id,
        action="revoke",
        before=None,
        after={"user_id": str(record.user_id)},
    )
    await session.commit()


async def login_history(
    session: AsyncSession, actor: Actor, *, everyone: bool = False, limit: int = 100
) -> list[LoginAttempt]:
    if everyone and not actor.can(STAFF_MANAGE):
        raise PermissionDenied(STAFF_MANAGE)
    return list(await repo.login_attempts(session, None if everyone else actor.email, limit))


async def logout(session: AsyncSession, record: UserSession) -> None:
    await repo.revoke_session(session, record.id, now_utc())
    await session.commit()


# -- personal access tokens -----------------------------------------------------------------------


def _token_tenant(token: str) -> str | None:
    parts = token.split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == TOKEN_PREFIX else None


def tenant_of_token(token: str) -> str | None:
    """The tenant slug a token names (``dcrm_<slug>_<secret>``); the token must still match its hash."""
    return _token_tenant(token)


async def create_api_token(
    session: AsyncSession,
    user: User,
    *,
    tenant_slug: str,
    name: str,
    actor: Actor | None = None,
    days: int = 90,
    scopes: str = "read write",
    allowed_days: tuple[int, ...] | None = None,
) -> tuple[str, ApiToken]:
    """A new token for ``user``; the plaintext is returned once and only its hash is kept. Audited.

    ``actor`` is the staff member asking in the admin (checked and validated, ``days`` one of
    ``allowed_days``); without one (the CLI, test kits) the user is recorded as the actor and an
    overlong name is cut to fit. ``scopes``: a key of TOKEN_SCOPES ("read" or "read write").
    """
    name = (name or "").strip()
    errors: list[FieldError] = []
    if actor is not None:
        if not (actor.can(TOKENS_CREATE) or actor.can(STAFF_MANAGE)):
            raise PermissionDenied(TOKENS_CREATE)
        if len(name) > API_TOKEN_NAME_MAX:
            errors.append(FieldError("name", "too_long", f"must be at most {API_TOKEN_NAME_MAX} characters"))
    if allowed_days is not None and days not in allowed_days:
        errors.append(
            FieldError("days", "not_allowed", f"must be one of {', '.join(map(str, allowed_days))}")
        )
    elif not 1 <= days <= 3650:
        errors.append(FieldError("days", "out_of_range", "must be between 1 and 3650"))
    if scopes not in TOKEN_SCOPES:
        errors.append(FieldError("scopes", "not_allowed", "must be 'read' or 'read write'"))
    if errors:
        raise ValidationFailed(errors)
    now = now_utc()
    plaintext = f"{TOKEN_PREFIX}_{tenant_slug}_{security.new_token()}"
    record = ApiToken(
        user_id=user.id,
        name=(name or "token")[:API_TOKEN_NAME_MAX],
        prefix=plaintext[: len(TOKEN_PREFIX) + len(tenant_slug) + 6][:16],
        token_hash=security.token_hash(plaintext),
        scopes=list(TOKEN_SCOPES[scopes]),
        expires_at=now + timedelta(days=days),
    )
    session.add(record)
    await session.flush()
    audit.record(
        session,
        actor or actor_for(user, via="cli"),
        entity="api_token",
        entity_id=record.id,
        action="create",
        before=None,
        after={
            "name": record.name,
            "prefix": record.prefix,
            "user_id": str(user.id),
            "scopes": record.scopes,
            "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        },
    )
    await session.commit()
    return plaintext, record


async def _live_token(session: AsyncSession, token: str) -> tuple[User, ApiToken] | None:
    now = now_utc()
    record = await repo.token_by_hash(session, security.token_hash(token), now)
    if record is None:
        return None
    user = await repo.user_by_id(session, record.user_id)
    if user is None or not user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at > SESSION_TOUCH_EVERY:
        # At most one write a minute per token: reads stay reads.
        record.last_used_at = now
        await session.commit()
    return user, record


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    """The holder of a live (not revoked, not expired) token."""
    found = await _live_token(session, token)
    return found[0] if found else None


async def actor_for_token(
    session: AsyncSession, token: str, *, ip: str | None = None, request_id: str | None = None
) -> Actor | None:
    """The actor behind a live token, limited to the token's scopes (a read-only token loses every
    permission that is not a ``:read`` one, and carries ``token_scopes`` so mutations can say why)."""
    found = await _live_token(session, token)
    if found is None:
        return None
    user, record = found
    return actor_for(
        user,
        ip=ip,
        request_id=request_id,
        via="token",
        token_scopes=record.scopes or [],
        token_name=record.name,
    )


async def list_api_tokens(session: AsyncSession, actor: Actor) -> list[ApiToken]:
    """Admins see every token of the tenant; others their own."""
    everyone = actor.can(STAFF_MANAGE)
    if not everyone and not actor.can(TOKENS_CREATE):
        raise PermissionDenied(TOKENS_CREATE)
    return list(await repo.tokens_of(session, None if everyone else actor.user_id))


async def revoke_api_token(session: AsyncSession, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    record = await session.get(ApiToken, token_id)
    if record is None or (record.user_id != actor.user_id and not actor.can(STAFF_MANAGE)):
        raise NotFound("api_token", token_id)
    if record.revoked_at is None:
        record.revoked_at = now_utc()
        audit.record(
            session,
            actor,
            entity="api_token",
            entity_id=record.id,
            action="revoke",
            before={"revoked": False},
            after={"revoked": True, "name": record.name, "user_id": str(record.user_id)},
        )
        await session.commit()
    return record


# -- actors and data scope ------------------------------------------------------------------------


def actor_for(
    user: User,
    *,
    ip: str | None = None,
    request_id: str | None = None,
    via: str = "session",
    token_scopes: list[str] | None = None,
    token_name: str | None = None,
) -> Actor:
    permissions = frozenset(user.role.permissions)
    if token_scopes is not None and SCOPE_WRITE not in token_scopes:
        permissions = frozenset(p for p in permissions if p.endswith(":read"))
    return Actor(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role_key=user.role.key,
        permissions=permissions,
        data_scope=user.role.data_scope,
        team_id=user.team_id,
        ip=ip,
        request_id=request_id,
        via=via,
        token_scopes=frozenset(token_scopes) if token_scopes is not None else None,
        token_name=token_name,
    )


async def visible_owner_ids(session: AsyncSession, actor: Actor) -> list[uuid.UUID] | None:
    """The owners whose records the actor may see, or None for all of them."""
    if actor.data_scope == SCOPE_ALL:
        return None
    if actor.data_scope == SCOPE_TEAM and actor.team_id is not None:
        return await repo.team_member_ids(session, actor.team_id)
    if actor.data_scope in (SCOPE_OWN, SCOPE_TEAM):
        return [actor.user_id]
    return []


async def assignable_owners(session: AsyncSession, actor: Actor) -> list[User]:
    """Active staff the actor may make a customer's owner: everyone for scope "all", else their scope."""
    owners = await visible_owner_ids(session, actor)
    staff = [u for u in await repo.list_users(session) if u.is_active]
    return staff if owners is None else [u for u in staff if u.id in owners]


async def staff_directory(session: AsyncSession) -> list[User]:
    """Every staff member of the tenant (for filters by person and for showing names)."""
    return list(await repo.list_users(session))


async def staff_names(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names by user id, for lists that show who owns or changed something."""
    wanted = [i for i in set(user_ids) if i is not None]
    if not wanted:
        return {}
    return {u.id: u.name for u in await repo.users_by_ids(session, wanted)}


async def staff_member(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repo.user_by_id(session, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user
