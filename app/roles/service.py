"""Role operations: each checks permission, validates, writes, audits, emits an event and commits.

Rules kept here, whoever calls (admin pages, GraphQL):
- permissions are strings of the catalog (``app.roles.catalog``); an unknown one is refused, named;
- the data scope is one of own / team / all;
- no edit may leave the tenant without an active staff member who can manage roles;
- nobody grants a permission they do not hold, or a wider data scope than their own;
- a role held by staff cannot be deleted (the refusal says by how many), nor can a template role;
- the seeded defaults stay templates: a role made from one can be reset to it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import text_input
from app.accounts import repository as accounts_repo
from app.accounts.models import Role
from app.accounts.permissions import DATA_SCOPES, ROLES_MANAGE, STAFF_MANAGE, TEMPLATES, DefaultRole
from app.audit import service as audit
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.events import service as events
from app.roles import catalog
from app.roles import repository as repo

ENTITY = "role"
NAME_MAX = 60
# How far each data scope reaches, for "no wider than your own".
_REACH = {scope: i for i, scope in enumerate(DATA_SCOPES)}


class UnknownPermissions(ValidationFailed):
    """Permission strings that are not in the catalog (``names``, in the order given)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            [FieldError("permissions", "unknown_permission", f"unknown permissions: {', '.join(names)}")]
        )


class LastRoleManager(ValidationFailed):
    """The change would leave no active staff member holding roles:manage."""

    def __init__(self) -> None:
        super().__init__(
            [
                FieldError(
                    "permissions",
                    "last_role_manager",
                    f"no active staff member would be left with {ROLES_MANAGE}; "
                    "give it to another role someone active holds first",
                )
            ]
        )


class RoleInUse(ValidationFailed):
    """A role staff still hold cannot be deleted; ``holders`` says how many hold it."""

    def __init__(self, holders: int) -> None:
        self.holders = holders
        super().__init__(
            [FieldError("role", "role_in_use", f"{holders} staff members hold this role; move them first")]
        )


@dataclass(frozen=True)
class RoleInput:
    """What an admin sends; ``None`` leaves a field as it is (or, creating, takes it from the template)."""

    name: str | None = None
    permissions: list[str] | None = None
    data_scope: str | None = None


@dataclass(frozen=True)
class RoleSummary:
    role: Role
    holders: int


def _require(actor: Actor, permission: str = ROLES_MANAGE) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


def snapshot(role: Role) -> dict[str, Any]:
    """The audited view of a role."""
    return {
        "key": role.key,
        "name": role.name,
        "template": role.template,
        "permissions": list(role.permissions),
        "data_scope": role.data_scope,
        "version": role.version,
    }


def templates() -> tuple[DefaultRole, ...]:
    """The seeded defaults a new role may copy and a template role may be reset to."""
    return tuple(TEMPLATES.values())


# -- reads ----------------------------------------------------------------------------------------


async def list_roles(session: AsyncSession, actor: Actor) -> list[RoleSummary]:
    """Every role with how many staff hold it (for the role editor and for whoever assigns roles)."""
    if not (actor.can(ROLES_MANAGE) or actor.can(STAFF_MANAGE)):
        raise PermissionDenied(ROLES_MANAGE)
    counts = await repo.holder_counts(session)
    # The templates first, in their own order (owner, admin, manager...), then custom roles as made.
    order = {key: i for i, key in enumerate(TEMPLATES)}
    found = sorted(await repo.all_roles(session), key=lambda r: order.get(r.key, len(order)))
    return [RoleSummary(r, counts.get(r.id, 0)) for r in found]


async def get_role(session: AsyncSession, actor: Actor, role_id: uuid.UUID) -> RoleSummary:
    _require(actor)
    role = await repo.role_by_id(session, role_id)
    if role is None:
        raise NotFound(ENTITY, role_id)
    return RoleSummary(role, (await repo.holder_counts(session)).get(role.id, 0))


# -- validation -----------------------------------------------------------------------------------


async def _clean(
    session: AsyncSession, actor: Actor, data: RoleInput, role: Role | None, template: DefaultRole | None
) -> dict[str, Any]:
    """The validated values to write; every problem is reported at once."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if data.name is not None or role is None:
        name = (data.name or "").strip()
        found = text_input.problem(name)
        if not name:
            errors.append(FieldError("name", "required", "is required"))
        elif found:
            errors.append(FieldError("name", found, "contains characters that cannot be stored"))
        elif len(name) > NAME_MAX:
            errors.append(FieldError("name", "too_long", f"must be at most {NAME_MAX} characters"))
        else:
            other = await repo.role_by_name(session, name)
            if other is not None and (role is None or other.id != role.id):
                errors.append(FieldError("name", "taken", "another role has this name"))
            values["name"] = name
    scope = data.data_scope
    if scope is None and role is None:
        scope = template.data_scope if template else DATA_SCOPES[0]  # the narrowest: own
    if scope is not None or role is None:
        if scope not in DATA_SCOPES:
            errors.append(
                FieldError("data_scope", "invalid_choice", f"must be one of {', '.join(DATA_SCOPES)}")
            )
        elif _REACH[scope] > _REACH.get(actor.data_scope, -1) and (role is None or scope != role.data_scope):
            errors.append(FieldError("data_scope", "cannot_grant", "must not reach further than your own"))
        else:
            values["data_scope"] = scope
    permissions = data.permissions
    if permissions is None and role is None:
        permissions = list(template.permissions) if template else []
    if permissions is not None:
        strange = catalog.unknown(permissions)
        if strange:
            raise UnknownPermissions(strange)  # named alone: the other problems can wait for a real list
        wanted = catalog.ordered(permissions)
        added = set(wanted) - set(role.permissions if role is not None else ())
        beyond = [p for p in wanted if p in added and not actor.can(p)]
        if beyond:
            errors.append(
                FieldError(
                    "permissions",
                    "cannot_grant",
                    f"you cannot grant what you do not hold: {', '.join(beyond)}",
                )
            )
        values["permissions"] = wanted
    if errors:
        raise ValidationFailed(errors)
    return values


async def _ensure_a_role_manager_remains(session: AsyncSession, roles: list[Role]) -> None:
    """Refuse when, with the pending changes, no active staff member holds roles:manage."""
    managing = [r.id for r in roles if ROLES_MANAGE in r.permissions]
    if await repo.active_holders(session, managing) == 0:
        raise LastRoleManager()


async def ensure_a_role_manager_outlasts(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Refuse (``LastRoleManager``) when taking ``user_id`` away (deactivating them, say) would leave no
    active staff member who can manage roles. Called by the staff services before such a change."""
    roles = list(await repo.all_roles(session, lock=True))
    managing = [r.id for r in roles if ROLES_MANAGE in r.permissions]
    if await repo.active_holders(session, managing, excluding=user_id) == 0:
        raise LastRoleManager()


