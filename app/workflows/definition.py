"""A workflow definition as data: states, allowed moves with guards, actions on entering a state.

Stored as one JSON document per workflow version (``workflows.definition``)::

    {"states": [{"key": "lead", "label": {"zh_CN": "潜在", "en": "Lead"}, "category": "open",
                 "position": 0, "on_enter": [{"kind": "emit", "topic": "customer.reactivated"}]}, ...],
     "transitions": [{"from": "lead", "to": "won",
                      "guards": [{"kind": "required", "field": "mobile"},
                                 {"kind": "role", "role": "manager",
                                  "when": {"field": "amount", "op": ">", "value": 50000}},
                                 {"kind": "condition", "field": "amount", "op": ">=", "value": 1}]}]}

Guards: ``required`` (a built-in or custom field is not empty), ``role`` (the actor holds the role
``role`` or the permission ``permission``), ``condition`` (``field op value``). Any guard may carry a
``when`` condition: it then applies only to records meeting it ("above 50,000 a manager decides").
Actions on entering a state: ``set_field`` (a choice field or a custom field), ``notify``,
``create_task``, ``emit`` (a domain event), and the kinds modules register for their entities
(``app.workflows.actions``: an order's ``stock.reserve``), which take no parameters.

``parse`` checks a raw document (from the admin or GraphQL) and returns the typed definition, or
raises ``ValidationFailed`` listing every problem with a path (``states.2.key``) and a code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain import FieldError, ValidationFailed
from app.kit.enums import N_, LabeledEnum
from app.kit.registry import EntitySpec
from app.workflows.actions import action_kind, registered_kinds


class StateCategory(LabeledEnum):
    OPEN = "open", N_("Open")
    WON = "won", N_("Won")
    LOST = "lost", N_("Lost")
    DONE = "done", N_("Done")
    CANCELLED = "cancelled", N_("Cancelled")


class GuardKind(LabeledEnum):
    REQUIRED = "required", N_("Required field")
    ROLE = "role", N_("Role")
    CONDITION = "condition", N_("Condition")


class ActionKind(LabeledEnum):
    SET_FIELD = "set_field", N_("Set a field")
    NOTIFY = "notify", N_("Notify")
    CREATE_TASK = "create_task", N_("Create a task")
    EMIT = "emit", N_("Emit an event")


OPERATORS = ("=", "!=", ">", ">=", "<", "<=")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TOPIC_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$")
LABEL_MAX = 40
TEXT_MAX = 200
MAX_STATES = 30
MAX_GUARDS = 10
MAX_ACTIONS = 10
LOCALES = ("zh_CN", "en")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}

    def text(self) -> str:
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True)
class Guard:
    kind: str
    field: str | None = None  # required, condition
    role: str | None = None  # role: a role key ...
    permission: str | None = None  # ... or a permission string
    op: str | None = None  # condition
    value: Any = None  # condition
    when: Condition | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("field", "role", "permission", "op"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.kind == GuardKind.CONDITION:
            out["value"] = self.value
        if self.when is not None:
            out["when"] = self.when.as_json()
        return out


@dataclass(frozen=True)
class Action:
    kind: str
    field: str | None = None  # set_field
    value: Any = None  # set_field
    to: str | None = None  # notify / create_task: "owner" or a role key
    text: str | None = None  # notify message, task title
    due_in_days: int | None = None  # create_task
    topic: str | None = None  # emit

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("field", "to", "text", "due_in_days", "topic"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.kind == ActionKind.SET_FIELD:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class State:
    key: str
    label: dict[str, str]  # {"zh_CN": "潜在", "en": "Lead"}
    category: str
    position: int
    on_enter: tuple[Action, ...] = ()
    # The chance in percent that a record in this state is won (a sales pipeline's stages); None:
    # the entity does not weigh its records.
    probability: int | None = None

    def label_in(self, locale: str) -> str:
        return self.label.get(locale) or self.label.get("zh_CN") or self.key

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "label": dict(self.label),
            "category": self.category,
            "position": self.position,
        }
        if self.on_enter:
            out["on_enter"] = [a.as_json() for a in self.on_enter]
        if self.probability is not None:
            out["probability"] = self.probability
        return out


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    guards: tuple[Guard, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.source, "to": self.target}
        if self.guards:
            out["guards"] = [g.as_json() for g in self.guards]
        return out


@dataclass(frozen=True)
class Definition:
    states: tuple[State, ...]  # in position order
    transitions: tuple[Transition, ...] = ()
    _by_key: dict[str, State] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update({s.key: s for s in self.states})

    def state(self, key: str | None) -> State | None:
        return self._by_key.get(key or "")

    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.states)

    @property
    def initial(self) -> State:
        """Where a new record starts when it names no state: the first open state, else the first."""
        return next((s for s in self.states if s.category == StateCategory.OPEN), self.states[0])

    def moves_from(self, key: str) -> tuple[Transition, ...]:
        """Allowed moves out of a state, in the order of their target states."""
        order = {s.key: s.position for s in self.states}
        found = [t for t in self.transitions if t.source == key]
        return tuple(sorted(found, key=lambda t: order.get(t.target, 0)))

    def move(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "states": [s.as_json() for s in self.states],
            "transitions": [t.as_json() for t in self.transitions],
        }


# -- defaults ------------------------------------------------------------------------------------


def default_of(key: str) -> dict[str, Any] | None:
    """The workflow an entity declares every tenant starts with (``EntitySpec.default_workflow``)."""
    from app.entities import entity  # every entity declared (registered at import)

    spec = entity(key)
    if spec is None or spec.default_workflow is None:
        return None
    return spec.default_workflow()


# -- parsing and checking ------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))


def _text(raw: Any, limit: int) -> str | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    return text if text and len(text) <= limit and "\x00" not in text else None


def number(raw: Any) -> Decimal | None:
    """A number from an int, float, Decimal or numeric text; None otherwise (bools are not numbers)."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _field_key(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and KEY_RE.match(raw) else None


