"""The workflow editor: an entity's stages (rename in Chinese and English, add, reorder, category,
remove), the allowed moves as a matrix, with optional guards per move (required fields, a role,
a condition), and each stage's entry actions (add, remove, reorder; the engine's kinds and those
modules register for the entity, such as an order's stock moves). Each save is a new version
(``app.workflows.service.update_workflow``, audited); a refusal re-shows the form with what was
typed and a message per problem, beside the stage or action it concerns.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.registry import workflow_driven
from app.workflows import service as workflows
from app.workflows.actions import registered_kinds
from app.workflows.definition import (
    OPERATORS,
    Action,
    ActionKind,
    Definition,
    GuardKind,
    StateCategory,
    Transition,
    number,
)
from app.workflows.errors import StatesInUse
from app.workflows.models import DEFAULT_KEY
from app.workflows.permissions import WORKFLOWS_MANAGE
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, page
from web.templating import fmt_datetime


def N_(message: str) -> str:
    return message


# Codes only workflow edits give (the shared ones are in common.ERROR_MESSAGES).
ERROR_MESSAGES = {
    "invalid_key": N_("Stage keys use lowercase letters, digits and _, starting with a letter."),
    "duplicate_state": N_("Two stages have the same key."),
    "unknown_state": N_("A move names a stage that does not exist."),
    "same_state": N_("A move must go to another stage."),
    "duplicate_transition": N_("The same move is listed twice."),
    "unknown_role": N_("There is no such role."),
    "unknown_permission": N_("There is no such permission."),
    "role_or_permission": N_("Give a role or a permission, not both."),
    "invalid_field": N_("Name a field by its key (lowercase letters, digits and _)."),
    "not_a_number": N_("This comparison needs a number."),
    "required": N_("The Chinese name is required."),
}
# Codes of an entry action's problems (``states.<i>.on_enter.<j>.<param>``).
ACTION_ERROR_MESSAGES = {
    "invalid_field": N_("Name the field to set by its key (not the stage)."),
    "not_settable": N_("Only choice fields and custom fields can be set."),
    "invalid_choice": N_("Choose one of the listed values."),
    "unknown_role": N_("Send it to the owner or to a role."),
    "required": N_("Write the text of the notification or task."),
    "out_of_range": N_("Days until due: 0 to 365."),
    "invalid_topic": N_("Event names look like order.vip_won: lowercase words joined by dots."),
    "invalid": N_("This value cannot be used here."),
}
STATES_IN_USE = N_(
    "These stages still have records (%(detail)s). Move the records to another stage before removing it."
)
CATEGORY_LABELS = {c.value: c.label for c in StateCategory}
OPERATOR_LABELS = {op: op for op in OPERATORS}


def _pipeline_of(request: Request[Any, Any, Any]) -> str:
    """Which of the entity's workflows the editor edits (``?pipeline=``; the only one by default)."""
    return str(request.query_params.get("pipeline") or DEFAULT_KEY)[:40]


@dataclass
class ActionRow:
    """One entry action as the editor shows it; which parameters apply depends on ``kind``."""

    kind: str
    order: str
    field: str = ""
    value: str = ""
    to: str = ""
    text: str = ""
    due: str = ""
    topic: str = ""
    remove: bool = False
    new: bool = False
    errors: list[str] = dataclasses.field(default_factory=list)


@dataclass
class StageRow:
    key: str
    zh: str
    en: str
    category: str
    order: str
    existing: bool
    remove: bool = False
    errors: list[str] = dataclasses.field(default_factory=list)
    actions: list[ActionRow] = dataclasses.field(default_factory=list)
    new_action: ActionRow | None = None  # the add row, as typed (shown again on a refusal)
    # The actions in the order the document lists them (``on_enter.<j>`` of an error).
    sent: list[ActionRow] = dataclasses.field(default_factory=list)