def _template(key: str | None) -> DefaultRole | None:
    if key is None or key == "":
        return None
    found = TEMPLATES.get(key)
    if found is None:
        raise ValidationFailed([FieldError("template", "unknown_template", f"no template {key!r}")])
    return found


async def _conflict(session: AsyncSession, role: Role) -> VersionConflict:
    changer = await accounts_repo.user_by_id(session, role.updated_by) if role.updated_by else None
    return VersionConflict(role.id, role.version, changer.name if changer else None, role.updated_at)


# -- writes ---------------------------------------------------------------------------------------


async def create_role(
    session: AsyncSession, actor: Actor, data: RoleInput, *, template: str | None = None
) -> Role:
    """A custom role; given a template, it starts from the template's permissions and scope (unless
    ``data`` says otherwise) and later releases' permissions reach it as they reach the template."""
    _require(actor)
    source = _template(template)
    values = await _clean(session, actor, data, None, source)
    now = datetime.now(UTC)
    role = Role(
        key=f"custom-{secrets.token_hex(6)}",
        template=source.key if source else None,
        version=1,
        updated_at=now,
        updated_by=actor.user_id,
        **values,
    )
    session.add(role)
    await session.flush()
    audit.record(
        session, actor, entity=ENTITY, entity_id=role.id, action="create", before=None, after=snapshot(role)
    )
    events.emit(session, "role.created", {"id": str(role.id)})
    await session.commit()
    return role


async def _locked(session: AsyncSession, role_id: uuid.UUID) -> tuple[Role, list[Role]]:
    roles = list(await repo.all_roles(session, lock=True))
    role = next((r for r in roles if r.id == role_id), None)
    if role is None:
        raise NotFound(ENTITY, role_id)
    return role, roles


async def _write(
    session: AsyncSession, actor: Actor, role: Role, roles: list[Role], values: dict[str, Any], action: str
) -> Role:
    before = snapshot(role)
    changed = {k: v for k, v in values.items() if getattr(role, k) != v}
    if not changed:
        return role  # saving what is already there changes nothing and records nothing
    for name, value in changed.items():
        setattr(role, name, value)
    if "permissions" in changed:
        await _ensure_a_role_manager_remains(session, roles)
    role.version += 1
    role.updated_at = datetime.now(UTC)
    role.updated_by = actor.user_id
    audit.record(
        session, actor, entity=ENTITY, entity_id=role.id, action=action, before=before, after=snapshot(role)
    )
    events.emit(session, f"role.{action}", {"id": str(role.id), "version": role.version})
    await session.commit()
    return role


async def update_role(
    session: AsyncSession, actor: Actor, role_id: uuid.UUID, version: int, data: RoleInput
) -> Role:
    """Change a role's name, permissions or data scope, given the version the editor read."""
    _require(actor)
    role, roles = await _locked(session, role_id)
    if role.version != version:
        raise await _conflict(session, role)
    values = await _clean(session, actor, data, role, None)
    return await _write(session, actor, role, roles, values, "update")


async def reset_role(session: AsyncSession, actor: Actor, role_id: uuid.UUID, version: int) -> Role:
    """Put a role made from a template back to the template's permissions and scope (its name stays)."""
    _require(actor)
    role, roles = await _locked(session, role_id)
    if role.version != version:
        raise await _conflict(session, role)
    source = TEMPLATES.get(role.template or "")
    if source is None:
        raise ValidationFailed(
            [FieldError("template", "no_template", "this role was not made from a template")]
        )
    values = await _clean(
        session,
        actor,
        RoleInput(permissions=list(source.permissions), data_scope=source.data_scope),
        role,
        None,
    )
    return await _write(session, actor, role, roles, values, "reset")


async def delete_role(session: AsyncSession, actor: Actor, role_id: uuid.UUID) -> Role:
    """Delete a custom role nobody holds. Template roles stay (reset them instead)."""
    _require(actor)
    role, _roles = await _locked(session, role_id)
    if role.key in TEMPLATES:
        raise ValidationFailed([FieldError("role", "template_role", "a default role cannot be deleted")])
    holders = (await repo.holder_counts(session)).get(role.id, 0)
    if holders:
        raise RoleInUse(holders)
    audit.record(
        session, actor, entity=ENTITY, entity_id=role.id, action="delete", before=snapshot(role), after=None
    )
    events.emit(session, "role.deleted", {"id": str(role.id)})
    await session.delete(role)
    await session.commit()
    return role
