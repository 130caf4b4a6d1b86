"""One filter spec per entity: which filters a list takes, how each is parsed and checked.

Every face reads the same declaration: the admin list (its query string), exports (the filter an
export job stored), the GraphQL filter input (``parse`` of the input's values) and the service
(``check`` before SQL). Bad input is a ``FieldError`` on ``filter.<name>`` in every face: an
unknown choice, a bad date, an inverted range, an over-long search, control characters::

    CUSTOMER_FILTERS = FilterSpec(
        Search("search", N_("Search"), param="q"),
        OneOf("status", N_("Status"), CustomerStatus),
        Owner("owner_id", N_("Owner"), param="owner"),
        DateRange("created", N_("Created"), column="created_at"),
        custom=True,
    )
    parsed = CUSTOMER_FILTERS.parse({"status": "won", "created_from": "2026-01-01"})
    parsed.values, parsed.errors   # typed values by name; a FieldError per bad value

Values come in two shapes and go through the same checks: a query string's text (``from_params``:
the parameter names the admin's URLs use, ``cf.<key>`` for custom fields) and typed values by name
(``parse``: GraphQL inputs, stored export filters).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from app.domain import FieldError
from app.kit.enums import LabeledEnum
from app.text_input import MESSAGES as TEXT_MESSAGES
from app.text_input import problem as text_problem

# Custom-field filters in a query string: ``cf.<key>`` (equality, contains for text, has for multi)
# and ``cf.<key>.gte`` / ``cf.<key>.lte`` (ranges).
CUSTOM_PREFIX = "cf."


def _control_problem(text: str) -> FieldError | None:
    code = text_problem(text)
    if code:
        return FieldError("", code, TEXT_MESSAGES[code])
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return FieldError("", "control_characters", "contains control characters")
    return None


@dataclass(frozen=True)
class Filter:
    """One declared filter: ``name`` is the attribute of the entity's filter value, ``param`` its
    query-string name (default: the name), ``label`` its msgid."""

    name: str
    label: str
    param: str | None = None
    kind: ClassVar[str] = "text"

    @property
    def query_name(self) -> str:
        return self.param or self.name

    def params(self) -> tuple[tuple[str, str], ...]:
        """(query-string parameter, value name) pairs this filter reads."""
        return ((self.query_name, self.name),)

    def clean(self, raw: Any) -> Any:
        """The typed value of ``raw`` (None: no condition); raises ``_Bad`` with a code and message."""
        raise NotImplementedError

    def check(self, values: dict[str, Any]) -> list[FieldError]:
        """Checks across this filter's values once each is clean (ranges)."""
        return []


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(raw: Any, max_length: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _Bad("invalid", "must be text")
    value = raw.strip()
    if not value:
        return None
    problem = _control_problem(value)
    if problem:
        raise _Bad(problem.code, problem.message)
    if len(value) > max_length:
        raise _Bad("too_long", f"must be at most {max_length} characters")
    return value


@dataclass(frozen=True)
class Search(Filter):
    """Free text through the entity's Chinese search."""

    max_length: int = 200
    kind: ClassVar[str] = "search"

    def clean(self, raw: Any) -> Any:
        return _text(raw, self.max_length)


@dataclass(frozen=True)
class Tag(Filter):
    """One tag name (records carrying it)."""

    max_length: int = 30
    kind: ClassVar[str] = "tag"

    def clean(self, raw: Any) -> Any:
        return _text(raw, self.max_length)


@dataclass(frozen=True)
class OneOf(Filter):
    """One value of a declared enum."""

    enum: type[LabeledEnum] | None = None
    kind: ClassVar[str] = "choice"

    def choices(self) -> tuple[str, ...]:
        assert self.enum is not None
        return tuple(self.enum.values())

    def _one(self, raw: Any) -> str:
        value = raw.value if isinstance(raw, LabeledEnum) else raw
        if not isinstance(value, str) or value not in self.choices():
            raise _Bad("invalid_choice", f"must be one of {', '.join(self.choices())}")
        return value

    def clean(self, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return self._one(raw.strip() if isinstance(raw, str) else raw)


@dataclass(frozen=True)
class AnyOf(OneOf):
    """Any of several values of a declared enum (a query string repeats the parameter or separates
    the values with commas)."""

    kind: ClassVar[str] = "multi_choice"

    def clean(self, raw: Any) -> Any:
        if raw is None:
            return None
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        values = [self._one(v.strip() if isinstance(v, str) else v) for v in items if v not in ("", None)]
        return tuple(dict.fromkeys(values)) or None


@dataclass(frozen=True)
class Owner(Filter):
    """A staff member's id (records they own)."""

    kind: ClassVar[str] = "owner"

    def clean(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, uuid.UUID):
            return raw
        try:
            return uuid.UUID(str(raw).strip())
        except ValueError as exc:
            raise _Bad("invalid_id", "is not a valid id") from exc


@dataclass(frozen=True)
class Flag(Filter):
    """A yes/no switch (the recycle bin)."""

    kind: ClassVar[str] = "flag"

    def clean(self, raw: Any) -> Any:
        if isinstance(raw, bool):
            return raw
        return str(raw or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class DateRange(Filter):
    """A day range on a date or time column: ``<name>_from`` and ``<name>_to`` (both ends included),
    ``<param>.from`` / ``<param>.to`` in a query string."""

    column: str = "created_at"
    kind: ClassVar[str] = "date_range"

    @property
    def ends(self) -> tuple[str, str]:
        return f"{self.name}_from", f"{self.name}_to"

    def params(self) -> tuple[tuple[str, str], ...]:
        start, end = self.ends
        return ((f"{self.query_name}.from", start), (f"{self.query_name}.to", end))

    def clean(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, date):
            return raw
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise _Bad("invalid_date", "must be a date (YYYY-MM-DD)") from exc
        if not 1900 <= value.year <= 9998:
            raise _Bad("invalid_date", "must be a date between 1900 and 9998")
        return value

    def check(self, values: dict[str, Any]) -> list[FieldError]:
        start, end = (values.get(e) for e in self.ends)
        if start and end and start > end:
            return [FieldError(f"filter.{self.ends[1]}", "inverted_range", "must not be before the start")]
        return []


@dataclass
class Parsed:
    """Filters as parsed: typed values by name, the query parameters worth keeping (links), the
    problems (one ``FieldError`` per bad value; that value is left out)."""

    values: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    # The error's query-string parameter and what was given (for "“x” is not a valid 状态").
    given: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The query parameter and text of each custom condition, in order (``filter.custom.<i>``).
    custom_params: list[tuple[str, str]] = field(default_factory=list)

    def drop_custom(self, errors: Iterable[FieldError]) -> None:
        """Leave out the custom conditions these errors are about (their parameters too)."""
        bad = set()
        for error in errors:
            parts = error.field.split(".")
            if parts[:2] == ["filter", "custom"] and len(parts) > 2 and parts[2].isdigit():
                bad.add(int(parts[2]))
        if not bad:
            return
        triples = list(self.values.get("custom") or ())
        for i in sorted(bad):
            if i < len(self.custom_params):
                param, raw = self.custom_params[i]
                self.kept.pop(param, None)
                self.given[f"filter.custom.{i}"] = (param, raw)
        self.values["custom"] = tuple(t for i, t in enumerate(triples) if i not in bad)
        self.custom_params = [p for i, p in enumerate(self.custom_params) if i not in bad]


class FilterSpec:
    """An entity's filters, declared once (see the module docstring)."""

    def __init__(self, *filters: Filter, custom: bool = False) -> None:
        self.filters = filters
        self.custom = custom
        self._by_value = {value: f for f in filters for _param, value in f.params()}

    def __iter__(self) -> Any:
        return iter(self.filters)

    def get(self, name: str) -> Filter | None:
        return next((f for f in self.filters if f.name == name), None)

    def value_names(self) -> tuple[str, ...]:
        return tuple(self._by_value)

    def parse(self, data: Mapping[str, Any]) -> Parsed:
        """Typed values by name (GraphQL input, stored export filters): every declared name may be
        absent; ``custom`` (key, op, value) triples pass through for ``check_custom``; unknown names
        are ignored."""
        parsed = Parsed()
        for name, f in self._by_value.items():
            self._clean_one(parsed, f, name, data.get(name), param=name)
        for f in self.filters:
            parsed.errors.extend(f.check(parsed.values))
        if self.custom and data.get("custom"):
            parsed.values["custom"] = _custom_triples(data["custom"], parsed.errors)
        return parsed

    def from_params(self, params: Any, definitions: Iterable[Any] = ()) -> Parsed:
        """A query string (``params.get(name)``): values by name, the parameters to keep in links,
        and ``cf.<key>`` custom filters for the filterable ``definitions``."""
        parsed = Parsed()
        for f in self.filters:
            for param, name in f.params():
                raw = _param(params, param, many=isinstance(f, AnyOf))
                if self._clean_one(parsed, f, name, raw, param=param) is not None:
                    parsed.kept[param] = ",".join(raw) if isinstance(raw, list) else str(raw).strip()
            for error in f.check(parsed.values):
                parsed.errors.append(error)
                name = error.field.removeprefix("filter.")
                param = next(p for p, n in f.params() if n == name)
                parsed.given[error.field] = (param, parsed.kept.pop(param, ""))
                parsed.values.pop(name, None)
        if self.custom:
            triples = []
            for d in definitions:
                if not getattr(d, "filterable", False):
                    continue
                for suffix, op in (("", None), (".gte", "gte"), (".lte", "lte")):
                    if op and op not in _ops(d):
                        continue
                    param = f"{CUSTOM_PREFIX}{d.key}{suffix}"
                    raw = (_param(params, param) or "").strip()
                    if raw:
                        triples.append((param, d.key, op or _first_op(d), raw))
            if triples:
                parsed.values["custom"] = tuple((key, op, raw) for _p, key, op, raw in triples)
                parsed.kept.update({p: raw for p, _k, _o, raw in triples})
                parsed.custom_params = [(p, raw) for p, _k, _o, raw in triples]
        return parsed

    def _clean_one(self, parsed: Parsed, f: Filter, name: str, raw: Any, *, param: str) -> Any:
        try:
            value = f.clean(raw)
        except _Bad as bad:
            error = FieldError(f"filter.{name}", bad.code, bad.message)
            parsed.errors.append(error)
            shown = ",".join(raw) if isinstance(raw, list) else str(raw)
            parsed.given[error.field] = (param, shown)
            return None
        if value is not None and value is not False:
            parsed.values[name] = value
        return value or None

    def check_custom(
        self, parsed: Parsed, definitions: Iterable[Any]
    ) -> tuple[tuple[Any, ...], list[FieldError]]:
        """Custom conditions checked against the fields as they are now: (conditions, errors)."""
        from app.customfields import service as custom_fields

        raw = parsed.values.get("custom") or ()
        return custom_fields.resolve_filters(list(definitions), raw)

    def build(self, target: type, values: Mapping[str, Any]) -> Any:
        """The entity's filter value (``CustomerFilter``) from parsed values."""
        return target(**values)


def _ops(definition: Any) -> tuple[str, ...]:
    from app.customfields.types import TYPES

    return tuple(TYPES[definition.type].filter_ops)


def _first_op(definition: Any) -> str:
    """The operator of a plain ``cf.<key>`` parameter: contains for text, has for multi, else eq."""
    ops = _ops(definition)
    return "contains" if "contains" in ops else "has" if "has" in ops else "eq"


def _param(params: Any, name: str, *, many: bool = False) -> Any:
    if many and hasattr(params, "getall"):
        found = [v for v in params.getall(name, []) if v]
        return found if len(found) > 1 else (found[0] if found else None)
    if many and hasattr(params, "getlist"):
        found = [v for v in params.getlist(name) if v]
        return found if len(found) > 1 else (found[0] if found else None)
    return params.get(name)


def _custom_triples(raw: Any, errors: list[FieldError]) -> tuple[Any, ...]:
    if not isinstance(raw, list | tuple):
        errors.append(FieldError("filter.custom", "invalid", "must be a list of key, op and value"))
        return ()
    return tuple(tuple(c) if isinstance(c, list) else c for c in raw)