def _condition(p: _Problems, path: str, raw: Any) -> Condition | None:
    if not isinstance(raw, dict):
        p.add(path, "invalid", "must be an object with field, op and value")
        return None
    name = _field_key(raw.get("field"))
    if name is None:
        p.add(f"{path}.field", "invalid_field", "must be a field key")
    op = raw.get("op")
    if op not in OPERATORS:
        p.add(f"{path}.op", "invalid_choice", f"must be one of {' '.join(OPERATORS)}")
    value = raw.get("value")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        p.add(f"{path}.value", "invalid", "must be a number or text")
    elif op in (">", ">=", "<", "<=") and number(value) is None:
        p.add(f"{path}.value", "not_a_number", "must be a number for this operator")
    elif isinstance(value, str) and len(value) > TEXT_MAX:
        p.add(f"{path}.value", "too_long", f"must be at most {TEXT_MAX} characters")
    if name is None or op not in OPERATORS:
        return None
    return Condition(name, op, value)


def _guard(p: _Problems, path: str, raw: Any, roles: set[str] | None, is_permission: Any) -> Guard | None:
    if not isinstance(raw, dict):
        p.add(path, "invalid", "must be an object")
        return None
    kind = GuardKind.parse(raw.get("kind"))
    when = _condition(p, f"{path}.when", raw["when"]) if raw.get("when") is not None else None
    if kind is GuardKind.REQUIRED:
        name = _field_key(raw.get("field"))
        if name is None:
            p.add(f"{path}.field", "invalid_field", "must be a field key")
            return None
        return Guard(kind, field=name, when=when)
    if kind is GuardKind.ROLE:
        role, permission = raw.get("role"), raw.get("permission")
        if (role is None) == (permission is None):
            p.add(path, "role_or_permission", "give a role key or a permission string")
            return None
        if role is not None and (not isinstance(role, str) or (roles is not None and role not in roles)):
            p.add(f"{path}.role", "unknown_role", f"no role {role!r} in this tenant")
            return None
        if permission is not None and (not isinstance(permission, str) or not is_permission(permission)):
            p.add(f"{path}.permission", "unknown_permission", f"{permission!r} is not a permission")
            return None
        return Guard(kind, role=role, permission=permission, when=when)
    if kind is GuardKind.CONDITION:
        cond = _condition(p, path, raw)
        return Guard(kind, field=cond.field, op=cond.op, value=cond.value, when=when) if cond else None
    p.add(f"{path}.kind", "invalid_choice", f"must be one of {', '.join(GuardKind.values())}")
    return None


