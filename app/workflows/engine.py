"""The engine: which moves a record may make, whether their guards hold, what entering a state does.

Pure rules on a loaded definition and record; writing history, audit and events is the service's.
Field values are read from the record's attribute for built-in fields (the entity's ``fields``)
and from its ``custom`` JSON for custom fields.
"""

from __future__ import annotations

from typing import Any

from app.domain import Actor
from app.kit.registry import EntitySpec
from app.workflows.definition import (
    ActionKind,
    Condition,
    Definition,
    Guard,
    GuardKind,
    State,
    Transition,
    number,
)
from app.workflows.errors import GuardFailed, GuardFailure, NotAllowedTransition


def value_of(spec: EntitySpec, record: Any, name: str) -> Any:
    if name in spec.fields:
        return getattr(record, name, None)
    return (getattr(record, "custom", None) or {}).get(name)


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return not value
    return False


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def holds(condition: Condition, actual: Any) -> bool:
    """``actual op value``: numbers compare as numbers, anything else as text (= and != only)."""
    if is_empty(actual):
        return condition.op == "!="
    a, b = number(actual), number(condition.value)
    if a is not None and b is not None:
        return {
            "=": a == b,
            "!=": a != b,
            ">": a > b,
            ">=": a >= b,
            "<": a < b,
            "<=": a <= b,
        }[condition.op]
    if condition.op == "=":
        return _plain(actual) == _plain(condition.value)
    if condition.op == "!=":
        return _plain(actual) != _plain(condition.value)
    return False


def _failure(spec: EntitySpec, guard: Guard, actor: Actor, record: Any) -> GuardFailure | None:
    if guard.when is not None and not holds(guard.when, value_of(spec, record, guard.when.field)):
        return None  # the guard applies only to records meeting its "when"
    if guard.kind == GuardKind.REQUIRED:
        assert guard.field is not None
        if is_empty(value_of(spec, record, guard.field)):
            return GuardFailure("required", field=guard.field)
        return None
    if guard.kind == GuardKind.ROLE:
        if guard.role is not None and actor.role_key != guard.role:
            return GuardFailure("role", role=guard.role)
        if guard.permission is not None and not actor.can(guard.permission):
            return GuardFailure("role", permission=guard.permission)
        return None
    if guard.kind == GuardKind.CONDITION:
        condition = Condition(guard.field or "", guard.op or "=", guard.value)
        if not holds(condition, value_of(spec, record, condition.field)):
            return GuardFailure("condition", field=condition.field, condition=condition.text())
        return None
    return None


def check_move(
    definition: Definition, spec: EntitySpec, actor: Actor, record: Any, source: str, target: str
) -> Transition:
    """The move from ``source`` to ``target``, or the reason it may not be made."""
    move = definition.move(source, target)
    if move is None:
        allowed = tuple(s for t in definition.moves_from(source) if (s := definition.state(t.target)))
        raise NotAllowedTransition(
            spec.key, definition.state(source), target, allowed, definition.state(target)
        )
    failures = tuple(f for g in move.guards if (f := _failure(spec, g, actor, record)) is not None)
    if failures:
        raise GuardFailed(spec.key, source, target, failures)
    return move


def apply_set_fields(spec: EntitySpec, record: Any, state: State) -> dict[str, Any]:
    """Set the fields the state's ``set_field`` actions name; returns field → new value."""
    changed: dict[str, Any] = {}
    custom = dict(getattr(record, "custom", None) or {})
    for action in state.on_enter:
        if action.kind != ActionKind.SET_FIELD or action.field is None:
            continue
        if action.field in spec.fields:
            setattr(record, action.field, action.value)
        else:
            custom[action.field] = action.value
        changed[action.field] = action.value
    if custom != (getattr(record, "custom", None) or {}):
        record.custom = custom  # a new dict, so the JSON column is seen as changed
    return changed


def messages(
    spec: EntitySpec, record: Any, source: str | None, state: State
) -> list[tuple[str, dict[str, Any]]]:
    """The events entering ``state`` asks for: (topic, payload)."""
    base = {"entity": spec.key, "id": str(record.id), "from": source, "to": state.key}
    owner = getattr(record, "owner_id", None)
    people = {"owner_id": str(owner) if owner else None}
    found: list[tuple[str, dict[str, Any]]] = []
    for action in state.on_enter:
        if action.kind == ActionKind.NOTIFY:
            found.append(("notify", {**base, **people, "to_whom": action.to, "text": action.text}))
        elif action.kind == ActionKind.CREATE_TASK:
            task = {"assignee": action.to, "title": action.text, "due_in_days": action.due_in_days}
            found.append(("task.requested", {**base, **people, **task}))
        elif action.kind == ActionKind.EMIT and action.topic:
            found.append((action.topic, base))
    return found
