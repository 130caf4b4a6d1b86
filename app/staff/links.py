"""The two signed links staff receive by email: an invitation (72 hours, used once) and a password
reset (30 minutes, used once).

Both are ``app.platform.tokens`` links (HMAC over purpose, tenant, id and expiry), so a link made
for one tenant or purpose is worth nothing elsewhere. An invitation's row says whether it was used;
a reset link is signed over a fingerprint of the password it replaces, so it stops working the
moment any new password is set, and needs no table.

A reset request answers the same whether the address is on staff or not, and is throttled per
network and per address (Redis; refused while Redis is down, since nothing is lost by waiting).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app import security, throttle
from app.accounts import repository as accounts_repo
from app.accounts.models import User
from app.accounts.service import actor_for
from app.audit import service as audit
from app.domain import Actor
from app.events import service as events
from app.i18n import gettext as _
from app.kit.fields import Errors, Text
from app.kit.service import unit_of_work
from app.mail import Mailer, MailFailed, MailMessage, in_locale
from app.platform import tokens
from app.staff import repository as repo
from app.staff.models import StaffInvitation
from app.staff.service import (
    NAME_MAX,
    StaffData,
    clean_new_hire,
    ensure_seat,
    now_utc,
    require_manager,
    snapshot,
)
from app.tenant_settings.service import security_policy

log = logging.getLogger("dealercrm.staff")

INVITATION_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(minutes=30)
INVITE_PURPOSE = "staff-invite"
RESET_PURPOSE = "password-reset"
# Reset requests: per client network, and per address (the second silently: same answer).
RESET_PER_IP = throttle.Throttle("password-reset-ip", limit=10, window_seconds=900)
RESET_PER_ADDRESS = throttle.Throttle("password-reset-address", limit=3, window_seconds=3600)


class LinkRefused(Exception):
    """``code``: invalid (tampered, another tenant's or purpose's), expired, used (accepted, or the
    password already changed), revoked (an invitation withdrawn or replaced)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ResetThrottled(Exception):
    """Too many reset requests from this network (``retry_after`` seconds)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Invited:
    invitation: StaffInvitation
    link: str
    mailed: bool


def _expiry(lifetime: timedelta) -> int:
    return int((datetime.now(UTC) + lifetime).timestamp())


def _unsign(secret: str, purpose: str, slug: str, token: str) -> dict[str, Any]:
    try:
        payload = tokens.unsign(secret, purpose, token)
    except tokens.TokenRefused as exc:
        raise LinkRefused(exc.code) from exc
    if payload.get("t") != slug:
        raise LinkRefused("invalid")
    return payload


# -- invitations ------------------------------------------------------------------------------------


def invitation_mail(
    invitation: StaffInvitation, *, company: str, inviter: str, link: str, slug: str, locale: str
) -> MailMessage:
    hours = int(INVITATION_LIFETIME.total_seconds() // 3600)
    with in_locale(locale):
        subject = _("{inviter} invites you to {company} on DealerCRM").format(
            inviter=inviter, company=company
        )
        body = _(
            "{inviter} has invited you to join {company} on DealerCRM.\n\n"
            "Open this link within {hours} hours, then choose your name and password:\n\n{link}\n\n"
            "The link works once. If you did not expect this invitation, ignore this email."
        ).format(inviter=inviter, company=company, hours=hours, link=link)
    return MailMessage(
        to=invitation.email, subject=subject, body=body, kind="staff_invitation", tenant_slug=slug
    )


async def invite_staff(
    session: AsyncSession,
    actor: Actor,
    data: StaffData,
    *,
    secret: str,
    slug: str,
    company: str,
    origin: str,
    mailer: Mailer,
    locale: str = "zh_CN",
) -> Invited:
    """Invite an address with a role (and team): the invitation takes a seat until it is accepted or
    expires; a pending one to the same address is replaced. The mail goes out after the commit; a
    mail failure keeps the invitation (``mailed`` False: send it again)."""
    require_manager(actor)
    async with unit_of_work(session):
        values, role, team = await clean_new_hire(session, actor, data, name_required=False)
        await ensure_seat(session, email=values["email"])
        now = now_utc()
        await repo.revoke_pending_invitations(session, values["email"], now)
        invitation = StaffInvitation(
            email=values["email"],
            name=values.get("name"),
            role_id=role.id,
            team_id=team.id if team else None,
            invited_by=actor.user_id,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        session.add(invitation)
        await session.flush()
        audit.record(
            session,
            actor,
            entity="staff_invitation",
            entity_id=invitation.id,
            action="create",
            before=None,
            after={
                "email": invitation.email,
                "role_id": str(role.id),
                "team_id": str(team.id) if team else None,
            },
        )
    return await _mail_invitation(
        invitation,
        actor,
        secret=secret,
        slug=slug,
        company=company,
        origin=origin,
        mailer=mailer,
        locale=locale,
    )


async def _mail_invitation(
    invitation: StaffInvitation,
    actor: Actor,
    *,
    secret: str,
    slug: str,
    company: str,
    origin: str,
    mailer: Mailer,
    locale: str,
) -> Invited:
    token = tokens.sign(
        secret,
        INVITE_PURPOSE,
        {"t": slug, "i": str(invitation.id), "e": int(invitation.expires_at.timestamp())},
    )
    link = f"{origin.rstrip('/')}/invite?token={token}"
    message = invitation_mail(
        invitation, company=company, inviter=actor.name, link=link, slug=slug, locale=locale
    )
    try:
        await mailer.send(message)
    except MailFailed:
        log.exception("invitation mail to %s could not be sent", invitation.email)
        return Invited(invitation, link, mailed=False)
    return Invited(invitation, link, mailed=True)


async def revoke_invitation(session: AsyncSession, actor: Actor, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation: its link stops working and its seat is free again."""
    require_manager(actor)
    async with unit_of_work(session):
        invitation = await repo.invitation_by_id(session, invitation_id, lock=True)
        if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
            return
        invitation.revoked_at = now_utc()
        audit.record(
            session,
            actor,
            entity="staff_invitation",
            entity_id=invitation.id,
            action="revoke",
            before=None,
            after={"email": invitation.email},
        )


