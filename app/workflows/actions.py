"""Kinds of action a workflow state can run on entry, registered by the modules that own them.

The engine knows four kinds itself (``set_field``, ``notify``, ``create_task``, ``emit``: see
``app.workflows.definition.ActionKind``). A module adds its own by registering a runner, e.g. the
orders module's ``stock.reserve``::

    register_action(ActionKindSpec(
        kind="stock.reserve", label=N_("Reserve the order's stock"), entities=("order",),
        run=reserve_order_stock,
    ))

A tenant admin then puts the kind on any state of a workflow of those entities (the editor and
``updateWorkflow`` offer only the kinds registered for the entity), so the behaviour follows the
action, never a state's key: renaming or replacing a stage keeps it, removing the action removes it.

A runner is awaited inside the move's transaction, after the state is set and its history written;
a ``DomainError`` it raises refuses the whole move (nothing is kept). It receives the person who
made the move; whatever it does beyond that person's own permissions it must do as an explicit
system action on their behalf (``system_actor``), so the audit log says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain import Actor

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.kit.registry import EntitySpec
    from app.workflows.definition import Action

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")  # module.verb: never a built-in's name


@dataclass(frozen=True)
class ActionRun:
    """What a runner gets: the move being made and the record (loaded for update) it moves."""

    session: AsyncSession
    actor: Actor  # who made the move
    spec: EntitySpec
    record: Any
    action: Action
    source: str | None
    target: str
    # What the caller's verb passes along for its own actions (an order's serial numbers to ship).
    extras: Mapping[str, Any] = field(default_factory=dict)

    def system_actor(self, *permissions: str) -> Actor:
        """The system running this action on behalf of the mover, with ``permissions`` added;
        the audit log names both ("张三 <…> · system: order→approved stock.reserve")."""
        return system_actor(self.actor, f"{self.spec.key}→{self.target} {self.action.kind}", permissions)


Runner = Callable[[ActionRun], Awaitable[None]]


@dataclass(frozen=True)
class ActionKindSpec:
    kind: str  # "stock.reserve": lowercase module.verb
    label: str  # msgid, shown in the workflow editor
    run: Runner
    # The entity keys whose workflows may use it; empty: every workflow-driven entity.
    entities: tuple[str, ...] = ()
    description: str = ""  # msgid, a line under the kind in the editor

    def applies_to(self, entity_key: str) -> bool:
        return not self.entities or entity_key in self.entities


_kinds: dict[str, ActionKindSpec] = {}


def register_action(spec: ActionKindSpec) -> ActionKindSpec:
    if not KIND_RE.match(spec.kind):
        raise ValueError(f"action kind {spec.kind!r} must look like module.verb")
    existing = _kinds.get(spec.kind)
    if existing is not None and existing is not spec:
        raise ValueError(f"action kind {spec.kind!r} registered twice")
    _kinds[spec.kind] = spec
    return spec


def action_kind(kind: str | None) -> ActionKindSpec | None:
    return _kinds.get(kind or "")


def registered_kinds(entity_key: str | None = None) -> tuple[ActionKindSpec, ...]:
    """Module-registered kinds (for one entity's workflows when ``entity_key`` is given), in the
    order their modules registered them."""
    return tuple(s for s in _kinds.values() if entity_key is None or s.applies_to(entity_key))


def system_actor(actor: Actor, what: str, permissions: tuple[str, ...] | frozenset[str] = ()) -> Actor:
    """``actor``'s request, acted on by the system doing ``what`` for them with ``permissions`` added."""
    return dataclasses.replace(
        actor, permissions=actor.permissions | frozenset(permissions), system_action=what[:60]
    )
