"""Built-in field types: each parses what a form or the API supplied, validates it, and says how a
form renders it. An entity declares its input once (``Fields``) and ``clean`` turns raw input into
clean values or one ``ValidationFailed`` listing every bad field. The admin's form macros read the
same declarations (``widget``), so a field is declared once for validation and rendering.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from app.domain import FieldError, ValidationFailed
from app.kit.enums import LabeledEnum
from app.reference import divisions

UNSET: Any = object()
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE_NOISE = re.compile(r"[\s\-()]")
_PLAIN_MOBILE = re.compile(r"1(?:[3-68-9][0-9]|7[0-8])[0-9]{8}")
_TAG_SEPARATORS = re.compile(r"[,，\s]+")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class Errors:
    """Collects field errors; ``raise_if_any`` raises them all at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, name: str, code: str, message: str) -> None:
        self.items.append(FieldError(field=name, code=code, message=message))

    def has(self, name: str) -> bool:
        return any(e.field == name or e.field.startswith(name + ".") for e in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(list(self.items))


@dataclass(frozen=True)
class FieldType:
    required: bool = False
    widget: str = "text"

    def clean(self, errors: Errors, name: str, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(FieldType):
    max_length: int = 200
    multiline: bool = False

    @property
    def input_widget(self) -> str:
        return "textarea" if self.multiline else "text"

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.add(name, "invalid", "must be text")
            return None
        value = value.strip()
        if not value:
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if len(value) > self.max_length:
            errors.add(name, "too_long", f"must be at most {self.max_length} characters")
            return None
        return value


@lru_cache(maxsize=4096)  # an import reads each row's number several times (match, rules, clean)
def normalize_mobile(raw: str) -> str | None:
    """A valid mainland-China mobile as 11 digits, or None."""
    digits = _MOBILE_NOISE.sub("", raw)
    if _PLAIN_MOBILE.fullmatch(digits):
        # What ``parse`` makes of it, without its work: no international or carrier prefix to
        # strip (those begin 00, 11, 12 or 179), so the number is +86 and these digits.
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits))
    else:
        try:
            number = phonenumbers.parse(digits, "CN")
        except phonenumbers.NumberParseException:
            return None
    # A +86 number is valid exactly when its type is known (``is_valid_number`` reads the same
    # metadata by the same region), so a mobile type alone says it is valid.
    if number.country_code != 86 or phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    return str(number.national_number)


@dataclass(frozen=True)
class Mobile(FieldType):
    widget: str = "tel"

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        text = _text(self.required, 30).clean(errors, name, value)
        if text is None:
            return None
        mobile = normalize_mobile(text)
        if mobile is None:
            errors.add(name, "invalid_mobile", "is not a valid mainland China mobile number")
        return mobile


@dataclass(frozen=True)
class Email(FieldType):
    widget: str = "email"

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        text = _text(self.required, 254).clean(errors, name, value)
        if text is None:
            return None
        if not EMAIL_RE.match(text):
            errors.add(name, "invalid_email", "is not a valid email address")
            return None
        return text.lower()


@dataclass(frozen=True)
class Choice(FieldType):
    enum: type[LabeledEnum] | None = None
    widget: str = "select"

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        assert self.enum is not None
        if value in (None, ""):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        allowed = _values_of(self.enum)
        if str(value) not in allowed:
            errors.add(name, "invalid_choice", f"must be one of {', '.join(allowed)}")
            return None
        return str(value)


@dataclass(frozen=True)
class Flag(FieldType):
    widget: str = "checkbox"

    def clean(self, errors: Errors, name: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (None, "", "off", "false", "0"):
            return False
        if value in ("on", "true", "1"):
            return True
        errors.add(name, "invalid", "must be true or false")
        return False


@dataclass(frozen=True)
class Day(FieldType):
    """A date; ``past_only`` for birthdays and the like."""

    past_only: bool = False
    widget: str = "date"

    def clean(self, errors: Errors, name: str, value: Any) -> date | None:
        if value in (None, ""):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                errors.add(name, "invalid_date", "must be a date (YYYY-MM-DD)")
                return None
        if not isinstance(value, date):
            errors.add(name, "invalid_date", "must be a date (YYYY-MM-DD)")
            return None
        if self.past_only and (value > date.today() or value.year < 1900):
            errors.add(name, "out_of_range", "must be between 1900 and today")
            return None
        return value


# Times typed without a zone (a form's datetime-local input) are the dealers' local time.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Moment(FieldType):
    """A point in time (stored with its zone); ``future_only`` refuses one already past (a next
    follow-up time, a due date), with a minute's grace for the time it took to submit the form."""

    future_only: bool = False
    widget: str = "datetime"

    def clean(self, errors: Errors, name: str, value: Any) -> datetime | None:
        if value in (None, ""):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                errors.add(name, "invalid_datetime", "must be a date and time (YYYY-MM-DDTHH:MM)")
                return None
        if not isinstance(value, datetime):
            errors.add(name, "invalid_datetime", "must be a date and time (YYYY-MM-DDTHH:MM)")
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=LOCAL_TZ)
        if self.future_only and value < datetime.now(UTC) - timedelta(minutes=1):
            errors.add(name, "in_the_past", "must not be in the past")
            return None
        return value