def _action(p: _Problems, path: str, raw: Any, spec: EntitySpec, roles: set[str] | None) -> Action | None:
    if not isinstance(raw, dict):
        p.add(path, "invalid", "must be an object")
        return None
    kind = ActionKind.parse(raw.get("kind"))
    if kind is ActionKind.SET_FIELD:
        name = _field_key(raw.get("field"))
        value = raw.get("value")
        if name is None or name == spec.workflow_field:
            p.add(f"{path}.field", "invalid_field", "must be a field other than the stage")
            return None
        if name in spec.fields and name not in spec.choices:
            # Free-text built-in fields feed search and validation; only choice fields are set here.
            p.add(f"{path}.field", "not_settable", "only choice fields and custom fields can be set")
            return None
        enum = spec.choices.get(name)
        if enum is not None and value is not None and enum.parse(value) is None:
            p.add(f"{path}.value", "invalid_choice", f"must be one of {', '.join(enum.values())}")
            return None
        if value is not None and not isinstance(value, str | int | float | bool):
            p.add(f"{path}.value", "invalid", "must be a number, text or a boolean")
            return None
        return Action(kind, field=name, value=value)
    if kind in (ActionKind.NOTIFY, ActionKind.CREATE_TASK):
        to = raw.get("to", "owner")
        if not isinstance(to, str) or (to != "owner" and roles is not None and to not in roles):
            p.add(f"{path}.to", "unknown_role", "must be owner or a role key")
            return None
        text = _text(raw.get("text"), TEXT_MAX)
        if text is None:
            p.add(f"{path}.text", "required", f"is required (at most {TEXT_MAX} characters)")
            return None
        due = raw.get("due_in_days")
        if kind is ActionKind.CREATE_TASK and due is not None:
            if not isinstance(due, int) or isinstance(due, bool) or not 0 <= due <= 365:
                p.add(f"{path}.due_in_days", "out_of_range", "must be between 0 and 365")
                return None
        return Action(kind, to=to, text=text, due_in_days=due if kind is ActionKind.CREATE_TASK else None)
    if kind is ActionKind.EMIT:
        topic = raw.get("topic")
        if not isinstance(topic, str) or not TOPIC_RE.match(topic) or len(topic) > 60:
            p.add(f"{path}.topic", "invalid_topic", "must look like customer.vip_won (lowercase, dotted)")
            return None
        return Action(kind, topic=topic)
    registered = action_kind(raw.get("kind"))
    if registered is not None and registered.applies_to(spec.key):
        return Action(registered.kind)  # a module's kind takes no parameters
    kinds = [*ActionKind.values(), *(k.kind for k in registered_kinds(spec.key))]
    p.add(f"{path}.kind", "invalid_choice", f"must be one of {', '.join(kinds)}")
    return None


def _label(p: _Problems, path: str, raw: Any, key: str) -> dict[str, str]:
    if isinstance(raw, str):
        raw = {"zh_CN": raw}
    if not isinstance(raw, dict):
        p.add(path, "invalid", "must be an object of zh_CN and en labels")
        return {}
    label: dict[str, str] = {}
    for locale in LOCALES:
        value = raw.get(locale)
        if value in (None, ""):
            continue
        text = _text(value, LABEL_MAX)
        if text is None:
            p.add(f"{path}.{locale}", "too_long", f"must be text of at most {LABEL_MAX} characters")
        else:
            label[locale] = text
    if "zh_CN" not in label:
        p.add(f"{path}.zh_CN", "required", "is required")
    label.setdefault("en", label.get("zh_CN", key))
    return label