@dataclass
class GuardRow:
    """What the editor shows for one move's guards; ``kept`` are guards it cannot show (API-made)."""

    source: str
    target: str
    required: str = ""
    role: str = ""
    field: str = ""
    op: str = ""
    value: str = ""
    kept: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _guard_row(move: Transition) -> GuardRow:
    row = GuardRow(move.source, move.target)
    required: list[str] = []
    for guard in move.guards:
        if guard.when is None and guard.kind == GuardKind.REQUIRED and guard.field:
            required.append(guard.field)
        elif guard.when is None and guard.kind == GuardKind.ROLE and not row.role:
            row.role = guard.role or guard.permission or ""
        elif guard.when is None and guard.kind == GuardKind.CONDITION and not row.field:
            row.field, row.op, row.value = guard.field or "", guard.op or "", str(guard.value)
        else:
            row.kept.append(guard.as_json())
    row.required = ", ".join(required)
    return row


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _action_row(action: Action, j: int) -> ActionRow:
    return ActionRow(
        kind=action.kind,
        order=str(j + 1),
        field=action.field or "",
        value=_shown(action.value),
        to=action.to or "",
        text=action.text or "",
        due=_shown(action.due_in_days),
        topic=action.topic or "",
    )


def _rows_of(
    definition: Definition,
) -> tuple[list[StageRow], set[tuple[str, str]], dict[tuple[str, str], GuardRow]]:
    stages = [
        StageRow(
            s.key,
            s.label_in("zh_CN"),
            s.label.get("en", ""),
            s.category,
            str(i + 1),
            existing=True,
            actions=[_action_row(a, j) for j, a in enumerate(s.on_enter)],
        )
        for i, s in enumerate(definition.states)
    ]
    moves = {(t.source, t.target) for t in definition.transitions}
    guards = {(t.source, t.target): _guard_row(t) for t in definition.transitions}
    return stages, moves, guards


def _in_stage_order(guards: dict[tuple[str, str], GuardRow], definition: Definition) -> list[GuardRow]:
    """Guard rows by the position of the stage moved from, then of the stage moved to."""
    position = {s.key: s.position for s in definition.states}
    return sorted(guards.values(), key=lambda g: (position.get(g.source, 99), position.get(g.target, 99)))


def _value(raw: str) -> Any:
    """A condition's value as typed: a number when it reads as one, else the text."""
    text = raw.strip()
    found = number(text)
    if found is None:
        return text
    return int(found) if found == found.to_integral_value() and "." not in text else float(found)


def _typed_action(data: dict[str, str], prefix: str, kind: str, order: str, *, new: bool) -> ActionRow:
    def get(name: str) -> str:
        return data.get(prefix + name, "")

    return ActionRow(
        kind=kind,
        order=data.get(prefix + "order", order) or order,
        field=get("field"),
        value=get("value"),
        to=get("to"),
        text=get("text"),
        due=get("due"),
        topic=get("topic"),
        remove=bool(get("remove")),
        new=new,
    )


def _form_actions(
    data: dict[str, str], key: str, saved: tuple[Action, ...]
) -> tuple[list[ActionRow], ActionRow | None]:
    """A stage's entry actions as typed: one row per saved action (its kind comes from the saved
    version, never from the browser) and the add row when a kind is chosen there."""
    if not data.get("actions_shown"):
        # A form without the actions section (an older page): the saved actions stay as they are.
        return [_action_row(a, j) for j, a in enumerate(saved)], None
    rows = [
        _typed_action(data, f"a:{key}:{j}:", action.kind, str(j + 1), new=False)
        for j, action in enumerate(saved)
    ]
    kind = (data.get(f"a:{key}:new:kind") or "").strip()
    new = _typed_action(data, f"a:{key}:new:", kind, str(len(rows) + 1), new=True) if kind else None
    return rows, new


