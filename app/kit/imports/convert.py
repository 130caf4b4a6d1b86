"""One row of cells as the input a form would send: choices by value or label, dates in the ways
Chinese spreadsheets write them, staff by name or email, custom fields by option label. What is
wrong is left for the entity's ``clean`` to say, except what only the file can get wrong (an
unknown or ambiguous staff name)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from app.domain import FieldError
from app.i18n import translate
from app.kit.enums import LabeledEnum
from app.kit.fields import Choice, Day, Fields, Ref
from app.kit.imports.mapping import CUSTOM_PREFIX
from app.kit.imports.reader import cell_text
from app.kit.imports.spec import ImportSpec

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
_SPLIT = re.compile(r"[,，;；、]+")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: Any) -> Any:
    """A date from a cell (a date, or text in a common layout); anything else as it came."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if _ISO_DAY.fullmatch(text):  # the first layout, the usual one, read without strptime
        try:
            return date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            pass  # not a day of the calendar: the layouts say so as before
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return text


class StaffIndex:
    """Active staff by name and by email (lowercased); a name two people share is ambiguous."""

    def __init__(self, users: Sequence[Any]) -> None:
        self.by_email: dict[str, uuid.UUID] = {}
        self.by_name: dict[str, uuid.UUID | None] = {}
        for user in users:
            if not getattr(user, "is_active", True):
                continue
            if user.email:
                self.by_email[user.email.lower()] = user.id
            name = (user.name or "").strip()
            if name:
                self.by_name[name] = None if name in self.by_name else user.id

    def find(self, text: str) -> tuple[uuid.UUID | None, str | None]:
        """The staff id, or None and why (``unknown_staff`` / ``ambiguous_staff``)."""
        key = text.strip()
        if key.lower() in self.by_email:
            return self.by_email[key.lower()], None
        if key in self.by_name:
            found = self.by_name[key]
            return (found, None) if found is not None else (None, "ambiguous_staff")
        return None, "unknown_staff"


def _choice_index(enum: type[LabeledEnum]) -> dict[str, str]:
    """A choice's stored value by the text a cell may hold (stripped, lowercased): its value, its
    label or its Chinese label, the first member in order that has it. A text not in it is kept as
    it came, for ``clean`` to refuse."""
    index: dict[str, str] = {}
    for member in enum:
        for name in (member.value, member.label, translate(member.label, "zh_CN")):
            index.setdefault(name.lower(), member.value)
    return index


def _custom(definition: Any, value: Any) -> Any:
    if definition.type in ("date", "datetime"):
        day = parse_day(value)
        return day.isoformat() if isinstance(day, date) else day
    text = cell_text(value)
    options = {}
    for option in definition.options or []:
        for name in (option.get("value"), option.get("label_zh"), option.get("label_en")):
            if name:
                options[str(name).strip().lower()] = option.get("value")
    if definition.type == "multi_select":
        return [
            options.get(part.strip().lower(), part.strip()) for part in _SPLIT.split(text) if part.strip()
        ]
    if options:
        return options.get(text.lower(), text)
    if definition.type == "boolean":
        return {"是": "true", "否": "false", "yes": "true", "no": "false"}.get(text.lower(), text)
    return text


class RowConverter:
    def __init__(
        self,
        spec: ImportSpec,
        fields: Fields,
        choices: dict[str, type[LabeledEnum]],
        mapping: Sequence[str | None],
        definitions: Sequence[Any],
        staff: StaffIndex,
    ) -> None:
        self.spec = spec
        self.fields = fields
        self.choices = choices
        self.mapping = list(mapping)
        self.definitions = {d.key: d for d in definitions}
        self.staff = staff
        self._choices: dict[type[LabeledEnum], dict[str, str]] = {}  # ``_choice_index`` per enum

    def convert(self, cells: Sequence[Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """The row's input by field (blank cells left out: they neither set nor clear), and the
        problems only the file can have."""
        raw: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        problems: list[FieldError] = []
        for target, value in zip(self.mapping, cells, strict=False):
            if target is None or value is None or (isinstance(value, str) and not value.strip()):
                continue
            if target.startswith(CUSTOM_PREFIX):
                key = target[len(CUSTOM_PREFIX) :]
                definition = self.definitions.get(key)
                if definition is None:
                    continue
                if definition.type == "staff":
                    found, why = self.staff.find(cell_text(value))
                    if found is None:
                        problems.append(
                            FieldError(
                                target,
                                why or "unknown_staff",
                                f"no single staff member is {cell_text(value)!r}",
                            )
                        )
                        continue
                    custom[key] = str(found)
                else:
                    custom[key] = _custom(definition, value)
                continue
            raw[target] = self._builtin(target, value, problems)
        if custom:
            raw["custom"] = custom
        if self.spec.prepare is not None:
            self.spec.prepare(raw)
        return raw, problems

    def _builtin(self, target: str, value: Any, problems: list[FieldError]) -> Any:
        kind = self.fields.types.get(target)
        if target in self.spec.staff_fields or isinstance(kind, Ref) and target in self.spec.staff_fields:
            found, why = self.staff.find(cell_text(value))
            if found is None:
                problems.append(
                    FieldError(
                        target, why or "unknown_staff", f"no single staff member is {cell_text(value)!r}"
                    )
                )
            return found
        if isinstance(kind, Day):
            return parse_day(value)
        enum = kind.enum if isinstance(kind, Choice) else self.choices.get(target)
        if enum is not None:
            index = self._choices.get(enum)
            if index is None:
                index = self._choices[enum] = _choice_index(enum)
            text = cell_text(value)
            return index.get(text.strip().lower(), text)
        return cell_text(value)