def parse(
    raw: Any,
    spec: EntitySpec,
    *,
    roles: set[str] | None = None,
    is_permission: Any = lambda _p: True,
) -> Definition:
    """The checked definition, or ``ValidationFailed`` naming every problem at once.

    ``roles`` are the tenant's role keys (role guards and notify targets must name one of them);
    ``is_permission`` tells a known permission string from a typo.
    """
    p = _Problems()
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError("definition", "invalid", "must be an object")])
    raw_states = raw.get("states")
    if not isinstance(raw_states, list) or not raw_states:
        raise ValidationFailed([FieldError("states", "required", "a workflow needs at least one state")])
    if len(raw_states) > MAX_STATES:
        raise ValidationFailed([FieldError("states", "too_many", f"at most {MAX_STATES} states")])
    states: list[State] = []
    seen: set[str] = set()
    for i, rs in enumerate(raw_states):
        path = f"states.{i}"
        if not isinstance(rs, dict):
            p.add(path, "invalid", "must be an object")
            continue
        key = rs.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            p.add(f"{path}.key", "invalid_key", "must be lowercase letters, digits and _ (at most 32)")
            continue
        if key in seen:
            p.add(f"{path}.key", "duplicate_state", f"the state key {key!r} is used twice")
            continue
        seen.add(key)
        category = StateCategory.parse(rs.get("category"))
        if category is None:
            p.add(f"{path}.category", "invalid_choice", f"must be one of {', '.join(StateCategory.values())}")
        actions_raw = rs.get("on_enter") or []
        if not isinstance(actions_raw, list) or len(actions_raw) > MAX_ACTIONS:
            p.add(f"{path}.on_enter", "invalid", f"must be a list of at most {MAX_ACTIONS} actions")
            actions_raw = []
        actions = [_action(p, f"{path}.on_enter.{j}", a, spec, roles) for j, a in enumerate(actions_raw)]
        position = rs.get("position", i)
        if not isinstance(position, int) or isinstance(position, bool):
            position = i
        probability = rs.get("probability")
        if probability is not None and (
            not isinstance(probability, int) or isinstance(probability, bool) or not 0 <= probability <= 100
        ):
            p.add(f"{path}.probability", "out_of_range", "must be a whole number between 0 and 100")
            probability = None
        states.append(
            State(
                key=key,
                label=_label(p, f"{path}.label", rs.get("label"), key),
                category=str(category or StateCategory.OPEN),
                position=position,
                on_enter=tuple(a for a in actions if a is not None),
                probability=probability,
            )
        )
    # Positions are the order the admin sees; renumbered 0..n-1 so gaps and ties never matter.
    states = [
        State(s.key, s.label, s.category, n, s.on_enter, s.probability)
        for n, s in enumerate(sorted(states, key=lambda s: s.position))
    ]
    raw_moves = raw.get("transitions") or []
    if not isinstance(raw_moves, list):
        p.add("transitions", "invalid", "must be a list")
        raw_moves = []
    transitions: list[Transition] = []
    pairs: set[tuple[str, str]] = set()
    for i, rt in enumerate(raw_moves):
        path = f"transitions.{i}"
        if not isinstance(rt, dict):
            p.add(path, "invalid", "must be an object with from and to")
            continue
        source, target = rt.get("from"), rt.get("to")
        bad = False
        for end, value in (("from", source), ("to", target)):
            if value not in seen:
                p.add(f"{path}.{end}", "unknown_state", f"{value!r} is not a state of this workflow")
                bad = True
        if bad:
            continue
        if source == target:
            p.add(path, "same_state", "a move must go to another state")
            continue
        if (source, target) in pairs:
            p.add(path, "duplicate_transition", f"the move {source} → {target} is listed twice")
            continue
        assert isinstance(source, str) and isinstance(target, str)  # both are in ``seen``
        pairs.add((source, target))
        guards_raw = rt.get("guards") or []
        if not isinstance(guards_raw, list) or len(guards_raw) > MAX_GUARDS:
            p.add(f"{path}.guards", "invalid", f"must be a list of at most {MAX_GUARDS} guards")
            guards_raw = []
        guards = [_guard(p, f"{path}.guards.{j}", g, roles, is_permission) for j, g in enumerate(guards_raw)]
        transitions.append(Transition(source, target, tuple(g for g in guards if g is not None)))
    if p.errors:
        raise ValidationFailed(p.errors)
    return Definition(states=tuple(states), transitions=tuple(transitions))


def load(document: dict[str, Any]) -> Definition:
    """A stored definition (checked when it was saved), without re-checking roles."""
    states = tuple(
        State(
            key=s["key"],
            label=dict(s.get("label") or {}),
            category=s.get("category", "open"),
            position=int(s.get("position", i)),
            on_enter=tuple(_load_action(a) for a in s.get("on_enter") or ()),
            probability=s.get("probability"),
        )
        for i, s in enumerate(document.get("states") or ())
    )
    transitions = tuple(
        Transition(t["from"], t["to"], tuple(_load_guard(g) for g in t.get("guards") or ()))
        for t in document.get("transitions") or ()
    )
    return Definition(states=tuple(sorted(states, key=lambda s: s.position)), transitions=transitions)


def _load_condition(raw: dict[str, Any] | None) -> Condition | None:
    return Condition(raw["field"], raw["op"], raw.get("value")) if raw else None


def _load_guard(raw: dict[str, Any]) -> Guard:
    return Guard(
        kind=raw["kind"],
        field=raw.get("field"),
        role=raw.get("role"),
        permission=raw.get("permission"),
        op=raw.get("op"),
        value=raw.get("value"),
        when=_load_condition(raw.get("when")),
    )


def _load_action(raw: dict[str, Any]) -> Action:
    return Action(
        kind=raw["kind"],
        field=raw.get("field"),
        value=raw.get("value"),
        to=raw.get("to"),
        text=raw.get("text"),
        due_in_days=raw.get("due_in_days"),
        topic=raw.get("topic"),
    )