async def pending_invitations(session: AsyncSession, actor: Actor) -> list[StaffInvitation]:
    require_manager(actor)
    return list(await repo.pending_invitations(session, now_utc()))


async def open_invitation(session: AsyncSession, secret: str, slug: str, token: str) -> StaffInvitation:
    """The invitation a link names, if it can still be accepted (``LinkRefused`` otherwise)."""
    payload = _unsign(secret, INVITE_PURPOSE, slug, token)
    try:
        invitation_id = uuid.UUID(str(payload.get("i")))
    except ValueError as exc:
        raise LinkRefused("invalid") from exc
    invitation = await repo.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise LinkRefused("invalid")
    _still_open(invitation)
    return invitation


def _still_open(invitation: StaffInvitation) -> None:
    if invitation.accepted_at is not None:
        raise LinkRefused("used")
    if invitation.revoked_at is not None:
        raise LinkRefused("revoked")
    if invitation.expires_at <= now_utc():
        raise LinkRefused("expired")


async def _password_problems(session: AsyncSession, password: str, confirm: str, errors: Errors) -> None:
    policy = await security_policy(session)
    for problem in policy.password_problems(password):
        errors.add("password", problem, "the password does not meet the policy")
    if password != confirm and not errors.has("password"):
        errors.add("password_confirm", "mismatch", "the two passwords differ")


async def accept_invitation(
    session: AsyncSession, secret: str, slug: str, token: str, *, name: str, password: str, confirm: str
) -> User:
    """The invitee's first visit: their name and password make the account (once)."""
    invitation = await open_invitation(session, secret, slug, token)
    async with unit_of_work(session):
        invitation = await repo.invitation_by_id(session, invitation.id, lock=True)  # type: ignore[assignment]
        _still_open(invitation)  # a parallel visit may have used it meanwhile
        errors = Errors()
        clean_name = Text(required=True, max_length=NAME_MAX).clean(errors, "name", name)
        await _password_problems(session, password, confirm, errors)
        errors.raise_if_any()
        if await accounts_repo.user_by_email(session, invitation.email) is not None:
            raise LinkRefused("used")
        # The invitation held a seat: count it out and check the plan (it may have shrunk).
        await ensure_seat(session, email=invitation.email)
        user = User(
            email=invitation.email,
            name=clean_name,
            password_hash=await security.make_password_hash(password),
            role_id=invitation.role_id,
            team_id=invitation.team_id,
            is_active=True,
            failed_logins=0,
            password_changed_at=now_utc(),
        )
        session.add(user)
        await session.flush()
        await session.refresh(user, ["role"])
        invitation.accepted_at = now_utc()
        invitation.accepted_user_id = user.id
        audit.record(
            session,
            actor_for(user),
            entity="user",
            entity_id=user.id,
            action="accept_invitation",
            before=None,
            after={**snapshot(user), "invitation_id": str(invitation.id)},
        )
        events.emit(session, "user.created", {"id": str(user.id)})
    return user