def _form_rows(
    data: dict[str, str], current: Definition
) -> tuple[list[StageRow], set[tuple[str, str]], dict[tuple[str, str], GuardRow]]:
    """The editor's form back into rows (to re-show it) — the stage keys of existing rows come from
    the saved workflow, never from the browser."""
    stages: list[StageRow] = []
    for i, state in enumerate(current.states):
        p = f"s{i}_"
        actions, new_action = _form_actions(data, state.key, state.on_enter)
        stages.append(
            StageRow(
                key=state.key,
                zh=data.get(p + "zh", ""),
                en=data.get(p + "en", ""),
                category=data.get(p + "category", state.category),
                order=data.get(p + "order", str(i + 1)),
                existing=True,
                remove=bool(data.get(p + "remove")),
                actions=actions,
                new_action=new_action,
            )
        )
    new_key = (data.get("new_key") or "").strip()
    if new_key or (data.get("new_zh") or "").strip():
        stages.append(
            StageRow(
                key=new_key,
                zh=data.get("new_zh", ""),
                en=data.get("new_en", ""),
                category=data.get("new_category", "open"),
                order=data.get("new_order", str(len(stages) + 1)),
                existing=False,
            )
        )
    moves = {
        (parts[1], parts[2])
        for name, value in data.items()
        if name.startswith("m:") and value and len(parts := name.split(":")) == 3
    }
    saved_guards = {(t.source, t.target): _guard_row(t) for t in current.transitions}
    guards: dict[tuple[str, str], GuardRow] = {}
    for source, target in moves:
        p = f"g:{source}:{target}:"
        row = GuardRow(
            source,
            target,
            required=data.get(p + "required", ""),
            role=data.get(p + "role", ""),
            field=data.get(p + "field", ""),
            op=data.get(p + "op", ""),
            value=data.get(p + "value", ""),
        )
        saved = saved_guards.get((source, target))
        if saved is not None:
            row.kept = saved.kept
        guards[(source, target)] = row
    return stages, moves, guards


def _in_order(stages: list[StageRow]) -> list[StageRow]:
    """The rows being kept, in the order typed in their order boxes (ties: as listed)."""
    kept = [(i, s) for i, s in enumerate(stages) if not s.remove]

    def order(item: tuple[int, StageRow]) -> tuple[float, int]:
        found = number(item[1].order)
        return (float(found) if found is not None else 1e9, item[0])

    return [row for _i, row in sorted(kept, key=order)]


def _actions_in_order(row: StageRow) -> list[ActionRow]:
    """A stage's kept actions and its new one, in the order typed (a new action goes before one
    with the same number: the admin typed where it should be; other ties: as listed)."""
    kept = [a for a in row.actions if not a.remove] + ([row.new_action] if row.new_action else [])

    def order(item: tuple[int, ActionRow]) -> tuple[float, int, int]:
        found = number(item[1].order)
        return (float(found) if found is not None else 1e9, 0 if item[1].new else 1, item[0])

    return [a for _i, a in sorted(enumerate(kept), key=order)]


def _action_document(row: ActionRow) -> dict[str, Any]:
    """An action row as the definition document has it (parse checks it)."""
    out: dict[str, Any] = {"kind": row.kind}
    if row.kind == ActionKind.SET_FIELD:
        text = row.value.strip()
        value: Any = {"true": True, "false": False}.get(text, _value(text)) if text else None
        out |= {"field": row.field.strip(), "value": value}
    elif row.kind in (ActionKind.NOTIFY, ActionKind.CREATE_TASK):
        out |= {"to": row.to.strip() or "owner", "text": row.text}
        due = row.due.strip()
        if row.kind == ActionKind.CREATE_TASK and due:
            out["due_in_days"] = int(due) if due.isdigit() else due
    elif row.kind == ActionKind.EMIT:
        out["topic"] = row.topic.strip()
    return out


