"""Custom fields in the admin: the settings page per customizable entity, and the pieces entity pages use.

The settings page lists an entity's fields (archived ones too, restorable), defines and edits them
in a drawer (the type decides which inputs show: options editor, validation, default), archives,
restores and moves them. Entity pages (customers) use ``form_supplied``/``form_state``/``value_errors``
to read and re-show ``custom.<key>`` inputs, ``parse_list_filters`` for ``cf.<key>`` list filters, and
``VIEW`` in templates (``web/templates/kit/custom_fields.html``) to show values.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.customfields import service as custom_fields
from app.customfields.models import CustomFieldDefinition
from app.customfields.service import FieldDraft
from app.customfields.types import TYPES, option_label, option_values
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.registry import customizable
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, htmx_target, is_htmx, page


def N_(message: str) -> str:
    return message


# Codes only custom-field values and definitions give (the shared ones are in common.ERROR_MESSAGES).
ERROR_MESSAGES = {
    "invalid_integer": N_("Please enter a whole number."),
    "invalid_number": N_("Please enter a number."),
    "invalid_money": N_("Please enter an amount with at most 2 decimal places."),
    "invalid_datetime": N_("Please enter a date and time."),
    "invalid_phone": N_("Please enter a valid phone number."),
    "invalid_boolean": N_("Please choose yes or no."),
    "pattern_mismatch": N_("This value does not have the required format."),
    "archived_option": N_("This option is no longer offered."),
    "unknown_staff": N_("Please choose an active staff member."),
    "unknown_field": N_("This field does not exist (any more)."),
    "invalid_key": N_("Use lowercase letters, digits and _, starting with a letter."),
    "builtin_field": N_("This is the name of a built-in field; choose another key."),
    "duplicate_key": N_("Another field (perhaps archived) already uses this key."),
    "immutable": N_("The key of a field cannot change."),
    "invalid_regex": N_("This is not a valid regular expression."),
    "min_above_max": N_("The maximum must not be below the minimum."),
    "not_applicable": N_("This does not apply to this type of field."),
    "invalid_color": N_("Use a colour such as #1677ff."),
    "duplicate": N_("Option values must be unique."),
}
# Messages that carry a count from the service ("3 records use..."): shown with the number.
COUNTED = {
    "option_in_use": N_("%(count)s records use a removed option; archive the option instead of removing it."),
    "incompatible_values": N_(
        "%(count)s existing values cannot take the new type; change or clear them first."
    ),
}
TYPE_HINTS = {
    "text": N_("One line, up to 200 characters"),
    "long_text": N_("Several lines, up to 5,000 characters"),
    "money": N_("Yuan, 2 decimal places"),
    "staff": N_("A staff member of the company"),
}
OPTION_ROWS_BLANK = 3


def message_for(error: FieldError) -> str:
    if error.code in COUNTED:
        count = error.message.split(" ", 1)[0]
        return _(COUNTED[error.code]) % {"count": count}
    if error.code in ERROR_MESSAGES:
        return _(ERROR_MESSAGES[error.code])
    return error_text(error.code, error.message)


def value_errors(exc: ValidationFailed) -> dict[str, str]:
    """``custom.<key>`` errors by key (the form shows one message per field)."""
    found: dict[str, str] = {}
    for error in exc.errors:
        head, _sep, rest = error.field.partition(".")
        if head == "custom" and rest:
            found.setdefault(rest.split(".")[0], message_for(error))
    return found


def definition_errors(exc: ValidationFailed) -> dict[str, str]:
    """Errors of a definition form by input name (``options.2.value``, ``validation.regex``...)."""
    found: dict[str, str] = {}
    for error in exc.errors:
        found.setdefault(error.field, message_for(error))
        found.setdefault(error.field.split(".")[0], message_for(error))
    return found


# -- values in entity forms -----------------------------------------------------------------------


def form_supplied(
    definitions: Iterable[CustomFieldDefinition], data: Mapping[str, str]
) -> dict[str, Any] | None:
    """What a posted entity form says about each custom field (the form always shows them all)."""
    supplied: dict[str, Any] = {}
    for d in definitions:
        name = f"custom.{d.key}"
        if d.type == "multi_select":
            supplied[d.key] = [v for v in option_values(d) if data.get(f"{name}.{v}")]
        elif d.type == "boolean":
            supplied[d.key] = bool(data.get(name))
        else:
            supplied[d.key] = data.get(name, "")
    return supplied or None


def form_state(definitions: Iterable[CustomFieldDefinition], values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values as the form's inputs show them."""
    return {d.key: TYPES[d.type].form_value(values.get(d.key)) for d in definitions}


