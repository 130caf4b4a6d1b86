"""Custom-field definitions as the API shows and accepts them; the filter on custom values."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.customfields import models
from app.customfields.service import FieldDraft
from app.customfields.types import FILTER_OPS, TYPES
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record


@strawberry.enum(description="What a custom field holds (stored forms: see customFields on the entity).")
class CustomFieldType(enum.Enum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    SINGLE_SELECT = "single_select"
    MULTI_SELECT = "multi_select"
    BOOLEAN = "boolean"
    PHONE = "phone"
    EMAIL = "email"
    STAFF = "staff"


@strawberry.enum(
    description="EQ any type; CONTAINS text; GTE/LTE numbers and dates; IN single choice; HAS multi choice."
)
class CustomFieldFilterOp(enum.Enum):
    EQ = "eq"
    CONTAINS = "contains"
    GTE = "gte"
    LTE = "lte"
    IN = "in"
    HAS = "has"


# The API's enums spell the domain's values; import fails if the two drift apart.
assert tuple(m.value for m in CustomFieldType) == tuple(TYPES), "CustomFieldType"
assert tuple(m.value for m in CustomFieldFilterOp) == FILTER_OPS, "CustomFieldFilterOp"


@strawberry.type
class CustomFieldOption:
    value: str = strawberry.field(description="Stored in customFields; never changes once records use it.")
    label_zh: str
    label_en: str | None
    color: str | None
    archived: bool = strawberry.field(description="Kept on records that have it, not offered for new values.")


@strawberry.type
class CustomFieldValidation:
    min: JSON | None = strawberry.field(description="Numbers and dates: the smallest value allowed.")
    max: JSON | None
    min_length: int | None
    max_length: int | None
    regex: str | None = strawberry.field(description="Text: the whole value must match this pattern.")


@strawberry.type(description="A field a tenant added to an entity.")
class CustomFieldDefinition:
    id: strawberry.ID
    entity: str
    key: str = strawberry.field(description="The key of the value in the record's customFields.")
    label_zh: str
    label_en: str
    type: CustomFieldType
    required: bool
    options: list[CustomFieldOption]
    validation: CustomFieldValidation
    default: JSON | None
    searchable: bool
    filterable: bool
    show_in_list: bool
    position: int
    group: str | None
    archived: bool
    version: int = strawberry.field(description="Pass it back to updateCustomField.")

    @classmethod
    def from_model(cls, d: models.CustomFieldDefinition) -> CustomFieldDefinition:
        rules = d.validation or {}
        return from_record(
            cls,
            d,
            options=[
                CustomFieldOption(
                    value=o["value"],
                    label_zh=o.get("label_zh") or o["value"],
                    label_en=o.get("label_en") or None,
                    color=o.get("color"),
                    archived=bool(o.get("archived")),
                )
                for o in d.options or []
            ],
            validation=CustomFieldValidation(
                min=rules.get("min"),
                max=rules.get("max"),
                min_length=rules.get("min_length"),
                max_length=rules.get("max_length"),
                regex=rules.get("regex"),
            ),
        )


@strawberry.type(description="The custom field as saved.")
class CustomFieldPayload:
    custom_field: CustomFieldDefinition


CustomFieldMutationResult = Annotated[
    CustomFieldPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("CustomFieldMutationResult"),
]


# -- inputs ---------------------------------------------------------------------------------------


@strawberry.input(description="An option of a choice field. Leave value out to have one made up (o1, o2...).")
class CustomFieldOptionInput:
    label_zh: str
    value: str | None = None
    label_en: str | None = None
    color: str | None = strawberry.field(default=None, description="#rrggbb")
    archived: bool = False


@strawberry.input(
    description="Only the rules the type takes: min/max (numbers, dates), lengths and regex (text)."
)
class CustomFieldValidationInput:
    min: JSON | None = None
    max: JSON | None = None
    min_length: int | None = None
    max_length: int | None = None
    regex: str | None = None


def _draft(source: Any, names: tuple[str, ...]) -> FieldDraft:
    draft = FieldDraft()
    for name in names:
        value = getattr(source, name, strawberry.UNSET)
        if value is strawberry.UNSET:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        elif name == "options" and value is not None:
            value = [
                {
                    "value": o.value,
                    "label_zh": o.label_zh,
                    "label_en": o.label_en,
                    "color": o.color,
                    "archived": o.archived,
                }
                for o in value
            ]
        elif name == "validation" and value is not None:
            value = {k: v for k, v in vars(value).items() if v is not None}
        setattr(draft, name, value)
    return draft


_DRAFT_FIELDS = (
    "key",
    "label_zh",
    "label_en",
    "type",
    "required",
    "options",
    "validation",
    "default",
    "searchable",
    "filterable",
    "show_in_list",
    "position",
    "group",
)


@strawberry.input
class DefineCustomFieldInput:
    entity: str = strawberry.field(description='The entity key, e.g. "customer".')
    key: str = strawberry.field(
        description="Lowercase letters, digits and _, starting with a letter; never changes."
    )
    label_zh: str
    type: CustomFieldType
    label_en: str | None = strawberry.UNSET
    required: bool | None = strawberry.UNSET
    options: list[CustomFieldOptionInput] | None = strawberry.UNSET
    validation: CustomFieldValidationInput | None = strawberry.UNSET
    default: JSON | None = strawberry.UNSET
    searchable: bool | None = strawberry.UNSET
    filterable: bool | None = strawberry.UNSET
    show_in_list: bool | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    group: str | None = strawberry.UNSET

    def to_domain(self) -> FieldDraft:
        return _draft(self, _DRAFT_FIELDS)


@strawberry.input(
    description="Fields left out stay as they are. options replaces the whole list: an option left out is "
    "removed (refused while records use it; archive it instead). A type change is refused while "
    "existing values cannot take the new type."
)
class UpdateCustomFieldInput:
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The version you read, if you want a conflict check."
    )
    label_zh: str | None = strawberry.UNSET
    label_en: str | None = strawberry.UNSET
    type: CustomFieldType | None = strawberry.UNSET
    required: bool | None = strawberry.UNSET
    options: list[CustomFieldOptionInput] | None = strawberry.UNSET
    validation: CustomFieldValidationInput | None = strawberry.UNSET
    default: JSON | None = strawberry.UNSET
    searchable: bool | None = strawberry.UNSET
    filterable: bool | None = strawberry.UNSET
    show_in_list: bool | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    group: str | None = strawberry.UNSET

    def to_domain(self) -> FieldDraft:
        return _draft(self, _DRAFT_FIELDS[1:])


@strawberry.input(name="CustomFieldFilter", description="A condition on one filterable custom field.")
class CustomFieldFilterInput:
    key: str
    op: CustomFieldFilterOp = CustomFieldFilterOp.EQ
    value: JSON = strawberry.field(
        description="In the field's type: a number, a date text, an option value, a list for IN."
    )

    def to_domain(self) -> tuple[str, str, Any]:
        return (self.key, self.op.value, self.value)