def _document(
    stages: list[StageRow],
    moves: set[tuple[str, str]],
    guards: dict[tuple[str, str], GuardRow],
    current: Definition,
) -> dict[str, Any]:
    """The definition document from the rows (a new stage gets its entry actions once saved)."""
    states = []
    for position, row in enumerate(_in_order(stages)):
        state: dict[str, Any] = {
            "key": row.key.strip(),
            "label": {"zh_CN": row.zh.strip(), "en": row.en.strip()},
            "category": row.category,
            "position": position,
        }
        saved = current.state(row.key) if row.existing else None
        # Rows made from the saved actions give them back unchanged (kept parameters included).
        row.sent = _actions_in_order(row) if saved is not None else []
        if row.sent:
            untouched = [_action_row(a, j) for j, a in enumerate(saved.on_enter)] if saved else []
            state["on_enter"] = (
                [a.as_json() for a in saved.on_enter]
                if saved is not None and row.sent == untouched
                else [_action_document(a) for a in row.sent]
            )
        states.append(state)
    alive = {s["key"] for s in states}
    transitions = []
    for source, target in sorted(moves):
        if source not in alive or target not in alive:
            continue  # moves of a removed stage go with it
        guard_row = guards.get((source, target)) or GuardRow(source, target)
        rules: list[dict[str, Any]] = [
            {"kind": "required", "field": name.strip()}
            for name in guard_row.required.replace("，", ",").split(",")
            if name.strip()
        ]
        if guard_row.role.strip():
            who = guard_row.role.strip()
            rules.append({"kind": "role", "permission": who} if ":" in who else {"kind": "role", "role": who})
        if guard_row.field.strip():
            condition = {
                "field": guard_row.field.strip(),
                "op": guard_row.op,
                "value": _value(guard_row.value),
            }
            rules.append({"kind": "condition", **condition})
        transitions.append({"from": source, "to": target, "guards": rules + guard_row.kept})
    return {"states": states, "transitions": transitions}


def _messages(exc: ValidationFailed, stages: list[StageRow], labels: dict[str, str]) -> list[str]:
    """One message per problem; stage problems also go beside their row."""
    shown: list[str] = []
    ordered = _in_order(stages)  # the document's states.<i> are these rows
    for error in exc.errors:
        text = _message(error, exc, labels)
        parts = error.field.split(".")
        if parts[0] == "states" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(ordered):
            stage = ordered[int(parts[1])]
            if (
                len(parts) > 3
                and parts[2] == "on_enter"
                and parts[3].isdigit()
                and int(parts[3]) < len(stage.sent)
            ):
                stage.sent[int(parts[3])].errors.append(text)
                text = f"{stage.zh or stage.key}: {text}"
            else:
                stage.errors.append(text)
        if text not in shown:
            shown.append(text)
    return shown


def _message(error: FieldError, exc: ValidationFailed, labels: dict[str, str]) -> str:
    if isinstance(exc, StatesInUse) and error.code == "states_in_use":
        parts = [
            _("%(count)s in %(stage)s") % {"count": n, "stage": labels.get(k, k)}
            for k, n in exc.counts.items()
        ]
        return _(STATES_IN_USE) % {"detail": "、".join(parts)}
    if ".on_enter." in error.field and error.code in ACTION_ERROR_MESSAGES:
        return _(ACTION_ERROR_MESSAGES[error.code])
    if error.code in ERROR_MESSAGES:
        return _(ERROR_MESSAGES[error.code])
    return error_text(error.code, error.message)


def _action_kinds(entity: str) -> list[tuple[str, str, str]]:
    """(kind, label, description) of the entry actions this entity's workflow may use."""
    found = [(k.value, _(k.label), "") for k in ActionKind]
    found += [
        (k.kind, _(k.label), _(k.description) if k.description else "") for k in registered_kinds(entity)
    ]
    return found


def _entity_label(key: str) -> str:
    spec = next((s for s in workflow_driven() if s.key == key), None)
    if spec is None:
        raise NotFound("workflow", key)
    return _(spec.label)


