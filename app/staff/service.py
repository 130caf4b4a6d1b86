"""Staff and teams: each verb checks ``staff:manage``, validates, writes, audits and commits.

Rules kept here, whoever calls (admin pages, GraphQL, the CLI):
- an address is on staff once: inviting or adding it again is refused (a leaver is reactivated);
- the plan's seat quota counts active staff and pending invitations alike, so an invitation that
  was sent can always be accepted;
- nobody gives a role more than their own role holds; the tenant always keeps an active owner;
- a leaver (离职) is deactivated in one step: sessions and API tokens end at once, and everything
  they own goes to a chosen active colleague (``app.kit.handover``), audited together;
- nobody deactivates themselves.

Invitations and password resets (the signed links) are in ``app.staff.links``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import security
from app.accounts import repository as accounts_repo
from app.accounts.models import Role, Team, User
from app.accounts.permissions import STAFF_MANAGE
from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.events import service as events
from app.kit import handover
from app.kit.fields import UNSET, Email, Errors, Fields, Ref, Text
from app.kit.service import unit_of_work
from app.platform import quotas
from app.staff import repository as repo

NAME_MAX = 60
TEAM_NAME_MAX = 60
OWNER_ROLE = "owner"
# Typed once by the new hire at first login, so it only has to survive being read out.
ONE_TIME_PASSWORD_BYTES = 9

STAFF_FIELDS = Fields(
    types={
        "email": Email(required=True),
        "name": Text(required=True, max_length=NAME_MAX),
        "role_id": Ref(required=True),
        "team_id": Ref(),
    }
)
TEAM_FIELDS = Fields(types={"name": Text(required=True, max_length=TEAM_NAME_MAX)})


def now_utc() -> datetime:
    return datetime.now(UTC)


def _refuse(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, code, message)])


def require_manager(actor: Actor) -> None:
    if not actor.can(STAFF_MANAGE):
        raise PermissionDenied(STAFF_MANAGE)


def one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


@dataclass
class StaffData:
    """A new hire as the admin typed it (``name`` may be left for the invitee to fill in)."""

    email: str
    name: str = ""
    role_id: Any = None
    team_id: Any = None


@dataclass
class StaffChange:
    """What an edit changes; ``UNSET`` leaves a field alone (``team_id=None``: no team)."""

    name: Any = UNSET
    role_id: Any = UNSET
    team_id: Any = UNSET


@dataclass(frozen=True)
class Hired:
    user: User
    one_time_password: str


@dataclass(frozen=True)
class Deactivated:
    user: User
    handed_to: User | None
    handed_over: dict[str, int]


def snapshot(user: User) -> dict[str, Any]:
    """The audited view of a staff member."""
    return {
        "email": user.email,
        "name": user.name,
        "role_id": str(user.role_id),
        "team_id": str(user.team_id) if user.team_id else None,
        "is_active": user.is_active,
    }


# -- checks shared by the verbs ---------------------------------------------------------------------


def as_uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def _role(session: AsyncSession, actor: Actor, role_id: Any, errors: Errors) -> Role | None:
    found = as_uuid(role_id)
    role = await repo.role_by_id(session, found) if found else None
    if role is None:
        errors.add("role_id", "unknown_role", "is not a role of this account")
        return None
    if not set(role.permissions) <= actor.permissions:
        errors.add("role_id", "cannot_grant", "holds permissions your own role does not")
        return None
    return role


async def _team(session: AsyncSession, team_id: Any, errors: Errors) -> Team | None:
    if team_id in (None, ""):
        return None
    found = as_uuid(team_id)
    team = await repo.team_by_id(session, found) if found else None
    if team is None:
        errors.add("team_id", "unknown_team", "is not a team of this account")
    return team


async def check_new_address(session: AsyncSession, email: str, errors: Errors) -> None:
    """An address already on staff (active or a leaver) is refused: a leaver is reactivated instead."""
    existing = await accounts_repo.user_by_email(session, email)
    if existing is not None:
        if existing.is_active:
            errors.add("email", "already_staff", "is already on staff")
        else:
            errors.add("email", "deactivated_staff", "belongs to a deactivated staff member: reactivate them")


async def clean_new_hire(
    session: AsyncSession, actor: Actor, data: StaffData, *, name_required: bool = True
) -> tuple[dict[str, Any], Role, Team | None]:
    """Every problem of a new hire's input at once: the address, name, role and team."""
    errors = Errors()
    raw = {"email": data.email, "name": data.name, "role_id": data.role_id, "team_id": data.team_id}
    if not name_required and not (data.name or "").strip():
        raw.pop("name")
    values = STAFF_FIELDS.collect(raw, creating=False, errors=errors)
    values.setdefault("name", None)
    if values.get("email"):
        await check_new_address(session, values["email"], errors)
    role = await _role(session, actor, data.role_id, errors) if not errors.has("role_id") else None
    team = await _team(session, data.team_id, errors)
    errors.raise_if_any()
    assert role is not None
    return values, role, team