# -- password resets --------------------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_mail(user: User, *, link: str, company: str, slug: str, locale: str) -> MailMessage:
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    with in_locale(locale):
        subject = _("Reset your DealerCRM password for {company}").format(company=company)
        body = _(
            "Someone asked to reset the password of {email} at {company}.\n\n"
            "Open this link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
            "The link works once. If it was not you, ignore this email: your password stays as it is."
        ).format(email=user.email, company=company, minutes=minutes, link=link)
    return MailMessage(to=user.email, subject=subject, body=body, kind="password_reset", tenant_slug=slug)


async def request_password_reset(
    session: AsyncSession,
    redis: Redis,
    email: str,
    *,
    ip: str | None,
    secret: str,
    slug: str,
    company: str,
    origin: str,
    mailer: Mailer,
    locale: str = "zh_CN",
) -> None:
    """Mail a reset link to an active staff member with this address; for any other address do
    nothing. The caller answers the same either way. ``ResetThrottled`` when this network asked
    too often (which says nothing about the address)."""
    address = (email or "").strip().lower()[:254]
    verdict = await throttle.hit(redis, RESET_PER_IP, ip or "unknown", fail="closed")
    if not verdict.allowed:
        raise ResetThrottled(verdict.retry_after or RESET_PER_IP.window_seconds)
    if not address:
        return
    per_address = await throttle.hit(
        redis, RESET_PER_ADDRESS, hashlib.sha256(address.encode()).hexdigest(), fail="closed"
    )
    user = await accounts_repo.user_by_email(session, address)
    if not per_address.allowed or user is None or not user.is_active:
        return
    token = tokens.sign(
        secret,
        RESET_PURPOSE,
        {"t": slug, "u": str(user.id), "f": _fingerprint(user), "e": _expiry(RESET_LIFETIME)},
    )
    link = f"{origin.rstrip('/')}/password/reset?token={token}"
    try:
        await mailer.send(reset_mail(user, link=link, company=company, slug=slug, locale=locale))
    except MailFailed:
        log.exception("password reset mail could not be sent")


async def open_reset(session: AsyncSession, secret: str, slug: str, token: str) -> User:
    """The staff member a reset link is for, while it can still be used (``LinkRefused`` otherwise)."""
    payload = _unsign(secret, RESET_PURPOSE, slug, token)
    try:
        user_id = uuid.UUID(str(payload.get("u")))
    except ValueError as exc:
        raise LinkRefused("invalid") from exc
    user = await accounts_repo.user_by_id(session, user_id)
    if user is None or not user.is_active:
        raise LinkRefused("invalid")
    if payload.get("f") != _fingerprint(user):
        raise LinkRefused("used")  # the password changed since the link was made: it was used
    return user


async def complete_reset(
    session: AsyncSession, secret: str, slug: str, token: str, *, password: str, confirm: str
) -> User:
    """Set the new password; every session and API token of the account ends."""
    async with unit_of_work(session):
        found = await open_reset(session, secret, slug, token)
        # Checked again under the row lock: of two parallel uses of one link only the first wins.
        user = await repo.lock_user(session, found.id)
        if user is None or not _same_password(user, token, secret, slug):
            raise LinkRefused("used")
        errors = Errors()
        await _password_problems(session, password, confirm, errors)
        errors.raise_if_any()
        now = now_utc()
        user.password_hash = await security.make_password_hash(password)
        user.password_changed_at = now
        user.must_change_password = False
        await accounts_repo.revoke_all_sessions(session, user.id, now)
        await accounts_repo.revoke_all_tokens(session, user.id, now)
        audit.record(
            session,
            actor_for(user),
            entity="user",
            entity_id=user.id,
            action="password_reset",
            before=None,
            after={},
        )
    return user


def _same_password(user: User, token: str, secret: str, slug: str) -> bool:
    return bool(_unsign(secret, RESET_PURPOSE, slug, token).get("f") == _fingerprint(user))
