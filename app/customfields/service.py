"""Custom fields: defining them (tenant admins) and validating their values (entity services).

Rules that hold whoever calls (admin page, GraphQL):

- a key is a slug, unique per entity among all definitions (archived ones too: their values are
  still stored under it) and never a built-in field of the entity (``EntitySpec.fields``);
- only entities declared ``customizable`` take custom fields;
- removing a field archives it: the values stay on the records, hidden, and come back on restore;
- an option that records use cannot be removed (the refusal says how many); archive it instead:
  archived options stay valid on records that have them and are not offered for new values;
- a type change that existing values cannot take is refused, saying how many values are in the way
  (counted in SQL over the entity's ``custom`` column, soft-deleted records included);
- a bad regular expression, an out-of-order min/max or a default the field itself refuses is refused.

Required fields: a record being created must have a value (or the field's default); a record being
edited must have one after the edit, so a field made required later does not touch existing
records until someone edits them, and that edit asks for the value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.audit import service as audit
from app.customfields import repository as repo
from app.customfields.models import CustomFieldDefinition
from app.customfields.types import FILTER_OPS, TYPES, CustomCondition, ValueProblem, option_values
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.events import service as events
from app.kit.memo import remembered
from app.kit.registry import EntitySpec, entity
from app.text_input import problem as text_problem

AUDIT_ENTITY = "custom_field"
# Custom fields are tenant configuration: the holders of settings:manage (owners and admins) edit them.
MANAGE = "settings:manage"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# Names every record has besides the entity's declared fields.
RESERVED_KEYS = frozenset(
    {
        "id",
        "version",
        "custom",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "deleted_at",
        "deleted_by",
        "search_grams",
        "search_text",
    }
)
MAX_OPTIONS, MAX_FIELDS, REGEX_LIMIT = 200, 100, 200
UNSET: Any = object()


@dataclass
class FieldDraft:
    """A definition as an admin supplies it; ``UNSET`` leaves a field as it is (updates)."""

    key: Any = UNSET
    label_zh: Any = UNSET
    label_en: Any = UNSET
    type: Any = UNSET
    required: Any = UNSET
    options: Any = UNSET
    validation: Any = UNSET
    default: Any = UNSET
    searchable: Any = UNSET
    filterable: Any = UNSET
    show_in_list: Any = UNSET
    position: Any = UNSET
    group: Any = UNSET

    def supplied(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


@dataclass
class _Shape:
    """The pieces of a definition the types read (a draft being checked, before it is saved)."""

    key: str
    type: str
    options: list[dict[str, Any]] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission)


def customizable_spec(entity_key: str) -> EntitySpec:
    import app.entities  # noqa: F401  (every entity registered; imported late: entities import services)

    spec = entity(entity_key)
    if spec is None or not spec.customizable:
        raise ValidationFailed(
            [FieldError("entity", "not_customizable", "this entity does not take custom fields")]
        )
    return spec


def snapshot(d: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "entity": d.entity,
        "key": d.key,
        "label_zh": d.label_zh,
        "label_en": d.label_en,
        "type": d.type,
        "required": d.required,
        "options": d.options,
        "validation": d.validation,
        "default": d.default,
        "searchable": d.searchable,
        "filterable": d.filterable,
        "show_in_list": d.show_in_list,
        "position": d.position,
        "group": d.group,
        "archived": d.archived,
        "version": d.version,
    }


# -- reads ----------------------------------------------------------------------------------------


async def list_definitions(
    session: AsyncSession, actor: Actor, entity_key: str, *, include_archived: bool = False
) -> list[CustomFieldDefinition]:
    """The entity's fields in position order; anyone who may read the entity may read its fields."""
    spec = customizable_spec(entity_key)
    if not (actor.can(f"{spec.module}:read") or actor.can(MANAGE)):
        raise PermissionDenied(f"{spec.module}:read")
    if include_archived:
        _require(actor, MANAGE)
    return list(await repo.definitions(session, entity_key, include_archived=include_archived))


async def active_definitions(session: AsyncSession, entity_key: str) -> list[CustomFieldDefinition]:
    """For entity services, which have checked their own permission already (read once per
    ``app.kit.memo.memoized`` transaction: an import checks every row against the same fields)."""

    async def load() -> list[CustomFieldDefinition]:
        return list(await repo.definitions(session, entity_key))

    return await remembered(session, ("custom_fields", entity_key), load)