class WorkflowsController(Controller):
    path = "/workflows"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="WorkflowList", name="workflows.list")
    async def index(self, actor: Actor) -> Redirect:
        """The first workflow-driven entity's editor (customers: the only one so far)."""
        if not actor.can(WORKFLOWS_MANAGE):
            raise PermissionDenied(WORKFLOWS_MANAGE)
        first = workflow_driven()[0]
        return Redirect(f"/workflows/{first.key}", status_code=303)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        entity: str,
        *,
        current: workflows.CurrentWorkflow,
        stages: list[StageRow],
        moves: set[tuple[str, str]],
        guards: dict[tuple[str, str], GuardRow],
        problems: list[str] | None = None,
        status: int = 200,
    ) -> Template:
        names = await workflows.role_names(db_session, actor)
        locale = locale_var.get()
        editor = None
        if current.updated_by:
            from app.accounts import service as accounts

            editor = (await accounts.staff_names(db_session, [current.updated_by])).get(current.updated_by)
        kinds = _action_kinds(entity)
        ctx = page(
            request,
            actor,
            nav="workflows",
            entity=entity,
            entity_label=_entity_label(entity),
            entities=[(s.key, _(s.label)) for s in workflow_driven()],
            workflow=current,
            stages=stages,
            moves=moves,
            guards=_in_stage_order(guards, current.definition),
            matrix=[s for s in stages if s.existing and not s.remove],
            stage_label={s.key: s.label_in(locale) for s in current.definition.states},
            categories=CATEGORY_LABELS,
            operators=OPERATORS,
            roles=names,
            problems=problems or [],
            editor=editor,
            updated_at=fmt_datetime(current.updated_at) if current.updated_at else "",
            kept_json=lambda rows: json.dumps(rows, ensure_ascii=False),
            action_kinds=kinds,
            action_labels={kind: label for kind, label, _help in kinds},
            action_help={kind: text for kind, _label, text in kinds},
        )
        return Template("workflows/edit.html", context=ctx, status_code=status)

    @get("/{entity:str}", operation_id="WorkflowEditor", name="workflows.edit")
    async def edit(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, entity: str
    ) -> Template:
        """The stages and moves of one entity's workflow (``?pipeline=``: one of its pipelines), ready
        to edit."""
        if not actor.can(WORKFLOWS_MANAGE):
            raise PermissionDenied(WORKFLOWS_MANAGE)
        current = await workflows.get_workflow(db_session, actor, entity, _pipeline_of(request))
        stages, moves, guards = _rows_of(current.definition)
        return await self._render(
            request, db_session, actor, entity, current=current, stages=stages, moves=moves, guards=guards
        )

    @post("/{entity:str}", operation_id="SaveWorkflow", name="workflows.save")
    async def save(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        entity: str,
        data: FormData,
    ) -> Template | Redirect:
        """Save the edited workflow as a new version, or show why not (nothing is saved then)."""
        if not actor.can(WORKFLOWS_MANAGE):
            raise PermissionDenied(WORKFLOWS_MANAGE)
        key = _pipeline_of(request)
        current = await workflows.get_workflow(db_session, actor, entity, key)
        stages, moves, guards = _form_rows(data, current.definition)
        version = int(data["version"]) if (data.get("version") or "").isdigit() else -1
        try:
            await workflows.update_workflow(
                db_session, actor, entity, _document(stages, moves, guards, current.definition), version, key
            )
        except (ValidationFailed, VersionConflict) as exc:
            await db_session.rollback()
            labels = {s.key: s.label_in(locale_var.get()) for s in current.definition.states}
            if isinstance(exc, VersionConflict):
                problems = [
                    _("%(who)s saved this workflow at %(when)s, after you opened it. Reload and edit again.")
                    % {"who": exc.changed_by or _("Someone"), "when": fmt_datetime(exc.changed_at)}
                ]
            else:
                problems = _messages(exc, stages, labels)
            current = await workflows.get_workflow(db_session, actor, entity, key)
            return await self._render(
                request,
                db_session,
                actor,
                entity,
                current=current,
                stages=stages,
                moves=moves,
                guards=guards,
                problems=problems,
                status=409 if isinstance(exc, VersionConflict) else 422,
            )
        suffix = f"&pipeline={key}" if key != DEFAULT_KEY else ""
        return Redirect(f"/workflows/{entity}?saved=1{suffix}", status_code=303)
