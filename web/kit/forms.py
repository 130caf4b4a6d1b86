"""Declared fields as form widgets, records as form values, errors as messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain import ValidationFailed
from app.i18n import gettext as _
from app.kit.fields import DIVISION_KEYS, LOCAL_TZ, Choice, Fields, Flag, Moment, Text
from app.kit.registry import EntitySpec
from app.reference import divisions
from web.controllers.common import error_text


@dataclass(frozen=True)
class Widget:
    name: str
    label: str  # translated
    widget: str  # text | textarea | tel | email | select | checkbox | date | datetime | division
    required: bool
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, translated label)


def widgets(spec: EntitySpec, fields: Fields, *, skip: tuple[str, ...] = ()) -> list[Widget]:
    """The form's inputs in declaration order; the province/city/district group as one widget."""
    found: list[Widget] = []
    for name, kind in fields.types.items():
        if name in skip:
            continue
        widget = kind.widget
        max_length = None
        choices: tuple[tuple[str, str], ...] = ()
        if isinstance(kind, Text):
            widget, max_length = kind.input_widget, kind.max_length
        if isinstance(kind, Choice) and kind.enum is not None:
            choices = tuple((value, _(label)) for value, label in kind.enum.labels().items())
        found.append(Widget(name, _(spec.field_label(name)), widget, kind.required, max_length, choices))
    if fields.division:
        found.append(Widget("division", _("Address"), "division", fields.division_required))
    return found


def division_options(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The division picker's options for the values a form holds: every province, the chosen
    province's cities (placeholders named as shown), the chosen city's districts. ``prefix``: the
    group's ("delivery_" for delivery_province...)."""
    province = str(values.get(f"{prefix}province") or "")
    city = str(values.get(f"{prefix}city") or "")
    return {
        "provinces": divisions.provinces(),
        "cities": [(c, divisions.display_city(province, c)) for c in divisions.cities(province)]
        if province
        else [],
        "districts": divisions.districts(province, city) if province and city else [],
    }


def form_values(record: Any, fields: Fields) -> dict[str, str]:
    """A record's values as the text its form shows."""
    names = list(fields.types) + (list(fields.division_keys) if fields.division else [])
    values: dict[str, str] = {}
    for name in names:
        value = getattr(record, name, None)
        if isinstance(fields.types.get(name), Flag):
            values[name] = "on" if value else ""
        elif isinstance(value, datetime):
            # What a datetime-local input shows: local time, to the minute.
            values[name] = value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
        elif value is None:
            values[name] = ""
        elif isinstance(value, datetime | date):
            values[name] = value.isoformat()
        else:
            values[name] = str(value)
    values["version"] = str(getattr(record, "version", ""))
    return values


def display(spec: EntitySpec, fields: Fields, record: Any, name: str) -> str:
    """One field of a record as a person reads it."""
    value = getattr(record, name, None)
    kind = fields.types.get(name)
    if isinstance(kind, Flag):
        return _("Yes") if value else _("No")
    if value in (None, ""):
        return "—"
    if isinstance(kind, Moment) and isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    label = spec.choice_label(name, str(value))
    if label:
        return _(label)
    return str(value)


def messages(spec: EntitySpec, exc: ValidationFailed) -> dict[str, str]:
    """Field → translated message (the first per field); codes the entity declared use its texts."""
    found: dict[str, str] = {}
    for error in exc.errors:
        name = error.field.split(".")[0]
        if name in DIVISION_KEYS:
            name = "division"
        if error.code in spec.errors:
            text = _(spec.errors[error.code])
        else:
            text = error_text(error.code, error.message)
        found.setdefault(name, text)
    return found
