"""One class per custom-field type: parse, validate, store, show, export, filter.

Stored forms (the JSON in the entity's ``custom`` column), chosen so equality filters are one
``custom @> {"key": value}`` (GIN ``jsonb_path_ops``) and ranges compare without surprises:

| type | stored as |
|---|---|
| text, long_text, phone, email | string |
| integer | JSON number |
| decimal, money | string of the exact decimal ("12.5", money always "12.50"): no float rounding |
| date | "YYYY-MM-DD" |
| datetime | ISO 8601 in UTC, seconds ("2026-11-27T02:30:00+00:00"), so text order is time order |
| single_select | the option's value |
| multi_select | list of option values, in the options' order |
| boolean | true / false |
| staff | the staff member's id (string) |

``parse`` takes what a form posts (text) or a GraphQL ``JSON`` value and returns the stored form,
None for "empty", or raises ``ValueProblem``; ``check`` applies the definition's validation.

Indexes (the strategy): one GIN ``jsonb_path_ops`` index on the whole ``custom`` column serves
every equality filter of every field (``custom @> {"key": value}``, selects, booleans, staff,
``has`` on multi-selects), so defining a field never runs DDL. Ranges (numbers, dates) are a
guarded cast or a "C"-collated text comparison evaluated on the rows the other conditions leave;
a tenant whose lists filter a range on a big table can get an expression index made for that one
field (``CREATE INDEX ... ((CASE WHEN jsonb_typeof(custom->'k') = 'number' THEN
(custom->>'k')::numeric END))``, the exact expression ``_sortable`` builds), created concurrently
by an operator, not by the definition form. bench/custom_fields.py measures the common case.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Numeric, String, and_, case, cast, func, literal, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from app.i18n import gettext as _
from app.kit.enums import N_
from app.text_input import MESSAGES as TEXT_MESSAGES
from app.text_input import problem as text_problem

# Form times are the dealer's wall-clock time (as shown everywhere in the admin).
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NUMERIC_RE = r"^-?[0-9]+(\.[0-9]+)?$"
INTEGER_LIMIT = 10**15  # exact in every JSON reader (below 2**53)
TEXT_LIMIT, LONG_TEXT_LIMIT = 200, 5000


class Definition(Protocol):
    """What the types read of a definition (the model, or a draft being checked)."""

    key: str
    type: str
    options: list[dict[str, Any]]
    validation: dict[str, Any]


class ValueProblem(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CustomCondition:
    """A list filter on one custom field, checked against its definition (value in stored form)."""

    key: str
    op: str
    value: Any
    type: str


def _json_text(column: Any, key: str) -> ColumnElement[Any]:
    return column[key].astext


def _typeof(column: Any, key: str) -> ColumnElement[Any]:
    return func.jsonb_typeof(column[key])


class FieldType:
    name: ClassVar[str]
    label: ClassVar[str]
    validation_keys: ClassVar[tuple[str, ...]] = ()
    filter_ops: ClassVar[tuple[str, ...]] = ("eq",)
    has_options: ClassVar[bool] = False
    searchable: ClassVar[bool] = False  # its values can join the entity's text search
    input: ClassVar[str] = "text"  # the form control (the Jinja macro switches on it)

    # -- values -------------------------------------------------------------------------------

    def parse(self, raw: Any, definition: Definition) -> Any:
        raise NotImplementedError

    def check(self, value: Any, definition: Definition) -> None:
        """The definition's validation rules; raise ``ValueProblem``."""

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        return "" if value is None else str(value)

    def form_value(self, value: Any) -> Any:
        """What the form control shows (text; a list for multi-select)."""
        return "" if value is None else str(value)

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return self.display(value, definition, "zh_CN")

    def search_text(self, value: Any, definition: Definition) -> str | None:
        return None

    # -- SQL on the JSONB column ----------------------------------------------------------------

    def filter_expression(self, column: Any, condition: CustomCondition) -> ColumnElement[bool]:
        if condition.op == "eq":
            return column.contains({condition.key: condition.value})
        raise ValueError(condition.op)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        """True where the stored value (present, not null) is one this type can read."""
        raise NotImplementedError

    def parse_filter(self, op: str, raw: Any, definition: Definition) -> Any:
        """A filter's value in stored form (for ``in``, a list)."""
        if op == "in":
            items = raw if isinstance(raw, list | tuple) else [p for p in str(raw).split(",") if p.strip()]
            values = [self.parse(item, definition) for item in items]
            return [v for v in values if v is not None]
        return self.parse(raw, definition)