async def get_definition(
    session: AsyncSession, actor: Actor, definition_id: uuid.UUID
) -> CustomFieldDefinition:
    _require(actor, MANAGE)
    found = await repo.get(session, definition_id)
    if found is None:
        raise NotFound(AUDIT_ENTITY, definition_id)
    return found


# -- checking a definition ------------------------------------------------------------------------


def _label(errors: list[FieldError], name: str, raw: Any, *, required: bool) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        errors.append(FieldError(name, "invalid", "must be text"))
        return ""
    text = raw.strip()
    if (code := text_problem(text)) is not None:
        errors.append(FieldError(name, code, "contains a character no field accepts"))
        return ""
    if required and not text:
        errors.append(FieldError(name, "required", "is required"))
    elif len(text) > 60:
        errors.append(FieldError(name, "too_long", "must be at most 60 characters"))
    return text


def _flag(errors: list[FieldError], name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in (None, "", "0", "false", "off"):
        return False
    if raw in ("1", "true", "on"):
        return True
    errors.append(FieldError(name, "invalid", "must be true or false"))
    return False


def _options(errors: list[FieldError], raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        errors.append(FieldError("options", "invalid", "must be a list of options"))
        return []
    if len(raw) > MAX_OPTIONS:
        errors.append(FieldError("options", "too_many", f"at most {MAX_OPTIONS} options"))
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.append(FieldError(f"options.{i}", "invalid", "must be an object with value and labels"))
            continue
        label_zh = _label(errors, f"options.{i}.label_zh", item.get("label_zh"), required=True)
        label_en = _label(errors, f"options.{i}.label_en", item.get("label_en"), required=False)
        value = item.get("value")
        value = str(value).strip() if value not in (None, "") else f"o{i + 1}"
        if len(value) > 40 or "," in value or "，" in value or text_problem(value):
            errors.append(FieldError(f"options.{i}.value", "invalid", "at most 40 characters, no commas"))
        elif value in seen:
            errors.append(FieldError(f"options.{i}.value", "duplicate", "option values must be unique"))
        seen.add(value)
        color = (str(item.get("color") or "")).strip() or None
        if color and not COLOR_RE.match(color):
            errors.append(
                FieldError(f"options.{i}.color", "invalid_color", "must be a colour such as #1677ff")
            )
        out.append(
            {
                "value": value,
                "label_zh": label_zh,
                "label_en": label_en,
                "color": color,
                "archived": _flag(errors, f"options.{i}.archived", item.get("archived")),
            }
        )
    return out


def _validation(errors: list[FieldError], raw: Any, shape: _Shape) -> dict[str, Any]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError("validation", "invalid", "must be an object"))
        return {}
    kind = TYPES[shape.type]
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value in (None, ""):
            continue
        if name not in kind.validation_keys:
            errors.append(
                FieldError(f"validation.{name}", "not_applicable", f"does not apply to {shape.type} fields")
            )
            continue
        if name in ("min_length", "max_length"):
            if isinstance(value, bool) or not str(value).isdigit() or int(value) > 5000:
                errors.append(
                    FieldError(f"validation.{name}", "invalid", "must be a whole number from 0 to 5000")
                )
                continue
            out[name] = int(value)
        elif name == "regex":
            if not isinstance(value, str) or len(value) > REGEX_LIMIT:
                errors.append(
                    FieldError(
                        "validation.regex", "invalid_regex", f"must be at most {REGEX_LIMIT} characters"
                    )
                )
                continue
            try:
                re.compile(value)
            except re.error as exc:
                errors.append(
                    FieldError(
                        "validation.regex", "invalid_regex", f"is not a valid regular expression: {exc}"
                    )
                )
                continue
            out[name] = value
        else:  # min / max, in the field's own type
            try:
                out[name] = kind.parse(value, shape)
            except ValueProblem as problem:
                errors.append(FieldError(f"validation.{name}", problem.code, problem.message))
    low, high = out.get("min"), out.get("max")
    if low is not None and high is not None:
        key = getattr(kind, "_key", lambda v: v)
        if key(low) > key(high):
            errors.append(FieldError("validation.max", "min_above_max", "must not be below the minimum"))
    if (
        out.get("min_length") is not None
        and out.get("max_length") is not None
        and out["min_length"] > out["max_length"]
    ):
        errors.append(
            FieldError("validation.max_length", "min_above_max", "must not be below the minimum length")
        )
    return out


def _default(errors: list[FieldError], raw: Any, shape: _Shape) -> Any:
    if raw in (None, "", []):
        return None
    kind = TYPES[shape.type]
    try:
        value = kind.parse(raw, shape)
        if value is not None:
            kind.check(value, shape)
    except ValueProblem as problem:
        errors.append(FieldError("default", problem.code, problem.message))
        return None
    archived = set(option_values(shape)) - set(option_values(shape, include_archived=False))
    if kind.has_options and set(value if isinstance(value, list) else [value]) & archived:
        errors.append(FieldError("default", "archived_option", "an archived option cannot be the default"))
    return value


def _position(errors: list[FieldError], raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not re.fullmatch(r"-?\d{1,6}", str(raw).strip()):
        errors.append(FieldError("position", "invalid", "must be a whole number"))
        return None
    return int(str(raw).strip())


def _check_draft(
    spec: EntitySpec, raw: dict[str, Any], current: CustomFieldDefinition | None
) -> tuple[dict[str, Any], list[FieldError]]:
    """The supplied definition fields, clean, merged over ``current``; every problem at once."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    if current is None:
        key = raw.get("key")
        key = key.strip() if isinstance(key, str) else ""
        if not KEY_RE.match(key):
            errors.append(
                FieldError(
                    "key",
                    "invalid_key",
                    "must be lowercase letters, digits and _, starting with a letter (at most 40)",
                )
            )
        elif key in spec.fields or key in RESERVED_KEYS:
            errors.append(FieldError("key", "builtin_field", f"“{key}” is a built-in field of this entity"))
        out["key"] = key
    elif "key" in raw and raw["key"] not in (None, current.key):
        errors.append(
            FieldError("key", "immutable", "the key of a field cannot change (values are stored under it)")
        )

    type_name = raw.get("type", current.type if current else None)
    if type_name not in TYPES:
        errors.append(FieldError("type", "invalid_choice", f"must be one of {', '.join(TYPES)}"))
        return out, errors
    out["type"] = type_name
    kind = TYPES[type_name]

    if "label_zh" in raw or current is None:
        out["label_zh"] = _label(errors, "label_zh", raw.get("label_zh"), required=True)
    if "label_en" in raw or current is None:
        out["label_en"] = _label(errors, "label_en", raw.get("label_en"), required=False)
    for flag in ("required", "searchable", "filterable", "show_in_list"):
        if flag in raw or current is None:
            out[flag] = _flag(errors, flag, raw.get(flag))
    if out.get("searchable") and not kind.searchable:
        errors.append(
            FieldError("searchable", "not_applicable", f"{type_name} fields cannot join the text search")
        )
    if "group" in raw or current is None:
        out["group"] = _label(errors, "group", raw.get("group"), required=False) or None
    if "position" in raw:
        out["position"] = _position(errors, raw["position"])

    if kind.has_options:
        options = (
            _options(errors, raw["options"]) if "options" in raw else list(current.options if current else [])
        )
        if not options and not any(e.field.startswith("options") for e in errors):
            errors.append(FieldError("options", "required", "a choice field needs at least one option"))
        out["options"] = options
    elif raw.get("options") not in (None, UNSET, [], ""):
        errors.append(FieldError("options", "not_applicable", f"{type_name} fields have no options"))
    else:
        out["options"] = []
    shape = _Shape(
        key=out.get("key") or (current.key if current else ""), type=type_name, options=out["options"]
    )
    type_changed = current is not None and type_name != current.type
    if "validation" in raw or current is None:
        out["validation"] = _validation(errors, raw.get("validation"), shape)
    else:
        # A type change drops the rules the new type does not take.
        out["validation"] = {k: v for k, v in (current.validation or {}).items() if k in kind.validation_keys}
        if type_changed:
            out["validation"] = _validation(errors, out["validation"], shape)
    shape.validation = out["validation"]
    if "default" in raw or current is None:
        out["default"] = _default(errors, raw.get("default"), shape)
    elif type_changed or "options" in raw or "validation" in raw:
        out["default"] = _default(errors, current.default if current else None, shape) if current else None
    return out, errors


async def _in_the_way(
    session: AsyncSession, spec: EntitySpec, current: CustomFieldDefinition, clean: dict[str, Any]
) -> list[FieldError]:
    """What existing values forbid: options in use that would be removed, values the new type cannot read."""
    model: Any = spec.model
    errors: list[FieldError] = []
    kind = TYPES[clean["type"]]
    if TYPES[current.type].has_options and "options" in clean:
        removed = [v for v in option_values(current) if v not in {o["value"] for o in clean["options"]}]
        if removed and kind.has_options:
            used = await repo.count_option_use(
                session, model, current.key, removed, multi=current.type == "multi_select"
            )
            if used:
                errors.append(
                    FieldError(
                        "options",
                        "option_in_use",
                        f"{used} records use the option(s) {', '.join(removed)}; archive them instead",
                    )
                )
    if clean["type"] != current.type:
        shape = _Shape(key=current.key, type=clean["type"], options=clean.get("options") or [])
        blocked = await repo.count_values(
            session, model, current.key, unless=kind.accepts_sql(model.custom, shape)
        )  # type: ignore[union-attr]
        if blocked:
            errors.append(
                FieldError(
                    "type",
                    "incompatible_values",
                    f"{blocked} existing values cannot be read as {clean['type']}; change or clear them",
                )
            )
    return errors


# -- writes ---------------------------------------------------------------------------------------


async def define_field(
    session: AsyncSession, actor: Actor, entity_key: str, draft: FieldDraft
) -> CustomFieldDefinition:
    _require(actor, MANAGE)
    spec = customizable_spec(entity_key)
    clean, errors = _check_draft(spec, draft.supplied(), None)
    if not errors and await repo.by_key(session, entity_key, clean["key"]) is not None:
        errors.append(
            FieldError("key", "duplicate_key", "another field (perhaps archived) already uses this key")
        )
    if not errors and len(await repo.definitions(session, entity_key, include_archived=True)) >= MAX_FIELDS:
        errors.append(FieldError("key", "too_many", f"at most {MAX_FIELDS} custom fields per entity"))
    if errors:
        raise ValidationFailed(errors)
    if clean.get("position") is None:
        clean["position"] = await repo.next_position(session, entity_key)
    definition = CustomFieldDefinition(
        entity=entity_key, version=1, created_by=actor.user_id, updated_by=actor.user_id, **clean
    )
    session.add(definition)
    await session.flush()
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=definition.id,
        action="create",
        before=None,
        after=snapshot(definition),
    )
    events.emit(
        session,
        "custom_field.defined",
        {"id": str(definition.id), "entity": entity_key, "key": definition.key},
    )
    await session.commit()
    return definition


async def _for_change(
    session: AsyncSession, actor: Actor, definition_id: uuid.UUID, version: int | None
) -> CustomFieldDefinition:
    _require(actor, MANAGE)
    definition = await repo.get(session, definition_id, for_update=True)
    if definition is None:
        raise NotFound(AUDIT_ENTITY, definition_id)
    if version is not None and definition.version != version:
        raise VersionConflict(definition.id, definition.version, None, definition.updated_at)
    return definition


def _touch(definition: CustomFieldDefinition, actor: Actor) -> None:
    definition.version += 1
    definition.updated_at = datetime.now(UTC)
    definition.updated_by = actor.user_id


async def update_field(
    session: AsyncSession,
    actor: Actor,
    definition_id: uuid.UUID,
    draft: FieldDraft,
    *,
    version: int | None = None,
) -> CustomFieldDefinition:
    definition = await _for_change(session, actor, definition_id, version)
    spec = customizable_spec(definition.entity)
    clean, errors = _check_draft(spec, draft.supplied(), definition)
    if not errors:
        errors = await _in_the_way(session, spec, definition, clean)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(definition)
    for name, value in clean.items():
        if name == "position" and value is None:
            continue
        setattr(definition, name, value)
    _touch(definition, actor)
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=definition.id,
        action="update",
        before=before,
        after=snapshot(definition),
    )
    events.emit(session, "custom_field.updated", {"id": str(definition.id), "version": definition.version})
    await session.commit()
    return definition


async def archive_field(
    session: AsyncSession, actor: Actor, definition_id: uuid.UUID
) -> CustomFieldDefinition:
    """Remove a field from forms, lists and the API; its values stay on the records (restorable)."""
    return await _set_archived(session, actor, definition_id, archived=True)


async def restore_field(
    session: AsyncSession, actor: Actor, definition_id: uuid.UUID
) -> CustomFieldDefinition:
    return await _set_archived(session, actor, definition_id, archived=False)


async def _set_archived(
    session: AsyncSession, actor: Actor, definition_id: uuid.UUID, *, archived: bool
) -> CustomFieldDefinition:
    definition = await _for_change(session, actor, definition_id, None)
    if definition.archived == archived:
        return definition
    definition.archived_at = datetime.now(UTC) if archived else None
    _touch(definition, actor)
    action = "archive" if archived else "restore"
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=definition.id,
        action=action,
        before={"archived": not archived},
        after={"archived": archived},
    )
    events.emit(session, f"custom_field.{action}d", {"id": str(definition.id)})
    await session.commit()
    return definition


async def reorder(
    session: AsyncSession, actor: Actor, entity_key: str, keys: Sequence[str]
) -> list[CustomFieldDefinition]:
    """Positions follow ``keys``; fields not named keep their order after the named ones."""
    _require(actor, MANAGE)
    customizable_spec(entity_key)
    found = list(await repo.definitions(session, entity_key, include_archived=True))
    by_key = {d.key: d for d in found}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValidationFailed(
            [FieldError("keys", "unknown_field", f"no such field: {', '.join(unknown[:5])}")]
        )
    ordered = [by_key[k] for k in dict.fromkeys(keys)] + [d for d in found if d.key not in keys]
    before = {d.key: d.position for d in found}
    for index, definition in enumerate(ordered):
        if definition.position != (index + 1) * 10:
            definition.position = (index + 1) * 10
            _touch(definition, actor)
    audit.record(
        session,
        actor,
        entity=AUDIT_ENTITY,
        entity_id=entity_key,
        action="update",
        before={"order": list(before)},
        after={"order": [d.key for d in ordered]},
    )
    await session.commit()
    return [d for d in ordered if not d.archived]


# -- values, for the entity services -------------------------------------------------------------


def validate_values(
    definitions: Iterable[CustomFieldDefinition],
    supplied: Mapping[str, Any] | None,
    existing: Mapping[str, Any] | None,
    creating: bool,
    *,
    active_staff: set[str] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """The record's new ``custom`` dict and the problems, each under ``custom.<key>``.

    ``supplied`` holds only what the caller sends (key → raw value; None or "" clears); fields not
    sent keep their value. Values of archived fields are kept untouched and cannot be set.
    ``active_staff`` (ids as text) checks staff fields when given.
    """
    active = {d.key: d for d in definitions if not d.archived}
    existing = dict(existing or {})
    out = dict(existing)
    errors: list[FieldError] = []
    if supplied is not None and not isinstance(supplied, Mapping):
        return out, [FieldError("custom", "invalid", "must be an object of field key → value")]
    supplied = dict(supplied or {})
    for key in supplied:
        if key not in active:
            errors.append(
                FieldError(
                    f"custom.{key}" if KEY_RE.match(str(key)) else "custom",
                    "unknown_field",
                    "is not a field of this record",
                )
            )
    for key, definition in active.items():
        kind = TYPES[definition.type]
        if key in supplied:
            try:
                value = kind.parse(supplied[key], definition)
                if value is not None:
                    kind.check(value, definition)
                    _check_archived_options(definition, value, existing.get(key))
                    if (
                        definition.type == "staff"
                        and active_staff is not None
                        and value not in active_staff
                        and value != existing.get(key)
                    ):
                        raise ValueProblem("unknown_staff", "is not an active staff member")
            except ValueProblem as problem:
                errors.append(FieldError(f"custom.{key}", problem.code, problem.message))
                continue
        elif creating and definition.default is not None:
            value = definition.default
        else:
            value = existing.get(key)
        if value is None or value == []:
            out.pop(key, None)
            if definition.required:
                errors.append(FieldError(f"custom.{key}", "required", "is required"))
        else:
            out[key] = value
    return out, errors


def _check_archived_options(definition: CustomFieldDefinition, value: Any, had: Any) -> None:
    if not TYPES[definition.type].has_options:
        return
    archived = set(option_values(definition)) - set(option_values(definition, include_archived=False))
    chosen = set(value if isinstance(value, list) else [value])
    kept = set(had if isinstance(had, list) else [had] if had is not None else [])
    if (chosen & archived) - kept:
        raise ValueProblem("archived_option", "this option is no longer offered")


async def clean_values(
    session: AsyncSession,
    entity_key: str,
    supplied: Mapping[str, Any] | None,
    existing: Mapping[str, Any] | None,
    *,
    creating: bool,
) -> tuple[dict[str, Any], list[FieldError], list[CustomFieldDefinition]]:
    """``validate_values`` with the entity's definitions and, for staff fields, the active staff."""
    definitions = await active_definitions(session, entity_key)
    staff: set[str] | None = None
    if any(d.type == "staff" for d in definitions) and supplied:
        ids = []
        for d in definitions:
            if d.type == "staff" and supplied.get(d.key):
                try:
                    ids.append(uuid.UUID(str(supplied[d.key])))
                except ValueError:
                    pass
        staff = (
            {str(u.id) for u in await accounts_repo.users_by_ids(session, ids) if u.is_active}
            if ids
            else set()
        )
    values, errors = validate_values(definitions, supplied, existing, creating, active_staff=staff)
    return values, errors, definitions


def search_texts(definitions: Iterable[CustomFieldDefinition], values: Mapping[str, Any]) -> list[str]:
    """Text of the searchable fields' values, for the entity's search document."""
    found = []
    for d in definitions:
        if d.searchable and not d.archived and values.get(d.key) is not None:
            text = TYPES[d.type].search_text(values[d.key], d)
            if text:
                found.append(text)
    return found


def resolve_filters(
    definitions: Iterable[CustomFieldDefinition], raw: Iterable[Any]
) -> tuple[tuple[CustomCondition, ...], list[FieldError]]:
    """``(key, op, value)`` filters, checked against the filterable fields, as SQL-ready conditions."""
    filterable = {d.key: d for d in definitions if d.filterable and not d.archived}
    out: list[CustomCondition] = []
    errors: list[FieldError] = []
    for i, item in enumerate(raw):
        if isinstance(item, CustomCondition):
            out.append(item)
            continue
        try:
            key, op, value = item
        except (TypeError, ValueError):
            errors.append(FieldError(f"filter.custom.{i}", "invalid", "must be key, op and value"))
            continue
        definition = filterable.get(key)
        if definition is None:
            errors.append(FieldError(f"filter.custom.{i}.key", "unknown_field", "is not a filterable field"))
            continue
        kind = TYPES[definition.type]
        if op not in kind.filter_ops or op not in FILTER_OPS:
            errors.append(
                FieldError(
                    f"filter.custom.{i}.op", "invalid_choice", f"must be one of {', '.join(kind.filter_ops)}"
                )
            )
            continue
        try:
            parsed = kind.parse_filter(op, value, definition)
        except ValueProblem as problem:
            errors.append(FieldError(f"filter.custom.{i}.value", problem.code, problem.message))
            continue
        if parsed is None or parsed == []:
            continue  # an empty filter value filters nothing
        out.append(CustomCondition(key=key, op=op, value=parsed, type=definition.type))
    return tuple(out), errors


def export_cells(definitions: Iterable[CustomFieldDefinition], values: Mapping[str, Any]) -> list[Any]:
    """One export cell per field, in the definitions' order (empty where the record has no value)."""
    return [
        TYPES[d.type].export_cell(values[d.key], d) if values.get(d.key) is not None else None
        for d in definitions
    ]


# -- each person's list columns --------------------------------------------------------------------


async def list_columns(
    session: AsyncSession, actor: Actor, entity_key: str, definitions: Sequence[CustomFieldDefinition]
) -> list[CustomFieldDefinition]:
    """The custom fields the actor's list shows: their own choice, else the fields shown in lists."""
    chosen = await repo.column_choice(session, entity_key, actor.user_id)
    if chosen is None:
        return [d for d in definitions if d.show_in_list]
    by_key = {d.key: d for d in definitions}
    return [by_key[k] for k in chosen if k in by_key]


async def choose_columns(
    session: AsyncSession, actor: Actor, entity_key: str, keys: Sequence[str] | None
) -> None:
    """Save which custom fields the actor's list shows, in the fields' order (None: the defaults)."""
    spec = customizable_spec(entity_key)
    _require(actor, f"{spec.module}:read")
    if keys is not None:
        active = [d.key for d in await repo.definitions(session, entity_key)]
        unknown = [k for k in keys if k not in active]
        if unknown:
            raise ValidationFailed(
                [FieldError("columns", "unknown_field", f"no such field: {', '.join(unknown[:5])}")]
            )
        keys = [k for k in active if k in keys]
    await repo.save_column_choice(session, entity_key, actor.user_id, keys)
    await session.commit()