def posted_state(definitions: Iterable[CustomFieldDefinition], data: Mapping[str, str]) -> dict[str, Any]:
    """What the user typed, to show again beside the errors."""
    state: dict[str, Any] = {}
    for d in definitions:
        name = f"custom.{d.key}"
        if d.type == "multi_select":
            state[d.key] = [v for v in option_values(d) if data.get(f"{name}.{v}")]
        elif d.type == "boolean":
            state[d.key] = "1" if data.get(name) else ""
        else:
            state[d.key] = data.get(name, "")
    return state


def staff_ids(
    definitions: Iterable[CustomFieldDefinition], records: Iterable[Mapping[str, Any]]
) -> list[uuid.UUID]:
    """Staff ids held by staff fields of these records' values (to show their names)."""
    keys = [d.key for d in definitions if d.type == "staff"]
    found = []
    for values in records:
        for key in keys:
            try:
                found.append(uuid.UUID(str(values.get(key))))
            except ValueError:
                continue
    return found


# -- list filters ---------------------------------------------------------------------------------


def parse_list_filters(
    definitions: Iterable[CustomFieldDefinition], params: Any
) -> tuple[tuple[tuple[str, str, Any], ...], dict[str, str], list[str]]:
    """``cf.<key>`` (equality, contains for text, has for multi) and ``cf.<key>.gte``/``.lte`` (ranges):
    the valid ones as filters and kept query parameters, a message for each bad one."""
    filters: list[tuple[str, str, Any]] = []
    kept: dict[str, str] = {}
    problems: list[str] = []
    filterable = [d for d in definitions if d.filterable]
    for d in filterable:
        kind = TYPES[d.type]
        first_op = (
            "contains" if "contains" in kind.filter_ops else "has" if d.type == "multi_select" else "eq"
        )
        for suffix, op in (("", first_op), (".gte", "gte"), (".lte", "lte")):
            name = f"cf.{d.key}{suffix}"
            raw = (params.get(name) or "").strip()
            if not raw or op not in kind.filter_ops:
                continue
            _ok, errors = custom_fields.resolve_filters([d], [(d.key, op, raw)])
            if errors:
                problems.append(
                    _("“%(value)s” is not a valid %(field)s; it was ignored.")
                    % {"value": raw[:40], "field": VIEW.label(d)}
                )
                continue
            filters.append((d.key, op, raw))
            kept[name] = raw
    return tuple(filters), kept, problems


# -- showing values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomFieldView:
    """What templates call to show definitions and values in the reader's language."""

    def label(self, d: CustomFieldDefinition) -> str:
        return d.label(locale_var.get())

    def display(self, d: CustomFieldDefinition, value: Any, names: Mapping[Any, str] | None = None) -> str:
        if value is None or value == [] or value == "":
            return ""
        if d.type == "staff":
            names = names or {}
            return names.get(value) or names.get(_as_uuid(value)) or _("(former staff member)")
        return TYPES[d.type].display(value, d, locale_var.get())

    def options(self, d: CustomFieldDefinition, current: Any = None) -> list[tuple[str, str]]:
        """Offered options (value, label): archived ones only where the record already has them."""
        had = set(current if isinstance(current, list) else [current] if current else [])
        return [
            (o["value"], option_label(d, o["value"], locale_var.get()))
            for o in d.options or []
            if not o.get("archived") or o["value"] in had
        ]

    def color(self, d: CustomFieldDefinition, value: Any) -> str | None:
        for o in d.options or []:
            if o.get("value") == value:
                return o.get("color")
        return None

    def input(self, d: CustomFieldDefinition) -> str:
        return TYPES[d.type].input

    def type_label(self, type_name: str) -> str:
        return _(TYPES[type_name].label) if type_name in TYPES else type_name


