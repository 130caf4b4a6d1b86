"""Roles in the admin: the list with holder counts, the permission matrix form, reset and delete."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.accounts.permissions import DATA_SCOPE_LABELS, DATA_SCOPES, ROLES_MANAGE, TEMPLATES
from app.domain import Actor, PermissionDenied, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.kit.permissions import ACTIONS
from app.roles import catalog
from app.roles import service as roles
from app.roles.service import RoleInput, RoleInUse, UnknownPermissions
from web.controllers.common import DOMAIN_ERROR_HANDLERS, error_text, is_htmx, page

# Messages for the codes only the role editor shows (the rest come from web.controllers.common).
_MESSAGES = {
    "taken": "Another role already has this name.",
    "last_role_manager": "Nobody active would be left who can manage roles: give the right to another "
    "role someone active holds first.",
    "cannot_grant": "You cannot give a role more than your own role has.",
    "unknown_template": "There is no such template.",
    "template_role": "Default roles cannot be deleted; reset them to their template instead.",
    "no_template": "This role was not made from a template.",
}


def _require(actor: Actor) -> None:
    if not actor.can(ROLES_MANAGE):
        raise PermissionDenied(ROLES_MANAGE)


def _errors(exc: ValidationFailed) -> dict[str, str]:
    """Field → translated message (one per field), naming unknown permissions and holder counts."""
    if isinstance(exc, UnknownPermissions):
        return {"permissions": _("Unknown permissions: %(names)s") % {"names": ", ".join(exc.names)}}
    if isinstance(exc, RoleInUse):
        return {
            "role": _("%(n)s staff members hold this role: give them another role first.")
            % {"n": exc.holders}
        }
    found: dict[str, str] = {}
    for error in exc.errors:
        text = _(_MESSAGES[error.code]) if error.code in _MESSAGES else error_text(error.code, error.message)
        found.setdefault(error.field.split(".")[0], text)
    return found


def _matrix() -> list[dict[str, Any]]:
    """Modules down, actions across: a cell per column, None where the module lacks the action."""
    columns = catalog.columns()
    return [
        {
            "key": m.key,
            "label": m.label,
            "cells": [
                {"name": f"{m.key}:{a}", "label": m.label_of(a)} if a in m.actions else None for a in columns
            ],
        }
        for m in catalog.load()
    ]


async def _form(request: Request[Any, Any, Any]) -> tuple[RoleInput, dict[str, str]]:
    form = await request.form()
    posted = {k: str(v) for k, v in form.items() if k != "permissions"}
    data = RoleInput(
        name=posted.get("name", ""),
        permissions=[str(p) for p in form.getall("permissions", [])],
        data_scope=posted.get("data_scope", ""),
    )
    return data, posted


def _form_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    *,
    role: Role | None,
    values: RoleInput,
    template: str = "",
    errors: dict[str, str] | None = None,
    version: int | None = None,
    status: int = 200,
    holders: int = 0,
) -> Template:
    ctx = page(
        request,
        actor,
        nav="roles",
        role=role,
        holders=holders,
        name=values.name or "",
        granted=set(values.permissions or ()),
        data_scope=values.data_scope or "",
        template=template,
        template_name=TEMPLATES[template].name if template in TEMPLATES else "",
        version=version if version is not None else (role.version if role else None),
        errors=errors or {},
        columns=[(a, ACTIONS[a]) for a in catalog.columns()],
        matrix=_matrix(),
        scopes=[(s, DATA_SCOPE_LABELS[s]) for s in DATA_SCOPES],
    )
    return Template("roles/form.html", context=ctx, status_code=status)


async def _list_page(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, **extra: Any
) -> Template:
    _require(actor)
    headers = extra.pop("headers", None)
    status = extra.pop("status", 200)
    ctx = page(
        request,
        actor,
        nav="roles",
        roles=await roles.list_roles(session, actor),
        templates=roles.templates(),
        scope_labels=DATA_SCOPE_LABELS,
        errors={},
        **extra,
    )
    return Template("roles/list.html", context=ctx, status_code=status, headers=headers)


def _toast(message: str) -> dict[str, str]:
    return {"HX-Trigger": json.dumps({"toast": message})}


class RolesController(Controller):
    path = "/roles"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="RolesPage", name="roles.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Every role with how many staff hold it."""
        return await _list_page(request, db_session, actor)

    @get("/new", operation_id="NewRoleForm", name="roles.new")
    async def new_form(
        self, request: Request[Any, Any, Any], actor: Actor, template: str | None = None
    ) -> Template:
        """An empty matrix, or one filled from a template."""
        _require(actor)
        source = TEMPLATES.get(template or "")
        values = (
            RoleInput(name="", permissions=list(source.permissions), data_scope=source.data_scope)
            if source
            else RoleInput(name="", permissions=[], data_scope=DATA_SCOPES[0])
        )
        return _form_page(request, actor, role=None, values=values, template=source.key if source else "")

    @post("/", operation_id="CreateRole", name="roles.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template | Redirect:
        """Create a custom role from the matrix."""
        _require(actor)
        data, posted = await _form(request)
        template = posted.get("template") or None
        try:
            await roles.create_role(db_session, actor, data, template=template)
        except ValidationFailed as exc:
            await db_session.rollback()
            return _form_page(
                request,
                actor,
                role=None,
                values=data,
                template=template or "",
                errors=_errors(exc),
                status=422,
            )
        return Redirect("/roles?saved=1", status_code=303)

    @get("/{role_id:uuid}", operation_id="EditRoleForm", name="roles.edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, role_id: uuid.UUID
    ) -> Template:
        """The role's matrix, its scope and name, ready to change."""
        found = await roles.get_role(db_session, actor, role_id)
        role = found.role
        values = RoleInput(name=role.name, permissions=list(role.permissions), data_scope=role.data_scope)
        return _form_page(request, actor, role=role, values=values, holders=found.holders)

    @post("/{role_id:uuid}", operation_id="UpdateRole", name="roles.update")
    async def update(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, role_id: uuid.UUID
    ) -> Template | Redirect:
        """Save the matrix; a refusal shows the form again with what was typed and why."""
        found = await roles.get_role(db_session, actor, role_id)
        data, posted = await _form(request)
        try:
            version = int(posted.get("version", ""))
        except ValueError:
            version = -1
        try:
            await roles.update_role(db_session, actor, role_id, version, data)
        except VersionConflict as exc:
            await db_session.rollback()
            found = await roles.get_role(db_session, actor, role_id)  # the rollback expired what was loaded
            who = exc.changed_by or _("someone else")
            message = _(
                "%(who)s changed this role after you opened it; reload it and apply your change again."
            )
            return _form_page(
                request,
                actor,
                role=found.role,
                values=data,
                errors={"form": message % {"who": who}},
                version=version,
                status=409,
                holders=found.holders,
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            found = await roles.get_role(db_session, actor, role_id)
            return _form_page(
                request,
                actor,
                role=found.role,
                values=data,
                errors=_errors(exc),
                version=version,
                status=422,
                holders=found.holders,
            )
        return Redirect("/roles?saved=1", status_code=303)

    @post("/{role_id:uuid}/reset", operation_id="ResetRole", name="roles.reset")
    async def reset(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, role_id: uuid.UUID
    ) -> Template | Redirect:
        """Put a role back to its template's permissions and scope."""
        found = await roles.get_role(db_session, actor, role_id)
        try:
            role = await roles.reset_role(db_session, actor, role_id, found.role.version)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _list_page(
                request, db_session, actor, problem=next(iter(_errors(exc).values())), status=422
            )
        if not is_htmx(request):
            return Redirect("/roles?saved=1", status_code=303)
        toast = _("Role %(name)s reset to its template.") % {"name": role.name}
        return await _list_page(request, db_session, actor, headers=_toast(toast))

    @post("/{role_id:uuid}/delete", operation_id="DeleteRole", name="roles.delete")
    async def delete(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, role_id: uuid.UUID
    ) -> Template | Redirect:
        """Delete a custom role nobody holds."""
        try:
            role = await roles.delete_role(db_session, actor, role_id)
        except ValidationFailed as exc:
            await db_session.rollback()
            return await _list_page(
                request, db_session, actor, problem=next(iter(_errors(exc).values())), status=422
            )
        if not is_htmx(request):
            return Redirect("/roles?deleted=1", status_code=303)
        toast = _("Role %(name)s deleted.") % {"name": role.name}
        return await _list_page(request, db_session, actor, headers=_toast(toast))