def _text_of(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueProblem("invalid", "must be text")
    code = text_problem(raw)
    if code:
        raise ValueProblem(code, TEXT_MESSAGES[code])
    return raw.strip() or None


class TextType(FieldType):
    name, label = "text", N_("Text")
    validation_keys: ClassVar[tuple[str, ...]] = ("min_length", "max_length", "regex")
    filter_ops: ClassVar[tuple[str, ...]] = ("eq", "contains")
    searchable = True
    limit = TEXT_LIMIT

    def parse(self, raw: Any, definition: Definition) -> Any:
        text = _text_of(raw)
        if text is not None and len(text) > self.limit:
            raise ValueProblem("too_long", f"must be at most {self.limit} characters")
        return text

    def check(self, value: Any, definition: Definition) -> None:
        rules = definition.validation or {}
        if rules.get("min_length") is not None and len(value) < int(rules["min_length"]):
            raise ValueProblem("too_short", f"must be at least {rules['min_length']} characters")
        if rules.get("max_length") is not None and len(value) > int(rules["max_length"]):
            raise ValueProblem("too_long", f"must be at most {rules['max_length']} characters")
        if rules.get("regex") and not re.fullmatch(rules["regex"], value):
            raise ValueProblem("pattern_mismatch", "does not have the required format")

    def search_text(self, value: Any, definition: Definition) -> str | None:
        return value

    def filter_expression(self, column: Any, condition: CustomCondition) -> ColumnElement[bool]:
        if condition.op == "contains":
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", str(condition.value)) + "%"
            return _json_text(column, condition.key).ilike(pattern)
        return super().filter_expression(column, condition)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return and_(
            _typeof(column, definition.key) == "string",
            func.length(_json_text(column, definition.key)) <= self.limit,
        )


class LongTextType(TextType):
    name, label = "long_text", N_("Long text")
    validation_keys = ("min_length", "max_length")
    limit = LONG_TEXT_LIMIT
    input = "textarea"


class PhoneType(TextType):
    name, label = "phone", N_("Phone")
    validation_keys = ()
    input = "tel"

    def parse(self, raw: Any, definition: Definition) -> Any:
        text = _text_of(raw)
        if text is None:
            return None
        compact = re.sub(r"[\s\-()]", "", text)
        try:
            number = phonenumbers.parse(compact, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number) or len(compact) > 20:
            raise ValueProblem("invalid_phone", "is not a valid phone number")
        return compact

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return and_(
            _typeof(column, definition.key) == "string",
            _json_text(column, definition.key).op("~")(r"^\+?[0-9]{3,20}$"),
        )


class EmailType(TextType):
    name, label = "email", N_("Email")
    validation_keys = ()
    input = "email"

    def parse(self, raw: Any, definition: Definition) -> Any:
        text = _text_of(raw)
        if text is None:
            return None
        if len(text) > 254 or not EMAIL_RE.match(text):
            raise ValueProblem("invalid_email", "is not a valid email address")
        return text.lower()

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return and_(
            _typeof(column, definition.key) == "string",
            _json_text(column, definition.key).op("~")(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        )


class _Ranged(FieldType):
    """Numbers and times: equality and ranges; validation min/max."""

    validation_keys = ("min", "max")
    filter_ops = ("eq", "gte", "lte")

    def bound(self, raw: Any, definition: Definition) -> Any:
        return self.parse(raw, definition)

    def check(self, value: Any, definition: Definition) -> None:
        rules = definition.validation or {}
        low, high = rules.get("min"), rules.get("max")
        if low is not None and self._key(value) < self._key(self.bound(low, definition)):
            raise ValueProblem("out_of_range", f"must be at least {low}")
        if high is not None and self._key(value) > self._key(self.bound(high, definition)):
            raise ValueProblem("out_of_range", f"must be at most {high}")

    def _key(self, value: Any) -> Any:
        return value

    def _sortable(self, column: Any, key: str) -> ColumnElement[Any]:
        raise NotImplementedError

    def _bound_sql(self, value: Any) -> Any:
        return value

    def filter_expression(self, column: Any, condition: CustomCondition) -> ColumnElement[bool]:
        if condition.op in ("gte", "lte"):
            left, right = self._sortable(column, condition.key), self._bound_sql(condition.value)
            return left >= right if condition.op == "gte" else left <= right
        return super().filter_expression(column, condition)


class IntegerType(_Ranged):
    name, label = "integer", N_("Integer")
    input = "number"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            raise ValueProblem("invalid_integer", "must be a whole number")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,16}\s*", raw):
            raw = int(raw)
        if not isinstance(raw, int) or abs(raw) >= INTEGER_LIMIT:
            raise ValueProblem("invalid_integer", "must be a whole number")
        return raw

    def _sortable(self, column: Any, key: str) -> ColumnElement[Any]:
        # Guarded cast: a value that is not a number (hand-edited data) never breaks the list.
        return case((_typeof(column, key) == "number", cast(_json_text(column, key), Numeric)))

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        key = definition.key
        return and_(_typeof(column, key) == "number", _json_text(column, key).op("~")(r"^-?[0-9]{1,15}$"))


class DecimalType(_Ranged):
    name, label = "decimal", N_("Decimal")
    input = "number"
    places: int | None = None  # money: exactly 2

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueProblem("invalid_number", "must be a number")
        text = str(raw).strip().replace(",", "")
        if not re.fullmatch(r"-?\d{1,15}(\.\d{1,6})?", text):
            raise ValueProblem("invalid_number", "must be a number")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueProblem("invalid_number", "must be a number") from exc
        if self.places is not None:
            if -number.as_tuple().exponent > self.places:  # type: ignore[operator]
                raise ValueProblem("invalid_money", "must have at most 2 decimal places")
            return str(number.quantize(Decimal(1).scaleb(-self.places)))
        normal = format(number.normalize(), "f")
        return normal if "." in normal else str(int(number))

    def _key(self, value: Any) -> Any:
        return Decimal(value)

    def _sortable(self, column: Any, key: str) -> ColumnElement[Any]:
        text = _json_text(column, key)
        return case((text.op("~")(NUMERIC_RE), cast(text, Numeric)))

    def _bound_sql(self, value: Any) -> Any:
        return cast(literal(str(value)), Numeric)

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return None if value is None else Decimal(value)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        key = definition.key
        text = _json_text(column, key)
        pattern = r"^-?[0-9]+(\.[0-9]{1,2})?$" if self.places is not None else NUMERIC_RE
        return and_(_typeof(column, key).in_(("number", "string")), text.op("~")(pattern))


class MoneyType(DecimalType):
    name, label = "money", N_("Amount (yuan)")
    places = 2

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        return "" if value is None else f"¥{Decimal(value):,.2f}"


class DateType(_Ranged):
    name, label = "date", N_("Date")
    input = "date"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, datetime):
            raw = raw.date()
        if isinstance(raw, date):
            return raw.isoformat()
        if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            raise ValueProblem("invalid_date", "must be a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError as exc:
            raise ValueProblem("invalid_date", "must be a date (YYYY-MM-DD)") from exc

    def _sortable(self, column: Any, key: str) -> ColumnElement[Any]:
        # ISO text in byte order is date order (the "C" collation ignores no punctuation).
        return _json_text(column, key).collate("C")

    def _bound_sql(self, value: Any) -> Any:
        return literal(value, String).collate("C")

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return None if value is None else date.fromisoformat(value)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        key = definition.key
        return and_(_typeof(column, key) == "string", _json_text(column, key).op("~")(r"^\d{4}-\d{2}-\d{2}$"))


class DateTimeType(DateType):
    name, label = "datetime", N_("Date and time")
    input = "datetime-local"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, str):
            try:
                raw = datetime.fromisoformat(raw.strip())
            except ValueError as exc:
                raise ValueProblem("invalid_datetime", "must be a date and time (YYYY-MM-DDTHH:MM)") from exc
        if not isinstance(raw, datetime):
            raise ValueProblem("invalid_datetime", "must be a date and time (YYYY-MM-DDTHH:MM)")
        if raw.tzinfo is None:
            raw = raw.replace(tzinfo=LOCAL_TZ)  # a form's datetime-local is the dealer's time
        return raw.astimezone(UTC).replace(microsecond=0).isoformat()

    def local(self, value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(LOCAL_TZ)

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        return "" if value is None else self.local(value).strftime("%Y-%m-%d %H:%M")

    def form_value(self, value: Any) -> Any:
        return "" if value is None else self.local(value).strftime("%Y-%m-%dT%H:%M")

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return None if value is None else self.local(value).replace(tzinfo=None)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        key = definition.key
        return and_(
            _typeof(column, key) == "string",
            _json_text(column, key).op("~")(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$"),
        )


def option_values(definition: Definition, *, include_archived: bool = True) -> list[str]:
    return [str(o["value"]) for o in definition.options or [] if include_archived or not o.get("archived")]


def option_label(definition: Definition, value: str, locale: str = "zh_CN") -> str:
    for option in definition.options or []:
        if option.get("value") == value:
            text = option.get("label_en") if locale == "en" else None
            return str(text or option.get("label_zh") or value)
    return value


class SingleSelectType(FieldType):
    name, label = "single_select", N_("Single choice")
    filter_ops = ("eq", "in")
    has_options = True
    searchable = True
    input = "select"

    def parse(self, raw: Any, definition: Definition) -> Any:
        text = _text_of(raw) if not isinstance(raw, int | float) or isinstance(raw, bool) else str(raw)
        if text is None:
            return None
        if text not in option_values(definition):
            raise ValueProblem("invalid_choice", f"must be one of {', '.join(option_values(definition))}")
        return text

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        return "" if value is None else option_label(definition, value, locale)

    def search_text(self, value: Any, definition: Definition) -> str | None:
        return option_label(definition, value)

    def filter_expression(self, column: Any, condition: CustomCondition) -> ColumnElement[bool]:
        if condition.op == "in":
            return or_(*[column.contains({condition.key: v}) for v in condition.value])
        return super().filter_expression(column, condition)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return _json_text(column, definition.key).in_(option_values(definition))


class MultiSelectType(FieldType):
    name, label = "multi_select", N_("Multiple choice")
    filter_ops = ("has", "in")
    has_options = True
    searchable = True
    input = "checkboxes"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            raw = [p for p in re.split(r"[,，]", raw) if p.strip()]
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise ValueProblem("invalid", "must be a list of options")
        allowed = option_values(definition)
        chosen = {v.strip() for v in raw}
        unknown = sorted(chosen - set(allowed))
        if unknown:
            raise ValueProblem("invalid_choice", f"must be among {', '.join(allowed)}")
        return [v for v in allowed if v in chosen] or None

    def parse_filter(self, op: str, raw: Any, definition: Definition) -> Any:
        if op == "has":
            return SingleSelectType().parse(raw, definition)
        return self.parse(raw, definition) or []

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        return "、".join(option_label(definition, v, locale) for v in value or [])

    def form_value(self, value: Any) -> Any:
        return list(value or [])

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return "，".join(option_label(definition, v) for v in value or [])

    def search_text(self, value: Any, definition: Definition) -> str | None:
        return " ".join(option_label(definition, v) for v in value or [])

    def filter_expression(self, column: Any, condition: CustomCondition) -> ColumnElement[bool]:
        if condition.op == "has":
            return column.contains({condition.key: [condition.value]})
        if condition.op == "in":
            return or_(*[column.contains({condition.key: [v]}) for v in condition.value])
        raise ValueError(condition.op)

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        key = definition.key
        allowed = cast(literal(option_values(definition), JSONB), JSONB)
        return and_(_typeof(column, key) == "array", column[key].op("<@")(allowed))


TRUE_WORDS, FALSE_WORDS = ("1", "true", "on", "yes", "是"), ("0", "false", "off", "no", "否")


class BooleanType(FieldType):
    name, label = "boolean", N_("Yes / no")
    input = "checkbox"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS:
            return True
        if isinstance(raw, str) and raw.strip().lower() in FALSE_WORDS:
            return False
        raise ValueProblem("invalid_boolean", "must be true or false")

    def display(self, value: Any, definition: Definition, locale: str = "zh_CN") -> str:
        if value is None:
            return ""
        return _("Yes") if value else _("No")

    def form_value(self, value: Any) -> Any:
        return "1" if value else ""

    def export_cell(self, value: Any, definition: Definition) -> Any:
        return "" if value is None else ("是" if value else "否")

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return _typeof(column, definition.key) == "boolean"


class StaffType(FieldType):
    """A staff member; the service checks the id names an active one (the type cannot see the database)."""

    name, label = "staff", N_("Staff member")
    input = "staff"

    def parse(self, raw: Any, definition: Definition) -> Any:
        if raw is None or raw == "":
            return None
        try:
            return str(uuid.UUID(str(raw).strip()))
        except ValueError as exc:
            raise ValueProblem("invalid_id", "is not a valid id") from exc

    def accepts_sql(self, column: Any, definition: Definition) -> ColumnElement[bool]:
        return and_(
            _typeof(column, definition.key) == "string",
            _json_text(column, definition.key).op("~")(
                r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
            ),
        )


TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        TextType(),
        LongTextType(),
        IntegerType(),
        DecimalType(),
        MoneyType(),
        DateType(),
        DateTimeType(),
        SingleSelectType(),
        MultiSelectType(),
        BooleanType(),
        PhoneType(),
        EmailType(),
        StaffType(),
    )
}
FILTER_OPS = ("eq", "contains", "gte", "lte", "in", "has")


def type_of(name: str) -> FieldType:
    return TYPES[name]


def filter_expressions(column: Any, conditions: Any) -> list[ColumnElement[bool]]:
    """SQL for checked conditions on an entity's ``custom`` column (used by the entity's repository)."""
    return [TYPES[c.type].filter_expression(column, c) for c in conditions]