@dataclass(frozen=True)
class Ref(FieldType):
    """The id of another record (existence and scope are the service's to check)."""

    widget: str = "select"

    def clean(self, errors: Errors, name: str, value: Any) -> uuid.UUID | None:
        if value in (None, ""):
            if self.required:
                errors.add(name, "required", "is required")
            return None
        if isinstance(value, uuid.UUID):
            return value
        try:
            return uuid.UUID(str(value))
        except ValueError:
            errors.add(name, "invalid_id", "is not a valid id")
            return None


@dataclass(frozen=True)
class Tags(FieldType):
    """Free tag names: a list or comma/space-separated text; blanks and repeats dropped."""

    max_length: int = 30
    max_count: int = 20
    widget: str = "tags"

    def clean(self, errors: Errors, name: str, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = _TAG_SEPARATORS.split(value)
        if not isinstance(value, list | tuple):
            errors.add(name, "invalid", "must be a list of tag names")
            return []
        tags: list[str] = []
        for index, raw in enumerate(value):
            tag = str(raw).strip()
            if not tag:
                continue
            if len(tag) > self.max_length:
                errors.add(f"{name}.{index}", "too_long", f"must be at most {self.max_length} characters")
            elif tag not in tags:
                tags.append(tag)
        if len(tags) > self.max_count:
            errors.add(name, "too_many", f"at most {self.max_count} tags")
        return tags


@cache
def _text(required: bool, max_length: int) -> Text:
    """The ``Text`` a field cleans its text with first (one instance, not one per value)."""
    return Text(required=required, max_length=max_length)


@cache
def _values_of(enum: type[LabeledEnum]) -> tuple[str, ...]:
    """``enum.values()``, read once (an enum's members are fixed)."""
    return enum.values()


DIVISION_KEYS = ("province", "city", "district")


def clean_division(
    errors: Errors,
    raw: Mapping[str, Any],
    out: dict[str, Any],
    *,
    required: bool = False,
    keys: tuple[str, ...] = DIVISION_KEYS,
) -> None:
    """Province, city and district as one group: a known chain (official divisions) or an error on
    the deepest supplied level, where the chain breaks. ``keys``: the group's field names
    (``delivery_province``... for ``Fields(division_prefix="delivery_")``)."""
    if not any(k in raw for k in keys):
        return
    parts = [_text(False, 30).clean(errors, k, raw.get(k)) for k in keys]
    if required and not parts[0]:
        errors.add(keys[0], "required", "is required")
    elif not divisions.is_valid(*parts):
        bad = keys[0]
        for key, value in zip(keys, parts, strict=True):
            if value:
                bad = key
        errors.add(bad, "invalid_division", "is not a known province/city/district combination")
    out.update(dict(zip(keys, parts, strict=True)))


@dataclass(frozen=True)
class Fields:
    """An entity's input fields, in form order, with what ``creating`` fills in when absent."""

    types: dict[str, FieldType]
    defaults: dict[str, Any] = field(default_factory=dict)
    # The group of province/city/district fields, validated together.
    division: bool = False
    division_required: bool = False
    # The group's field names start with this: "delivery_" → delivery_province, delivery_city...
    division_prefix: str = ""

    @property
    def division_keys(self) -> tuple[str, ...]:
        return tuple(self.division_prefix + key for key in DIVISION_KEYS)

    def clean(self, raw: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """Clean what was supplied (and, when creating, every declared field); raise every error at once."""
        errors = Errors()
        out = self.collect(raw, creating=creating, errors=errors)
        errors.raise_if_any()
        return out

    def collect(self, raw: Mapping[str, Any], *, creating: bool, errors: Errors) -> dict[str, Any]:
        """``clean`` that adds its errors to ``errors`` instead of raising (to report them together
        with custom-field and workflow problems)."""
        supplied = dict(raw)
        if creating:
            for name in self.types:
                supplied.setdefault(name, self.defaults.get(name))
            if self.division:
                for key in self.division_keys:
                    supplied.setdefault(key, None)
        out: dict[str, Any] = {}
        for name, kind in self.types.items():
            if name in supplied:
                out[name] = kind.clean(errors, name, supplied[name])
        if self.division:
            clean_division(errors, supplied, out, required=self.division_required, keys=self.division_keys)
        return out


def supplied(data: Any) -> dict[str, Any]:
    """The fields of an input dataclass that were given (``UNSET`` means "leave as it is")."""
    return {k: v for k, v in vars(data).items() if v is not UNSET}