async def ensure_seat(session: AsyncSession, *, email: str | None = None) -> None:
    """Room in the plan for one more active staff member, counting invitations still pending
    (except one to ``email``, which the new hire replaces)."""
    pending = await repo.count_pending_invitations(session, now_utc(), excluding_email=email)
    await quotas.ensure_room(session, "users", adding=1 + pending)


# -- reads ------------------------------------------------------------------------------------------


async def list_staff(
    session: AsyncSession, actor: Actor, *, active: bool | None = None, team_id: uuid.UUID | None = None
) -> list[User]:
    require_manager(actor)
    return list(await repo.staff_list(session, active=active, team_id=team_id))


async def get_staff(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    require_manager(actor)
    user = await accounts_repo.user_by_id(session, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def list_teams(session: AsyncSession, actor: Actor) -> list[Team]:
    require_manager(actor)
    return list(await repo.teams(session))


async def team_sizes(session: AsyncSession, actor: Actor) -> dict[uuid.UUID, int]:
    require_manager(actor)
    return await repo.team_sizes(session)


async def list_roles(session: AsyncSession, actor: Actor) -> list[Role]:
    """The roles a staff form offers: those the actor may give."""
    require_manager(actor)
    return [r for r in await repo.roles(session) if set(r.permissions) <= actor.permissions]


async def owned_counts(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> dict[str, int]:
    """What a staff member owns, by entity (shown before deactivating them)."""
    require_manager(actor)
    return await handover.owned_counts(session, user_id)


# -- hiring -----------------------------------------------------------------------------------------


async def add_staff(session: AsyncSession, actor: Actor, data: StaffData) -> Hired:
    """Add a staff member directly with a one-time password (returned once), which their first
    login replaces. An invitation still pending for the address is withdrawn."""
    require_manager(actor)
    async with unit_of_work(session):
        values, role, team = await clean_new_hire(session, actor, data)
        await ensure_seat(session, email=values["email"])
        password = one_time_password()
        user = User(
            email=values["email"],
            name=values["name"],
            password_hash=await security.make_password_hash(password),
            role_id=role.id,
            team_id=team.id if team else None,
            is_active=True,
            failed_logins=0,
            must_change_password=True,
        )
        session.add(user)
        await session.flush()
        await repo.revoke_pending_invitations(session, user.email, now_utc())
        audit.record(
            session,
            actor,
            entity="user",
            entity_id=user.id,
            action="create",
            before=None,
            after=snapshot(user),
        )
        events.emit(session, "user.created", {"id": str(user.id)})
    return Hired(user=user, one_time_password=password)


# -- changes ----------------------------------------------------------------------------------------


async def _ensure_owner_outlasts(session: AsyncSession, user: User) -> None:
    if (
        user.role.key == OWNER_ROLE
        and user.is_active
        and await repo.active_owners(session, excluding=user.id) == 0
    ):
        raise _refuse("role_id", "last_owner", "the account must keep an active owner")


async def update_staff(session: AsyncSession, actor: Actor, user_id: uuid.UUID, change: StaffChange) -> User:
    """Rename a staff member, give them another role or move them to another team (or none)."""
    require_manager(actor)
    async with unit_of_work(session):
        user = await accounts_repo.user_by_id(session, user_id)
        if user is None:
            raise NotFound("user", user_id)
        before = snapshot(user)
        errors = Errors()
        raw = {} if change.name is UNSET else {"name": change.name}
        values = STAFF_FIELDS.collect(raw, creating=False, errors=errors)
        role = None
        if change.role_id is not UNSET:
            role = await _role(session, actor, change.role_id, errors)
            # Nobody takes a role away that holds more than their own either.
            if (
                role is not None
                and role.id != user.role_id
                and not set(user.role.permissions) <= actor.permissions
            ):
                errors.add("role_id", "cannot_grant", "holds permissions your own role does not")
        team = await _team(session, change.team_id, errors) if change.team_id is not UNSET else None
        errors.raise_if_any()
        if "name" in values:
            user.name = values["name"]
        if role is not None and role.id != user.role_id:
            if role.key != OWNER_ROLE:
                await _ensure_owner_outlasts(session, user)
            from app.roles.service import ensure_a_role_manager_outlasts  # roles build on accounts

            if not set(user.role.permissions) <= set(role.permissions):
                await ensure_a_role_manager_outlasts(session, user.id)
            user.role_id = role.id
        if change.team_id is not UNSET:
            new_team = team.id if team else None
            if new_team != user.team_id:
                await repo.clear_manager(session, user.id)
                user.team_id = new_team
        await session.flush()
        await session.refresh(user, ["role"])
        after = snapshot(user)
        if after != before:
            audit.record(
                session, actor, entity="user", entity_id=user.id, action="update", before=before, after=after
            )
            events.emit(session, "user.updated", {"id": str(user.id)})
    return user


async def deactivate(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, *, handover_to: uuid.UUID | None = None
) -> Deactivated:
    """A leaver (离职): their sessions and API tokens end at once and everything they own goes to
    ``handover_to``, an active colleague, in the same transaction and audit record.

    Refused for oneself, for the account's last active owner, without a colleague while they own
    records, and with a colleague who is deactivated (or the leaver).
    """
    require_manager(actor)
    async with unit_of_work(session):
        user = await repo.lock_user(session, user_id)
        if user is None:
            raise NotFound("user", user_id)
        if user.id == actor.user_id:
            raise _refuse("id", "cannot_deactivate_yourself", "you cannot deactivate yourself")
        if not user.is_active:
            raise _refuse("id", "already_deactivated", "is already deactivated")
        await _ensure_owner_outlasts(session, user)
        colleague = None
        if handover_to is not None:
            colleague = await accounts_repo.user_by_id(session, handover_to)
            if colleague is None or colleague.id == user.id:
                raise _refuse("handover_to", "unknown_colleague", "is not another staff member")
            if not colleague.is_active:
                raise _refuse(
                    "handover_to", "colleague_deactivated", "is deactivated: choose an active colleague"
                )
        owned = await handover.owned_counts(session, user.id)
        if colleague is None and owned:
            raise _refuse("handover_to", "handover_required", "choose a colleague to take over their records")
        from app.roles.service import ensure_a_role_manager_outlasts  # roles build on accounts

        await ensure_a_role_manager_outlasts(session, user.id)
        now = now_utc()
        user.is_active = False
        user.deactivated_at = now
        await accounts_repo.revoke_all_sessions(session, user.id, now)
        tokens = await accounts_repo.revoke_all_tokens(session, user.id, now)
        await repo.clear_manager(session, user.id)
        moved = await handover.hand_over(session, actor, user.id, colleague.id) if colleague else {}
        audit.record(
            session,
            actor,
            entity="user",
            entity_id=user.id,
            action="deactivate",
            before={"is_active": True},
            after={
                "is_active": False,
                "handover_to": str(colleague.id) if colleague else None,
                "handed_over": moved,
                "tokens_revoked": tokens,
            },
        )
        events.emit(
            session,
            "user.deactivated",
            {"id": str(user.id), "handover_to": str(colleague.id) if colleague else None},
        )
    return Deactivated(user=user, handed_to=colleague, handed_over=moved)


async def reactivate(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    """A leaver comes back: they take a seat again (the plan's quota applies) and sign in as before."""
    require_manager(actor)
    async with unit_of_work(session):
        user = await accounts_repo.user_by_id(session, user_id)
        if user is None:
            raise NotFound("user", user_id)
        if user.is_active:
            return user
        await ensure_seat(session)
        user.is_active = True
        user.deactivated_at = None
        audit.record(
            session,
            actor,
            entity="user",
            entity_id=user.id,
            action="activate",
            before={"is_active": False},
            after={"is_active": True},
        )
        events.emit(session, "user.reactivated", {"id": str(user.id)})
    return user


async def reset_password(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> Hired:
    """An admin gives a staff member a new one-time password (returned once): their sessions and
    tokens end, and their next login asks for a password of their own. One's own password is
    changed on the security page instead."""
    require_manager(actor)
    async with unit_of_work(session):
        user = await accounts_repo.user_by_id(session, user_id)
        if user is None:
            raise NotFound("user", user_id)
        if user.id == actor.user_id:
            raise _refuse("id", "own_password", "change your own password on the security page")
        password = one_time_password()
        now = now_utc()
        user.password_hash = await security.make_password_hash(password)
        user.password_changed_at = now
        user.must_change_password = True
        await accounts_repo.revoke_all_sessions(session, user.id, now)
        await accounts_repo.revoke_all_tokens(session, user.id, now)
        audit.record(
            session,
            actor,
            entity="user",
            entity_id=user.id,
            action="reset_password",
            before=None,
            after={"must_change_password": True},
        )
    return Hired(user=user, one_time_password=password)


# -- teams ------------------------------------------------------------------------------------------


async def _team_name(session: AsyncSession, name: Any, team: Team | None) -> str:
    values = TEAM_FIELDS.clean({"name": name}, creating=True)
    other = await repo.team_by_name(session, values["name"])
    if other is not None and (team is None or other.id != team.id):
        raise _refuse("name", "taken", "another team has this name")
    return str(values["name"])


async def create_team(session: AsyncSession, actor: Actor, name: str) -> Team:
    require_manager(actor)
    async with unit_of_work(session):
        team = Team(name=await _team_name(session, name, None))
        session.add(team)
        await session.flush()
        audit.record(
            session,
            actor,
            entity="team",
            entity_id=team.id,
            action="create",
            before=None,
            after={"name": team.name},
        )
    return team


async def rename_team(session: AsyncSession, actor: Actor, team_id: uuid.UUID, name: str) -> Team:
    require_manager(actor)
    async with unit_of_work(session):
        team = await repo.team_by_id(session, team_id, lock=True)
        if team is None:
            raise NotFound("team", team_id)
        before = {"name": team.name}
        team.name = await _team_name(session, name, team)
        audit.record(
            session,
            actor,
            entity="team",
            entity_id=team.id,
            action="update",
            before=before,
            after={"name": team.name},
        )
    return team


async def delete_team(session: AsyncSession, actor: Actor, team_id: uuid.UUID) -> None:
    """Only an empty team goes: its members are moved elsewhere first (the refusal says how many)."""
    require_manager(actor)
    async with unit_of_work(session):
        team = await repo.team_by_id(session, team_id, lock=True)
        if team is None:
            raise NotFound("team", team_id)
        members = await repo.team_members(session, team.id)
        if members:
            raise _refuse("team", "team_not_empty", f"{members} staff members are in this team")
        audit.record(
            session,
            actor,
            entity="team",
            entity_id=team.id,
            action="delete",
            before={"name": team.name},
            after=None,
        )
        await session.delete(team)


async def set_team_manager(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID | None
) -> Team:
    """Make an active staff member the team's manager (they join the team), or clear it (None)."""
    require_manager(actor)
    async with unit_of_work(session):
        team = await repo.team_by_id(session, team_id, lock=True)
        if team is None:
            raise NotFound("team", team_id)
        before = {"manager_id": str(team.manager_id) if team.manager_id else None}
        if user_id is None:
            team.manager_id = None
        else:
            user = await accounts_repo.user_by_id(session, user_id)
            if user is None or not user.is_active:
                raise _refuse("manager_id", "unknown_colleague", "is not an active staff member")
            if user.team_id != team.id:
                await repo.clear_manager(session, user.id)
                user.team_id = team.id
            team.manager_id = user.id
        after = {"manager_id": str(team.manager_id) if team.manager_id else None}
        audit.record(
            session, actor, entity="team", entity_id=team.id, action="set_manager", before=before, after=after
        )
    return team
