"""Entities declare their facts once; shared modules look them up here.

    register(EntitySpec(
        key="customer", label=N_("Customer"), plural=N_("Customers"), module="customers",
        model=Customer, fields={"name": N_("Name"), "status": N_("Status"), ...},
        choices={"status": CustomerStatus, "tier": CustomerTier},
        page="/customers/{id}", nav=NavItem(...), customizable=True, ...
    ))

Labels are msgids (translated where shown). Field labels and choices are per entity, so an
order's ``status`` never collides with a customer's. Error texts an entity adds (``errors``)
extend the shared ones only for that entity's forms and API errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.kit import pinyin_sort
from app.kit.enums import LabeledEnum


@dataclass(frozen=True)
class NavItem:
    key: str  # the nav id pages pass as ``nav=``
    label: str  # msgid
    path: str  # "/customers"
    permission: str  # shown only to holders of this permission
    order: int = 100  # position in the left navigation


@dataclass(frozen=True)
class EntitySpec:
    key: str  # "customer": audit records, custom-field and workflow definitions use this key
    label: str  # msgid, singular
    plural: str  # msgid
    module: str  # the permission module ("customers")
    model: type | None = None
    # Built-in field name → label msgid (forms, detail pages, audit diffs, exports, filters).
    fields: dict[str, str] = field(default_factory=dict)
    # Field name → the enum whose values it stores (labels and choices derive from it).
    choices: dict[str, type[LabeledEnum]] = field(default_factory=dict)
    # Error code → message msgid, for codes only this entity raises.
    errors: dict[str, str] = field(default_factory=dict)
    # Audit action → label msgid, for actions only this entity records (an export's "download",
    # an order's "approve"); create/update/delete/restore/transition are labelled by the audit page.
    actions: dict[str, str] = field(default_factory=dict)
    # Detail page of one record ("/customers/{id}"), for links from the audit log and search.
    page: str | None = None
    nav: NavItem | None = None
    # Accepts per-tenant custom fields (values in the model's ``custom`` JSONB column).
    customizable: bool = False
    # The field that holds the workflow state, when the entity runs on a workflow.
    workflow_field: str | None = None
    # The workflow every tenant starts with (app.workflows.definition's document: states, moves);
    # its state keys are the values ``workflow_field`` may hold.
    default_workflow: Callable[[], dict[str, Any]] | None = None
    # The field naming which of the entity's workflows a record runs on, when a tenant may run
    # several (opportunity pipelines); None: exactly one workflow (key ``default``).
    workflow_key_field: str | None = None
    # How a record is named in the audit log, search results and messages (default: its ``name``).
    title: Callable[[Any], str] | None = None
    # Record fields that hold staff ids (shown as names in audit diffs).
    staff_fields: tuple[str, ...] = ("owner_id",)
    # A child entity lives on its parent's page (contacts on a customer): the parent's key, the
    # foreign key to it, and the URL segment under the parent's page ("/customers/{id}/contacts").
    parent: str | None = None
    parent_field: str | None = None
    slug: str | None = None
    # Position of its section on the parent's page, and which parents show it (default: all).
    section_order: int = 100
    shown_on: Callable[[Any], bool] | None = None
    # Text fields whose list sorts in pinyin order (安 before 张): each keeps a ``<field>_pinyin``
    # column (app.kit.pinyin_sort.pinyin_column), filled on every write.
    pinyin_sort: tuple[str, ...] = ()

    def shows_on(self, parent: Any) -> bool:
        return self.shown_on is None or bool(self.shown_on(parent))

    def field_label(self, name: str) -> str:
        return self.fields.get(name, name)

    def choice_label(self, name: str, value: str | None) -> str | None:
        enum = self.choices.get(name)
        if enum is None or value is None:
            return None
        member = enum.parse(value)
        return member.label if member is not None else None

    def title_of(self, record: Any) -> str:
        if self.title is not None:
            return self.title(record)
        return str(getattr(record, "name", "") or getattr(record, "id", ""))


_entities: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    existing = _entities.get(spec.key)
    if existing is not None and existing is not spec:
        raise ValueError(f"entity {spec.key!r} registered twice")
    _entities[spec.key] = spec
    if spec.model is not None:
        for name in spec.pinyin_sort:
            pinyin_sort.track(spec.model, name)
    return spec


def add_actions(key: str, actions: dict[str, str]) -> None:
    """Label audit actions another module records on ``key``'s records (the pool's claim and release
    of a customer): the audit log and the timeline name them like the entity's own."""
    spec = _entities[key]
    for action, label in actions.items():
        if spec.actions.get(action, label) != label:
            raise ValueError(f"action {action!r} of {key!r} labelled twice")
        spec.actions[action] = label


def entity(key: str) -> EntitySpec | None:
    return _entities.get(key)


def entities() -> tuple[EntitySpec, ...]:
    return tuple(_entities.values())


def children_of(parent: str) -> tuple[EntitySpec, ...]:
    """The entities shown as sections on ``parent``'s page, in section order."""
    return tuple(sorted((s for s in _entities.values() if s.parent == parent), key=lambda s: s.section_order))


def customizable() -> tuple[EntitySpec, ...]:
    return tuple(s for s in _entities.values() if s.customizable)


def workflow_driven() -> tuple[EntitySpec, ...]:
    return tuple(s for s in _entities.values() if s.workflow_field)
