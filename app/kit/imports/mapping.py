"""Columns to fields: what a header means, found from the entity's declared aliases, its field
labels in both languages and the tenant's custom-field labels; and checks on a mapping a person
adjusted (no field twice, the required ones present)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain import FieldError
from app.i18n import translate
from app.kit.imports.spec import ImportSpec
from app.kit.registry import EntitySpec

CUSTOM_PREFIX = "custom."
_SPACES = re.compile(r"[\s*:：_\-／/]+")
_NOTE = re.compile(r"[（(【\[].*?[)）】\]]")  # "手机(必填)", "生日【yyyy-mm-dd】"


def normalise(header: str) -> str:
    """A header as compared: lowercase, no spaces or marks, no bracketed note."""
    return _SPACES.sub("", _NOTE.sub("", header.strip().lower()))


@dataclass(frozen=True)
class Target:
    key: str  # "mobile" or "custom.warranty_years"
    label: str  # shown on the mapping screen (a msgid for built-ins, the tenant's label for custom)
    custom: bool = False
    required: bool = False


@dataclass(frozen=True)
class Note:
    """Something the person should know about a column: ``unknown`` (not imported), ``duplicate``
    (the same header twice: only the first is imported), ``taken`` (another column already fills
    that field)."""

    column: int
    header: str
    code: str


def label_of(spec: ImportSpec, entity: EntitySpec, key: str) -> str:
    return spec.labels.get(key) or entity.field_label(key)


def targets(
    spec: ImportSpec, entity: EntitySpec, required: Iterable[str], definitions: Sequence[Any]
) -> list[Target]:
    needed = set(required)
    found = [Target(key, label_of(spec, entity, key), required=key in needed) for key in spec.targets()]
    for d in definitions:
        found.append(Target(CUSTOM_PREFIX + d.key, d.label_zh, custom=True, required=bool(d.required)))
    return found


def _names(spec: ImportSpec, entity: EntitySpec, definitions: Sequence[Any]) -> dict[str, str]:
    """Normalised header → target."""
    names: dict[str, str] = {}
    for key in spec.targets():
        label = label_of(spec, entity, key)
        for name in (*spec.aliases[key], key, label, translate(label, "zh_CN")):
            names.setdefault(normalise(name), key)
    for d in definitions:
        for name in (d.label_zh, d.label_en, d.key):
            if name:
                names.setdefault(normalise(name), CUSTOM_PREFIX + d.key)
    return names


def automap(
    headers: Sequence[str],
    spec: ImportSpec,
    entity: EntitySpec,
    definitions: Sequence[Any],
    saved: dict[str, str | None] | None = None,
) -> tuple[list[str | None], list[Note]]:
    """One target (or None) per column, and the notes on columns left out. ``saved``: a template's
    header → target, which wins over the guess."""
    names = _names(spec, entity, definitions)
    valid = {t for t in names.values()}
    mapping: list[str | None] = []
    notes: list[Note] = []
    seen_headers: set[str] = set()
    taken: set[str] = set()
    for column, header in enumerate(headers):
        norm = normalise(header)
        if norm and norm in seen_headers:
            mapping.append(None)
            notes.append(Note(column, header, "duplicate"))
            continue
        seen_headers.add(norm)
        target: str | None
        if saved is not None and header in saved:
            target = saved[header] if saved[header] in valid else None
        else:
            target = names.get(norm)
        if target is None:
            mapping.append(None)
            if saved is None or header not in saved:
                notes.append(Note(column, header, "unknown"))
            continue
        if target in taken:
            mapping.append(None)
            notes.append(Note(column, header, "taken"))
            continue
        taken.add(target)
        mapping.append(target)
    return mapping, notes


def check_mapping(
    mapping: Sequence[str | None], headers: Sequence[str], allowed: Sequence[Target]
) -> list[FieldError]:
    """A mapping as a person submitted it: every target known, none twice, the required ones there."""
    errors: list[FieldError] = []
    known = {t.key: t for t in allowed}
    if len(mapping) != len(headers):
        return [FieldError("mapping", "invalid", "must give one target per column")]
    used: dict[str, int] = {}
    for column, target in enumerate(mapping):
        if target is None:
            continue
        if target not in known:
            errors.append(FieldError(f"mapping.{column}", "invalid_choice", "is not a field of this record"))
        elif target in used:
            errors.append(
                FieldError(
                    f"mapping.{column}", "mapped_twice", f"{target} is already filled by another column"
                )
            )
        else:
            used[target] = column
    for t in allowed:
        if t.required and not t.custom and t.key not in used:
            errors.append(
                FieldError(f"mapping.{t.key}", "unmapped_required", f"no column fills the required {t.key}")
            )
    return errors