def _as_uuid(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return value


VIEW = CustomFieldView()


# -- the settings page ----------------------------------------------------------------------------


def _entity_key(raw: str | None) -> str:
    keys = [s.key for s in customizable()]
    if raw in keys:
        return str(raw)
    # Customers first: the entity a dealer customizes most (others are chosen on the page).
    return "customer" if "customer" in keys or not keys else keys[0]


def _draft_of(data: Mapping[str, str], *, creating: bool) -> FieldDraft:
    """A definition from the drawer form: the options editor's rows, validation inputs, default."""
    type_name = data.get("type", "")
    draft = FieldDraft(
        label_zh=data.get("label_zh", ""),
        label_en=data.get("label_en", ""),
        type=type_name,
        required=bool(data.get("required")),
        searchable=bool(data.get("searchable")),
        filterable=bool(data.get("filterable")),
        show_in_list=bool(data.get("show_in_list")),
        group=data.get("group", ""),
    )
    if creating:
        draft.key = data.get("key", "")
    if data.get("position", "").strip():
        draft.position = data["position"]
    kind = TYPES.get(type_name)
    if kind is None:
        return draft
    if kind.has_options:
        rows = sorted(
            {int(k.split(".")[1]) for k in data if k.startswith("options.") and k.split(".")[1].isdigit()}
        )
        options = []
        for i in rows:
            row = {
                f: (data.get(f"options.{i}.{f}") or "").strip()
                for f in ("value", "label_zh", "label_en", "color")
            }
            if not any(row.values()):
                continue  # a blank row of the editor
            options.append({**row, "archived": bool(data.get(f"options.{i}.archived"))})
        draft.options = options
    draft.validation = {k: data.get(f"validation.{k}", "").strip() for k in kind.validation_keys}
    default = data.get("default", "")
    draft.default = [p for p in default.split(",") if p.strip()] if type_name == "multi_select" else default
    return draft


def _form_values(d: CustomFieldDefinition | None) -> dict[str, Any]:
    if d is None:
        return {"type": "text", "options": []}
    default = d.default
    if isinstance(default, list):
        default = ",".join(default)
    elif isinstance(default, bool):
        default = "1" if default else "0"
    return {
        "key": d.key,
        "label_zh": d.label_zh,
        "label_en": d.label_en,
        "type": d.type,
        "required": d.required,
        "searchable": d.searchable,
        "filterable": d.filterable,
        "show_in_list": d.show_in_list,
        "group": d.group or "",
        "position": d.position,
        "options": list(d.options or []),
        "validation": dict(d.validation or {}),
        "default": "" if default is None else str(default),
        "version": d.version,
    }


def _posted_values(data: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in data.items() if "." not in k}
    for flag in ("required", "searchable", "filterable", "show_in_list"):
        values[flag] = bool(data.get(flag))
    rows = sorted(
        {int(k.split(".")[1]) for k in data if k.startswith("options.") and k.split(".")[1].isdigit()}
    )
    values["options"] = [
        {f: data.get(f"options.{i}.{f}", "") for f in ("value", "label_zh", "label_en", "color")}
        | {"archived": bool(data.get(f"options.{i}.archived"))}
        for i in rows
    ]
    values["validation"] = {k.split(".", 1)[1]: v for k, v in data.items() if k.startswith("validation.")}
    return values


class CustomFieldsController(Controller):
    path = "/settings/custom-fields"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    def _ctx(self, request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
        return page(
            request,
            actor,
            nav="custom_fields",
            cfv=VIEW,
            types=list(TYPES),
            type_hints=TYPE_HINTS,
            entities=customizable(),
            blank_rows=OPTION_ROWS_BLANK,
            **extra,
        )

    @get("/", operation_id="CustomFieldsPage", name="custom_fields.list")
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        entity: str | None = None,
    ) -> Template:
        """An entity's custom fields in form order, archived ones at the end (restorable)."""
        key = _entity_key(entity)
        if not actor.can(custom_fields.MANAGE):
            raise PermissionDenied(custom_fields.MANAGE)
        found = await custom_fields.list_definitions(db_session, actor, key, include_archived=True)
        active = [d for d in found if not d.archived]
        archived = [d for d in found if d.archived]
        ctx = self._ctx(request, actor, entity=key, fields=active, archived=archived)
        if htmx_target(request) == "field-list":
            return Template("custom_fields/_list.html", context=ctx)
        return Template("custom_fields/list.html", context=ctx)

    def _form(self, request: Request[Any, Any, Any], ctx: dict[str, Any], status: int = 200) -> Template:
        if is_htmx(request) and request.method == "POST":
            name = "custom_fields/_form.html"
        elif is_htmx(request):
            name = "custom_fields/_drawer.html"
        else:
            name = "custom_fields/form_page.html"
        return Template(name, context=ctx, status_code=status)

    @get("/new", operation_id="NewCustomFieldForm", name="custom_fields.new")
    async def new_form(
        self, request: Request[Any, Any, Any], actor: Actor, entity: str | None = None
    ) -> Template:
        """The empty definition form (a drawer for HTMX)."""
        if not actor.can(custom_fields.MANAGE):
            raise PermissionDenied(custom_fields.MANAGE)
        key = _entity_key(entity)
        ctx = self._ctx(
            request,
            actor,
            entity=key,
            field=None,
            values=_form_values(None),
            errors={},
            action=f"/settings/custom-fields?entity={key}",
        )
        return self._form(request, ctx)

    @get("/type-inputs", operation_id="CustomFieldTypeInputs", name="custom_fields.type_inputs")
    async def type_inputs(
        self, request: Request[Any, Any, Any], actor: Actor, type: str = "text"
    ) -> Template:
        """The inputs a type takes (options editor, validation, default), when the type select changes."""
        if not actor.can(custom_fields.MANAGE):
            raise PermissionDenied(custom_fields.MANAGE)
        values = _form_values(None) | {"type": type if type in TYPES else "text"}
        return Template(
            "custom_fields/_type_inputs.html", context=self._ctx(request, actor, values=values, errors={})
        )

    @post("/", operation_id="DefineCustomField", name="custom_fields.create")
    async def create(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        data: FormData,
        entity: str | None = None,
    ) -> Template | Response[Any] | Redirect:
        """Define a field; inline errors with 422, or back to the list."""
        key = _entity_key(entity)
        try:
            await custom_fields.define_field(db_session, actor, key, _draft_of(data, creating=True))
        except ValidationFailed as exc:
            await db_session.rollback()
            ctx = self._ctx(
                request,
                actor,
                entity=key,
                field=None,
                values=_posted_values(data),
                errors=definition_errors(exc),
                action=f"/settings/custom-fields?entity={key}",
            )
            return self._form(request, ctx, status=422)
        return _done(request, key, _("Field saved."))

    @get("/{field_id:uuid}/edit", operation_id="EditCustomFieldForm", name="custom_fields.edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, field_id: uuid.UUID
    ) -> Template:
        """The filled-in definition form."""
        found = await custom_fields.get_definition(db_session, actor, field_id)
        ctx = self._ctx(
            request,
            actor,
            entity=found.entity,
            field=found,
            values=_form_values(found),
            errors={},
            action=f"/settings/custom-fields/{found.id}",
        )
        return self._form(request, ctx)

    @post("/{field_id:uuid}", operation_id="UpdateCustomField", name="custom_fields.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        field_id: uuid.UUID,
        data: FormData,
    ) -> Template | Response[Any] | Redirect:
        """Save the definition against the version it was opened at."""
        version = int(data["version"]) if (data.get("version") or "").isdigit() else None
        try:
            saved = await custom_fields.update_field(
                db_session, actor, field_id, _draft_of(data, creating=False), version=version
            )
        except (ValidationFailed, VersionConflict) as exc:
            await db_session.rollback()
            found = await custom_fields.get_definition(db_session, actor, field_id)
            errors = definition_errors(exc) if isinstance(exc, ValidationFailed) else {}
            conflict = (
                None
                if isinstance(exc, ValidationFailed)
                else _("Someone changed this field after you opened the form.")
            )
            ctx = self._ctx(
                request,
                actor,
                entity=found.entity,
                field=found,
                values=_posted_values(data) | {"key": found.key},
                errors=errors,
                conflict=conflict,
                action=f"/settings/custom-fields/{found.id}",
            )
            return self._form(request, ctx, status=422 if errors else 409)
        return _done(request, saved.entity, _("Field saved."))

    @post("/{field_id:uuid}/archive", operation_id="ArchiveCustomField", name="custom_fields.archive")
    async def archive(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, field_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Hide the field from forms and lists; its values are kept."""
        saved = await custom_fields.archive_field(db_session, actor, field_id)
        return _done(request, saved.entity, _("Field archived; its values are kept and it can be restored."))

    @post("/{field_id:uuid}/restore", operation_id="RestoreCustomField", name="custom_fields.restore")
    async def restore(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, field_id: uuid.UUID
    ) -> Response[Any] | Redirect:
        """Bring an archived field back with its values."""
        saved = await custom_fields.restore_field(db_session, actor, field_id)
        return _done(request, saved.entity, _("Field restored."))

    @post("/{field_id:uuid}/move", operation_id="MoveCustomField", name="custom_fields.move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        field_id: uuid.UUID,
        data: FormData,
    ) -> Response[Any] | Redirect:
        """One place up or down in the form order."""
        found = await custom_fields.get_definition(db_session, actor, field_id)
        keys = [d.key for d in await custom_fields.list_definitions(db_session, actor, found.entity)]
        if found.key in keys:
            i = keys.index(found.key)
            j = i - 1 if data.get("direction") == "up" else i + 1
            if 0 <= j < len(keys):
                keys[i], keys[j] = keys[j], keys[i]
        await custom_fields.reorder(db_session, actor, found.entity, keys)
        return _done(request, found.entity, None)


class ListColumnsController(Controller):
    """Each person's choice of custom-field columns in an entity's list."""

    path = "/list-columns"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @post("/{entity:str}", operation_id="ChooseListColumns", name="custom_fields.columns")
    async def choose(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        entity: str,
        data: FormData,
    ) -> Redirect:
        """Save the columns ticked (or forget the choice), then back to the list."""
        keys = None if data.get("reset") else [k[4:] for k, v in data.items() if k.startswith("col.") and v]
        try:
            await custom_fields.choose_columns(db_session, actor, entity, keys)
        except ValidationFailed:
            await db_session.rollback()  # a field archived since the list was shown, or a made-up one
        back = data.get("next") or ""
        spec = next((s for s in customizable() if s.key == entity), None)
        home = spec.nav.path if spec is not None and spec.nav is not None else "/"
        # Only back to the entity's own list (never an address from elsewhere).
        return Redirect(
            back if back.startswith(home) and not back.startswith("//") else home, status_code=303
        )


def _done(request: Request[Any, Any, Any], entity: str, message: str | None) -> Response[Any] | Redirect:
    """HTMX: close the drawer, toast, refresh the list; otherwise back to the list page."""
    import json

    if is_htmx(request):
        events: dict[str, Any] = {"custom-fields-changed": entity}
        if message:
            events["toast"] = message
        headers = {"HX-Trigger": json.dumps(events), "HX-Retarget": "#drawer", "HX-Reswap": "innerHTML"}
        return Response("", headers=headers, media_type="text/html", status_code=200)
    return Redirect(f"/settings/custom-fields?entity={entity}", status_code=303)


# -- what an entity's controller calls (a line each) ----------------------------------------------


async def with_custom_values(session: AsyncSession, entity: str, data: Mapping[str, str], target: Any) -> Any:
    """Set ``target.custom`` from a posted entity form (one that rendered ``custom_inputs``)."""
    if data.get("_custom"):
        target.custom = form_supplied(await custom_fields.active_definitions(session, entity), data)
    return target


async def form_extras(
    session: AsyncSession,
    entity: str,
    values: Mapping[str, Any],
    stored: Mapping[str, Any] | None,
    errors: Mapping[str, str],
) -> dict[str, Any]:
    """Context for ``custom_inputs``: the fields, what their inputs show (typed, stored, defaults), errors."""
    definitions = await custom_fields.active_definitions(session, entity)
    if values.get("_custom"):
        state = posted_state(definitions, values)
    elif stored is not None:
        state = form_state(definitions, stored)
    else:
        state = form_state(definitions, {d.key: d.default for d in definitions})
    people: list[Any] = []
    if any(d.type == "staff" for d in definitions):
        # A staff field names anyone active in the company, not only the owners the actor may assign.
        people = [u for u in await accounts_repo.list_users(session) if u.is_active]
    return {
        "custom_definitions": definitions,
        "custom_staff": people,
        "custom_state": state,
        "custom_errors": {k.split(".", 1)[1]: v for k, v in errors.items() if k.startswith("custom.")},
    }


async def list_extras(
    session: AsyncSession, entity: str, query: Any, params: Any
) -> list[CustomFieldDefinition]:
    """Adds the ``cf.*`` filters to a parsed list query (kept in its links, bad ones as messages);
    returns the fields for the filter bar and list columns."""
    from dataclasses import replace

    definitions = await custom_fields.active_definitions(session, entity)
    filters, kept, problems = parse_list_filters(definitions, params)
    if filters:
        query.filters = replace(query.filters, custom=filters)
        query.kept.update(kept)
    query.problems.extend(problems)
    return definitions


async def active_definitions(session: AsyncSession, entity: str) -> list[CustomFieldDefinition]:
    return await custom_fields.active_definitions(session, entity)


async def label_history(session: AsyncSession, rows: list[tuple[Any, list[dict[str, str]]]]) -> list[Any]:
    """Audit change summaries with ``custom.<key>`` entries shown by the field's label and its
    values as the field shows them (archived fields too: history keeps them)."""
    from app.accounts import service as accounts
    from app.customfields import repository as definitions_repo

    entities = {r.entity for r, summary in rows if any(i["field"].startswith("custom.") for i in summary)}
    if not entities:
        return rows
    found: dict[tuple[str, str], CustomFieldDefinition] = {}
    for entity in entities:
        for d in await definitions_repo.definitions(session, entity, include_archived=True):
            found[(entity, d.key)] = d
    staff: list[uuid.UUID] = []
    for record, _summary in rows:
        for snapshot in (record.before or {}, record.after or {}):
            defs = [d for (e, _k), d in found.items() if e == record.entity]
            staff += staff_ids(defs, [{k[7:]: v for k, v in snapshot.items() if k.startswith("custom.")}])
    names = await accounts.staff_names(session, staff) if staff else {}
    for record, summary in rows:
        for item in summary:
            if not item["field"].startswith("custom."):
                continue
            key = item["field"][len("custom.") :]
            field = found.get((record.entity, key))
            if field is None:
                continue
            item["field"] = VIEW.label(field)
            for side, snapshot in (("before", record.before), ("after", record.after)):
                value = (snapshot or {}).get(f"custom.{key}")
                if item.get(side) and value not in (None, "", []):
                    item[side] = VIEW.display(field, value, names)
    return rows


async def list_columns(
    session: AsyncSession, actor: Actor, entity: str, definitions: list[CustomFieldDefinition]
) -> list[CustomFieldDefinition]:
    return await custom_fields.list_columns(session, actor, entity, definitions)
