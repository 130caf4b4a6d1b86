"""Saved views of a kit list: a named filter + sort + columns, private or shared with a team or a role.

A view stores the list's own query-string parameters (its filter spec's names: ``q``, ``status``,
``cf.level``...), so opening it is opening the list with them. Whatever is saved is checked
against the entity's list as it is declared: its filter spec (``declare_list``), its sortable
fields (the entity service's ``sort_fields``) and its columns (the list's built-in ones, the
entity's fields, ``cf.<key>`` of an active custom field).

Everyone sees their own views, views shared with their team and views shared with their role.
Anyone with read access keeps private views; sharing, and editing a shared view, takes the
entity's manage permission (``customers:manage``). Someone else's private view reads as absent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.audit import service as audit
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.kit.filters import FilterSpec
from app.kit.registry import EntitySpec
from app.kit.registry import entity as entity_spec
from app.kit.service import service_for
from app.saved_views.models import SavedView

ENTITY = "saved_view"
PRIVATE, TEAM, ROLE = "private", "team", "role"
VISIBILITIES = (PRIVATE, TEAM, ROLE)
NAME_MAX = 40
MAX_COLUMNS = 40
MAX_VIEWS = 50  # per person and list


@dataclass
class ListDeclaration:
    filters: FilterSpec | None = None
    columns: set[str] = field(default_factory=set)


_lists: dict[str, ListDeclaration] = {}


def declare_list(entity: str, *, filters: FilterSpec | None = None, columns: Sequence[str] = ()) -> None:
    """What a view of ``entity``'s list may hold: its filter spec and its built-in column names
    (the web kit's ``ListSpec`` declares its own on creation)."""
    found = _lists.setdefault(entity, ListDeclaration())
    if filters is not None:
        found.filters = filters
    found.columns.update(columns)


@dataclass(frozen=True)
class ViewInput:
    """A view as given (create: every field; update: what changes, ``None`` left alone)."""

    name: str | None = None
    filters: Mapping[str, Any] | None = None
    sort: str | None = None
    descending: bool | None = None
    columns: Sequence[str] | None = None
    visibility: str | None = None
    role_key: str | None = None


def _spec(entity: str) -> EntitySpec:
    spec = entity_spec(entity)
    if spec is None or entity not in _lists:
        raise ValidationFailed([FieldError("entity", "unknown_entity", "has no list with saved views")])
    return spec


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


def sees(actor: Actor, view: SavedView) -> bool:
    return (
        view.owner_id == actor.user_id
        or (view.visibility == TEAM and view.team_id is not None and view.team_id == actor.team_id)
        or (view.visibility == ROLE and view.role_key == actor.role_key)
    )


def may_edit(actor: Actor, view: SavedView, spec: EntitySpec) -> bool:
    """Your own private view; a shared one with the entity's manage permission."""
    if view.visibility == PRIVATE:
        return view.owner_id == actor.user_id
    return actor.can(f"{spec.module}:manage") and sees(actor, view)


async def list_views(session: AsyncSession, actor: Actor, entity: str) -> list[SavedView]:
    """The views the actor sees on ``entity``'s list: their own, then their team's and role's."""
    spec = _spec(entity)
    _require(actor, f"{spec.module}:read")
    shared = [SavedView.visibility == ROLE, SavedView.role_key == actor.role_key]
    conditions = [SavedView.owner_id == actor.user_id, (shared[0]) & (shared[1])]
    if actor.team_id is not None:
        conditions.append((SavedView.visibility == TEAM) & (SavedView.team_id == actor.team_id))
    query = (
        select(SavedView)
        .where(SavedView.entity == entity, or_(*conditions))
        .order_by((SavedView.owner_id != actor.user_id), SavedView.created_at, SavedView.id)
    )
    return list((await session.scalars(query)).all())


async def get_view(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> SavedView:
    view = await session.get(SavedView, view_id)
    if view is None or not sees(actor, view):
        raise NotFound(ENTITY, view_id)
    spec = _spec(view.entity)
    _require(actor, f"{spec.module}:read")
    return view


async def _check(
    session: AsyncSession, actor: Actor, spec: EntitySpec, data: ViewInput, creating: bool
) -> dict[str, Any]:
    """The values to store, or every problem at once."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    declared = _lists[spec.key]
    if data.name is not None or creating:
        name = (data.name or "").strip()
        if not name:
            errors.append(FieldError("name", "required", "is required"))
        elif len(name) > NAME_MAX:
            errors.append(FieldError("name", "too_long", f"at most {NAME_MAX} characters"))
        values["name"] = name
    definitions = await custom_fields.active_definitions(session, spec.key) if spec.customizable else []
    if data.filters is not None:
        given = {str(k): str(v) for k, v in data.filters.items() if v not in (None, "")}
        if declared.filters is None:
            if given:
                errors.append(FieldError("filters", "unknown_filter", "this list has no filters"))
        else:
            known = {p for f in declared.filters for p, _n in f.params()}
            for key in given:
                if key not in known and not key.startswith("cf."):
                    errors.append(
                        FieldError(f"filters.{key}", "unknown_filter", "is not a filter of this list")
                    )
            parsed = declared.filters.from_params(given, definitions)
            errors.extend(
                FieldError(f"filters.{e.field.removeprefix('filter.')}", e.code, e.message)
                for e in parsed.errors
            )
            if parsed.values.get("custom"):
                _ok, problems = declared.filters.check_custom(parsed, definitions)
                errors.extend(FieldError("filters.custom", p.code, p.message) for p in problems)
        values["filters"] = given
    if data.sort is not None:
        try:
            sorts: tuple[str, ...] = tuple(service_for(spec.key).sort_fields)
        except KeyError:  # a list whose entity has no kit service sorts by nothing saved
            sorts = ()
        if data.sort and data.sort not in sorts:
            errors.append(FieldError("sort", "invalid_choice", f"must be one of {', '.join(sorts)}"))
        values["sort"] = data.sort or None
    if data.descending is not None:
        values["descending"] = data.descending
    if data.columns is not None:
        allowed = declared.columns | set(spec.fields) | {f"cf.{d.key}" for d in definitions}
        columns = list(dict.fromkeys(str(c) for c in data.columns))
        if len(columns) > MAX_COLUMNS:
            errors.append(FieldError("columns", "too_many", f"at most {MAX_COLUMNS} columns"))
        for i, column in enumerate(columns):
            if column not in allowed:
                errors.append(
                    FieldError(
                        f"columns.{i}", "unknown_column", f"{column[:40]} is not a column of this list"
                    )
                )
        values["columns"] = columns
    if data.visibility is not None or creating:
        visibility = data.visibility or PRIVATE
        if visibility not in VISIBILITIES:
            errors.append(FieldError("visibility", "invalid_choice", "must be private, team or role"))
        elif visibility != PRIVATE and not actor.can(f"{spec.module}:manage"):
            raise PermissionDenied(f"{spec.module}:manage")
        values["visibility"] = visibility
        values["team_id"] = actor.team_id if visibility == TEAM else None
        values["role_key"] = None
        if visibility == TEAM and actor.team_id is None:
            errors.append(FieldError("visibility", "no_team", "you belong to no team to share it with"))
        if visibility == ROLE:
            role_key = data.role_key or actor.role_key
            if await session.scalar(select(Role.id).where(Role.key == role_key)) is None:
                errors.append(FieldError("role_key", "unknown_role", "is not a role of this company"))
            values["role_key"] = role_key
    if errors:
        raise ValidationFailed(errors)
    return values


async def _name_taken(session: AsyncSession, view: SavedView, name: str) -> bool:
    same = await session.scalar(
        select(SavedView.id).where(
            SavedView.entity == view.entity,
            SavedView.owner_id == view.owner_id,
            SavedView.name == name,
            SavedView.id != view.id,
        )
    )
    return same is not None


def _snapshot(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "visibility": view.visibility,
        "role_key": view.role_key,
        "filters": view.filters,
        "sort": view.sort,
        "descending": view.descending,
        "columns": view.columns,
        "version": view.version,
    }


async def create_view(session: AsyncSession, actor: Actor, entity: str, data: ViewInput) -> SavedView:
    spec = _spec(entity)
    _require(actor, f"{spec.module}:read")
    try:
        values = await _check(session, actor, spec, data, creating=True)
        view = SavedView(entity=entity, owner_id=actor.user_id, version=1, **values)
        view.id = uuid.uuid4()
        if await _name_taken(session, view, values["name"]):
            raise ValidationFailed(
                [FieldError("name", "duplicate_name", "you already have a view by this name")]
            )
        mine = await session.scalar(
            select(SavedView.id)
            .where(SavedView.entity == entity, SavedView.owner_id == actor.user_id)
            .offset(MAX_VIEWS - 1)
            .limit(1)
        )
        if mine is not None:
            raise ValidationFailed([FieldError("name", "too_many", f"at most {MAX_VIEWS} views per list")])
        session.add(view)
        await session.flush()
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=view.id,
            action="create",
            before=None,
            after=_snapshot(view),
        )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return view


async def update_view(
    session: AsyncSession, actor: Actor, view_id: uuid.UUID, version: int, data: ViewInput
) -> SavedView:
    try:
        view = await get_view(session, actor, view_id)
        spec = _spec(view.entity)
        if not may_edit(actor, view, spec):
            raise PermissionDenied(f"{spec.module}:manage")
        values = await _check(session, actor, spec, data, creating=False)
        if view.version != version:
            raise VersionConflict(view.id, view.version, None, view.updated_at)
        if "name" in values and await _name_taken(session, view, values["name"]):
            raise ValidationFailed(
                [FieldError("name", "duplicate_name", "you already have a view by this name")]
            )
        before = _snapshot(view)
        for key, value in values.items():
            setattr(view, key, value)
        view.version += 1
        view.updated_at = datetime.now(UTC)
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=view.id,
            action="update",
            before=before,
            after=_snapshot(view),
        )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return view


async def delete_view(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> SavedView:
    try:
        view = await get_view(session, actor, view_id)
        spec = _spec(view.entity)
        if not may_edit(actor, view, spec):
            raise PermissionDenied(f"{spec.module}:manage")
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=view.id,
            action="delete",
            before=_snapshot(view),
            after=None,
        )
        await session.delete(view)
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return view
