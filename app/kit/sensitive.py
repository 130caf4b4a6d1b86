"""Sensitive fields an entity declares (PIPL 敏感个人信息): validated here, stored sealed by
``app.privacy`` (never in the entity's own row, its audit snapshots, logs or list exports).

    register_sensitive("customer", SensitiveFields(
        fields={"id_card": IdCardNumber(label=N_("ID card number")), ...},
        subject=lambda record: record.id,      # the customer whose consent covers the record
    ))

A value is shown masked (``110101********1234``); revealing it needs the entity module's
``reveal`` permission and is audited; saving one needs the subject's "sensitive data" consent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.kit.fields import Errors

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SPACES = re.compile(r"[\s\-]")


def id_card_checksum_ok(number: str) -> bool:
    """The GB 11643 check character of an 18-character resident ID number."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class SensitiveField:
    label: str  # msgid
    widget: str = "text"

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        raise NotImplementedError

    def mask(self, value: str) -> str:
        raise NotImplementedError

    def _text(self, errors: Errors, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            errors.add(name, "invalid", "must be text")
            return None
        return _SPACES.sub("", value).upper() or None


@dataclass(frozen=True)
class IdCardNumber(SensitiveField):
    """A mainland resident ID card number: 18 characters, a real birth date, GB 11643 check character."""

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        text = self._text(errors, name, value)
        if text is None:
            return None
        if not re.fullmatch(r"\d{17}[\dX]", text):
            errors.add(name, "invalid_id_number", "must be 18 characters: 17 digits and a digit or X")
            return None
        try:
            born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            born = None
        if born is None or born > date.today() or born.year < 1900:
            errors.add(name, "invalid_id_number", "does not hold a valid birth date")
            return None
        if not id_card_checksum_ok(text):
            errors.add(name, "invalid_id_checksum", "fails the check character (a digit is mistyped)")
            return None
        return text

    def mask(self, value: str) -> str:
        return value[:6] + "*" * 8 + value[-4:]


@dataclass(frozen=True)
class BankCardNumber(SensitiveField):
    """A bank card number: 12 to 19 digits passing the Luhn check."""

    def clean(self, errors: Errors, name: str, value: Any) -> str | None:
        text = self._text(errors, name, value)
        if text is None:
            return None
        if not re.fullmatch(r"\d{12,19}", text):
            errors.add(name, "invalid_bank_card", "must be 12 to 19 digits")
            return None
        if not luhn_ok(text):
            errors.add(name, "invalid_bank_card_checksum", "fails the Luhn check (a digit is mistyped)")
            return None
        return text

    def mask(self, value: str) -> str:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]


@dataclass(frozen=True)
class SensitiveFields:
    """An entity's sensitive fields, in display order, and whose consent covers a record's values."""

    fields: dict[str, SensitiveField]
    subject: Callable[[Any], uuid.UUID]
    # The consent purpose that must be in force before a value is saved.
    consent: str = "sensitive_data"


_declared: dict[str, SensitiveFields] = {}


def register_sensitive(entity: str, declared: SensitiveFields) -> SensitiveFields:
    existing = _declared.get(entity)
    if existing is not None and existing is not declared:
        raise ValueError(f"sensitive fields of {entity!r} declared twice")
    _declared[entity] = declared
    return declared


def sensitive_fields(entity: str) -> SensitiveFields | None:
    return _declared.get(entity)


def entities_with_sensitive_fields() -> tuple[str, ...]:
    return tuple(_declared)


# How the global search finds a record by a full sensitive value (a keyed hash, app.privacy):
# registered by the module that stores the values, so the kit needs no import of it.
ExactFinder = Callable[[Any, str, str], Awaitable[list[uuid.UUID]]]
_finders: list[ExactFinder] = []


def register_exact_finder(finder: ExactFinder) -> None:
    _finders[:] = [finder]


async def exact_matches(session: Any, entity: str, query: str) -> list[uuid.UUID]:
    """Records of ``entity`` whose sensitive field holds exactly ``query`` (none when the entity
    declares no sensitive field or the query is no valid value of one)."""
    if not _finders or entity not in _declared:
        return []
    return await _finders[0](session, entity, query)
