"""Turning raw customer input into clean values, or a list of field errors."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers

from app.customers.fields import GENDERS, KINDS, LIMITS, MAX_TAGS, SOURCES, STATUSES, TIERS
from app.domain import FieldError, ValidationFailed
from app.reference import divisions

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNSET: Any = object()


@dataclass
class CustomerInput:
    """What a form or a GraphQL mutation supplies. ``UNSET`` means "leave as it is" (updates)."""

    name: Any = UNSET
    kind: Any = UNSET
    gender: Any = UNSET
    mobile: Any = UNSET
    email: Any = UNSET
    province: Any = UNSET
    city: Any = UNSET
    district: Any = UNSET
    address_detail: Any = UNSET
    source: Any = UNSET
    status: Any = UNSET
    tier: Any = UNSET
    owner_id: Any = UNSET
    birthday: Any = UNSET
    notes: Any = UNSET
    tags: Any = UNSET
    # Custom-field values by key (checked by app.customfields against the tenant's definitions).
    custom: Any = UNSET

    def supplied(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not UNSET}


@dataclass
class _Collector:
    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field=field_name, code=code, message=message))


def normalize_mobile(raw: str) -> str | None:
    """A valid mainland-China mobile as 11 digits, or None."""
    digits = re.sub(r"[\s\-()]", "", raw)
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return str(number.national_number)


def _text(c: _Collector, name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None:
        value = ""
    if not isinstance(value, str):
        c.add(name, "invalid", "must be text")
        return None
    value = value.strip()
    if not value:
        if required:
            c.add(name, "required", "is required")
        return None
    limit = LIMITS.get(name)
    if limit and len(value) > limit:
        c.add(name, "too_long", f"must be at most {limit} characters")
        return None
    return value


def _choice(
    c: _Collector, name: str, value: Any, allowed: tuple[str, ...], *, required: bool = False
) -> str | None:
    if value in (None, ""):
        if required:
            c.add(name, "required", "is required")
        return None
    if value not in allowed:
        c.add(name, "invalid_choice", f"must be one of {', '.join(allowed)}")
        return None
    return str(value)


def clean(data: CustomerInput, *, creating: bool, today: date | None = None) -> dict[str, Any]:
    """Validate the supplied fields; raise ``ValidationFailed`` listing every bad field at once."""
    c = _Collector()
    raw = data.supplied()
    out: dict[str, Any] = {}
    if creating:
        raw.setdefault("name", None)
        raw.setdefault("kind", "individual")
        raw.setdefault("status", "lead")

    for name in ("name", "address_detail", "notes"):
        if name in raw:
            out[name] = _text(c, name, raw[name], required=name == "name")
    for name, allowed in (("kind", KINDS), ("status", STATUSES)):
        if name in raw:
            out[name] = _choice(c, name, raw[name], allowed, required=True)
    for name, allowed in (("gender", GENDERS), ("tier", TIERS), ("source", SOURCES)):
        if name in raw:
            out[name] = _choice(c, name, raw[name], allowed)

    if "mobile" in raw:
        mobile = _text(c, "mobile", raw["mobile"])
        if mobile is not None:
            out["mobile"] = normalize_mobile(mobile)
            if out["mobile"] is None:
                c.add("mobile", "invalid_mobile", "is not a valid mainland China mobile number")
        else:
            out["mobile"] = None
    if "email" in raw:
        email = _text(c, "email", raw["email"])
        if email is not None and not EMAIL_RE.match(email):
            c.add("email", "invalid_email", "is not a valid email address")
        out["email"] = email.lower() if email else None

    address_keys = ("province", "city", "district")
    if any(k in raw for k in address_keys):
        parts = [_text(c, k, raw.get(k)) for k in address_keys]
        if not divisions.is_valid(*parts):
            bad = next((k for k, v in zip(address_keys, parts, strict=True) if v), "province")
            # Point at the deepest supplied level: that is where the chain breaks.
            for k, v in zip(address_keys, parts, strict=True):
                if v:
                    bad = k
            c.add(bad, "invalid_division", "is not a known province/city/district combination")
        out.update(dict(zip(address_keys, parts, strict=True)))

    if "birthday" in raw:
        out["birthday"] = _birthday(c, raw["birthday"], today or date.today())
    if "owner_id" in raw:
        out["owner_id"] = _uuid(c, "owner_id", raw["owner_id"])
    if "tags" in raw:
        out["tags"] = _tags(c, raw["tags"])

    if c.errors:
        raise ValidationFailed(c.errors)
    return out


def _birthday(c: _Collector, value: Any, today: date) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            c.add("birthday", "invalid_date", "must be a date (YYYY-MM-DD)")
            return None
    if not isinstance(value, date):
        c.add("birthday", "invalid_date", "must be a date (YYYY-MM-DD)")
        return None
    if value > today or value.year < 1900:
        c.add("birthday", "out_of_range", "must be between 1900 and today")
        return None
    return value


def _uuid(c: _Collector, name: str, value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        c.add(name, "invalid_id", "is not a valid id")
        return None


def _tags(c: _Collector, value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[,，\s]+", value)
    if not isinstance(value, list | tuple):
        c.add("tags", "invalid", "must be a list of tag names")
        return []
    tags: list[str] = []
    for i, tag in enumerate(value):
        tag = str(tag).strip()
        if not tag:
            continue
        if len(tag) > LIMITS["tag"]:
            c.add(f"tags.{i}", "too_long", f"must be at most {LIMITS['tag']} characters")
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        c.add("tags", "too_many", f"at most {MAX_TAGS} tags")
    return tags
