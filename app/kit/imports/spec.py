"""What an entity declares to be importable: the header names each field goes by, the fields that
identify an existing record (the duplicate policy), and the fields that name a staff member.

    register_import(ImportSpec(
        entity="customer",
        aliases={"name": ("姓名", "客户名称", "name"), "mobile": ("手机", "手机号码", "mobile"), ...},
        match=("mobile",),
    ))

Everything else (validation, scope, audit, events) is the entity service's: the importer calls its
verbs, so an imported record obeys exactly the rules of one typed into the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

POLICIES = ("skip", "update", "create")


@dataclass(frozen=True)
class ImportSpec:
    entity: str  # the kit registry's key
    # Field (a declared input field, or one ``prepare`` consumes) → header names it is known by,
    # Chinese and English; the field's own label (both languages) and name always match too.
    aliases: dict[str, tuple[str, ...]]
    # Labels (msgids) of targets that are not declared fields of the entity (a customer's 电话).
    labels: dict[str, str] = field(default_factory=dict)
    # Fields that identify an existing record ("the same customer"), checked in order.
    match: tuple[str, ...] = ()
    # Fields holding a staff id, filled from a staff member's name or email in the file.
    staff_fields: tuple[str, ...] = ("owner_id",)
    # Adjusts one row's input before the service sees it (``raw`` by field; returns nothing).
    prepare: Callable[[dict[str, Any]], None] | None = None
    # Besides its columns, what an update changes and undo must put back (a customer's tags):
    # ``load(session, ids) -> {id: state}`` and ``restore(session, id, state)``.
    extra_state: tuple[Callable[..., Any], Callable[..., Any]] | None = None
    # The plan quota each created record counts against ("customers"), checked once per chunk.
    quota: str | None = None
    # Title of the rejects file and the import page ("客户").
    file_title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def targets(self) -> tuple[str, ...]:
        return tuple(self.aliases)


_imports: dict[str, ImportSpec] = {}


def register_import(spec: ImportSpec) -> ImportSpec:
    existing = _imports.get(spec.entity)
    if existing is not None and existing is not spec:
        raise ValueError(f"import of {spec.entity!r} registered twice")
    _imports[spec.entity] = spec
    return spec


def import_spec(entity: str) -> ImportSpec | None:
    return _imports.get(entity)


def importable() -> tuple[ImportSpec, ...]:
    return tuple(_imports.values())
