"""Customers as the API shows and accepts them.

Enums name the values stored in ``app.customers.fields`` (``LEAD`` is stored as ``lead``); inputs turn
into ``app.customers.validation.CustomerInput``, where an absent field is ``UNSET``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.accounts.models import User
from app.customers import fields, models
from app.customers import repository as customers_repo
from app.customers.fields import CustomerKind, CustomerSource, CustomerStatus, CustomerTier, Gender
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.validation import CustomerInput
from app.domain import ValidationFailed
from app.graphql.context import GraphQLContext
from app.graphql.errors import (
    DuplicateCustomerError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VersionConflictError,
)
from app.graphql.kit import graphql_enum
from app.graphql.loaders import NOTHING_PRELOADED, Related
from app.graphql.pagination import Connection
from app.graphql.types.accounts import StaffMember
from app.graphql.types.contacts import Contact, CustomerAddress
from app.graphql.types.custom_fields import CustomFieldFilterInput
from app.graphql.types.timeline import TimelineConnection
from app.graphql.units import Unit
from app.tiers.rules import TierSource

if TYPE_CHECKING:
    from app.graphql.privacy import Consent, MaskedSensitiveValue
from app.graphql.types.workflows import StageChange, WorkflowState, builtin_stage, stage_changes, stage_of

# The domain's enums (app.customers.fields) are the GraphQL enums: declared once, cannot drift.
for _domain_enum, _description in (
    (CustomerKind, "Individual person or company."),
    (Gender, None),
    (CustomerStatus, "Where the customer is in the sale: 潜在 / 意向 / 成交 / 流失."),
    (CustomerTier, None),
    (CustomerSource, "How the customer found the dealer."),
    (TierSource, "Who set the tier: a person (kept by the tier rules) or the tenant's tier rules."),
):
    graphql_enum(_domain_enum, _description)


@strawberry.enum
class CustomerSortField(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


# The sort enum spells the domain's sort fields; import fails if the two ever drift apart.
assert tuple(m.value for m in CustomerSortField) == fields.SORT_FIELDS


def _enum(cls: type[enum.Enum], value: str | None) -> Any:
    return cls(value) if value else None


# -- output ---------------------------------------------------------------------------------------


@strawberry.type(description="A postal address by official province / city / district names.")
class Address:
    province: str | None
    city: str | None
    district: str | None
    detail: str | None


@strawberry.type(description="A customer of the dealer (a household or a company).")
class Customer:
    id: strawberry.ID
    name: str
    kind: CustomerKind
    gender: Gender | None
    mobile: str | None = strawberry.field(description="Mainland China mobile, 11 digits.")
    email: str | None
    address: Address
    source: CustomerSource | None
    tier: CustomerTier | None
    tier_source: TierSource = strawberry.field(
        description="MANUAL: a person set the tier and the tier rules keep it; RULE: the rules set it."
    )
    birthday: date | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Pass it back to updateCustomer; it grows with every change.")
    deleted_at: datetime | None = strawberry.field(
        description="Set while the customer is in the recycle bin."
    )
    custom_fields: JSON = strawberry.field(
        description='Custom-field values by key (customFieldDefinitions(entity: "customer")); a field\'s '
        "value stays here, read-only, while the field is archived."
    )
    customer_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]
    stage_key: strawberry.Private[str]  # the workflow state (app.workflows)
    related: strawberry.Private[Related]

    # Plain (not async) resolvers: a list hands every row its page's owners and tags, so fifty rows
    # resolve without fifty awaits; a single customer falls back to the per-request loaders.
    @strawberry.field(description="Tag names, alphabetical.", graphql_type=list[str])
    def tags(self, info: Info[GraphQLContext, None]) -> list[str] | Awaitable[list[str]]:
        if self.related.tags is not None:
            return self.related.tags.get(self.customer_id, [])
        return info.context.loaders.tags.load(self.customer_id)

    @strawberry.field(
        description="The staff member responsible for the customer.", graphql_type=StaffMember | None
    )
    def owner(self, info: Info[GraphQLContext, None]) -> StaffMember | None | Awaitable[StaffMember | None]:
        if self.owner_id is None:
            return None
        if self.related.owners is not None:
            return _staff(self.related.owners.get(self.owner_id))
        return _load_staff(info.context.loaders.owners.load(self.owner_id))

    @strawberry.field(description="The contacts of a company customer, the primary one first.")
    async def contacts(self, info: Info[GraphQLContext, None]) -> list[Contact]:
        loader = info.context.loaders.children("contact", info.context.actor)
        return [Contact.from_model(r) for r in await loader.load(self.customer_id)]

    @strawberry.field(description="Delivery, installation and billing addresses, the default one first.")
    async def addresses(self, info: Info[GraphQLContext, None]) -> list[CustomerAddress]:
        loader = info.context.loaders.children("address", info.context.actor)
        return [CustomerAddress.from_model(r) for r in await loader.load(self.customer_id)]

    @strawberry.field(
        description="The appliances the customer owns (registered on delivery or by hand), with their "
        "serial numbers and warranty ends."
    )
    async def units(self, info: Info[GraphQLContext, None]) -> list[Unit]:
        loader = info.context.loaders.children("unit", info.context.actor)
        return [Unit.from_model(r) for r in await loader.load(self.customer_id)]

    @strawberry.field(
        graphql_type=CustomerStatus,
        description="Where the customer is in the sale: 潜在 / 意向 / 成交 / 流失. A stage the tenant added "
        "reads as the built-in stage before it of the same category; stage names it exactly.",
    )
    def status(self, info: Info[GraphQLContext, None]) -> Any:
        return builtin_stage(info, "customer", self.stage_key, CustomerStatus)

    @strawberry.field(description="The stage in the tenant's own workflow (label, category).")
    async def stage(self, info: Info[GraphQLContext, None]) -> WorkflowState | None:
        return await stage_of(info, "customer", self.stage_key)

    @strawberry.field(description="Every move between stages, newest first: who, when, from, to.")
    async def stage_history(self, info: Info[GraphQLContext, None]) -> list[StageChange]:
        return await stage_changes(info, "customer", self.customer_id)

    @strawberry.field(
        description="Everything that happened to the customer, newest first: edits, stage moves, notes, "
        "changes to contacts and addresses, merges, and what other modules add (timelineKinds). kinds "
        "narrows it; first is 1 to 100."
    )
    async def timeline(
        self,
        info: Info[GraphQLContext, None],
        first: int = 20,
        after: str | None = None,
        kinds: list[str] | None = None,
    ) -> TimelineConnection:
        from app.graphql.customer360 import timeline_connection  # its resolvers use this module's types

        return await timeline_connection(info, self.customer_id, first, after, kinds)

    @strawberry.field(description="Consents per purpose, newest first (withdrawn ones stay, as evidence).")
    async def consents(
        self, info: Info[GraphQLContext, None]
    ) -> list[Annotated[Consent, strawberry.lazy("app.graphql.privacy")]]:
        from app.graphql.privacy import customer_consents  # its types import this module's

        return await customer_consents(info, self.customer_id)  # type: ignore[return-value]

    @strawberry.field(
        description="ID card and bank card numbers, masked; revealSensitive shows one (audited)."
    )
    async def sensitive_fields(
        self, info: Info[GraphQLContext, None]
    ) -> list[Annotated[MaskedSensitiveValue, strawberry.lazy("app.graphql.privacy")]]:
        from app.graphql.privacy import customer_sensitive

        return await customer_sensitive(info, self.customer_id)  # type: ignore[return-value]

    @classmethod
    def from_model(cls, c: models.Customer, related: Related = NOTHING_PRELOADED) -> Customer:
        """Copied eagerly: the record may be expired by a later rollback in the same request."""
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            kind=CustomerKind(c.kind),
            gender=_enum(Gender, c.gender),
            mobile=c.mobile,
            email=c.email,
            address=Address(province=c.province, city=c.city, district=c.district, detail=c.address_detail),
            source=_enum(CustomerSource, c.source),
            tier=_enum(CustomerTier, c.tier),
            tier_source=TierSource(c.tier_source or "rule"),
            birthday=c.birthday,
            notes=c.notes,
            created_at=c.created_at,
            updated_at=c.updated_at,
            version=c.version,
            deleted_at=c.deleted_at,
            custom_fields=cast(JSON, dict(c.custom or {})),
            customer_id=c.id,
            stage_key=c.status,
            owner_id=c.owner_id,
            related=related,
        )


def _staff(user: User | None) -> StaffMember | None:
    return StaffMember.from_model(user) if user else None


async def _load_staff(pending: Awaitable[User | None]) -> StaffMember | None:
    return _staff(await pending)


CustomerConnection = Connection[Customer]


@strawberry.type(description="The customer as saved.")
class CustomerPayload:
    customer: Customer


CustomerResult = Annotated[
    Customer | NotFoundError | PermissionDeniedError, strawberry.union("CustomerResult")
]
CustomerMutationResult = Annotated[
    CustomerPayload
    | ValidationError
    | NotFoundError
    | PermissionDeniedError
    | VersionConflictError
    | DuplicateCustomerError,
    strawberry.union("CustomerMutationResult"),
]


# -- list arguments -------------------------------------------------------------------------------


@strawberry.input(name="CustomerFilter", description="All given conditions must hold.")
class CustomerFilterInput:
    search: str | None = strawberry.field(
        default=None, description="Chinese substrings of name and address, digit runs of the phone, words."
    )
    owner_id: strawberry.ID | None = None
    tag: str | None = None
    status: CustomerStatus | None = None
    tier: CustomerTier | None = None
    source: CustomerSource | None = None
    created_from: date | None = strawberry.field(
        default=None, description="Created on or after this day (China time)."
    )
    created_to: date | None = strawberry.field(
        default=None, description="Created on or before this day (China time); not before createdFrom."
    )
    trashed: bool = strawberry.field(default=False, description="True: only customers in the recycle bin.")
    custom_fields: list[CustomFieldFilterInput] | None = strawberry.field(
        default=None, description="Conditions on filterable custom fields."
    )

    def to_domain(self) -> customers_repo.CustomerFilter:
        """Parsed and checked by the customer's one filter spec (the admin list and exports use it too)."""
        given = {name: getattr(self, name) for name in CUSTOMER_FILTERS.value_names()}
        given["custom"] = [f.to_domain() for f in self.custom_fields or ()]
        parsed = CUSTOMER_FILTERS.parse(given)
        if parsed.errors:
            raise ValidationFailed(parsed.errors)
        return customers_repo.CustomerFilter(**parsed.values)


@strawberry.input(name="CustomerOrder")
class CustomerOrderInput:
    field: CustomerSortField = CustomerSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC

    def to_domain(self) -> customers_repo.CustomerOrder:
        return customers_repo.CustomerOrder(
            field=self.field.value, descending=self.direction is SortDirection.DESC
        )


# -- mutation inputs ------------------------------------------------------------------------------


@strawberry.input(
    description="Province, city and district are checked and stored together as one chain: give all the "
    "levels you know, from the province down (a level left out is cleared). detail is independent."
)
class AddressInput:
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    detail: str | None = strawberry.UNSET


# GraphQL field → CustomerInput field, for the scalar and enum fields.
_SIMPLE_FIELDS = (
    ("name", "name"),
    ("kind", "kind"),
    ("gender", "gender"),
    ("mobile", "mobile"),
    ("email", "email"),
    ("source", "source"),
    ("status", "status"),
    ("tier", "tier"),
    ("owner_id", "owner_id"),
    ("birthday", "birthday"),
    ("notes", "notes"),
    ("tags", "tags"),
)
_ADDRESS_FIELDS = (
    ("province", "province"),
    ("city", "city"),
    ("district", "district"),
    ("detail", "address_detail"),
)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _customer_input(source: Any, *, null_means_clear: bool) -> CustomerInput:
    """Absent stays ``UNSET``; ``null`` clears on update and is the same as absent on create."""

    def given(value: Any) -> bool:
        return value is not strawberry.UNSET and (value is not None or null_means_clear)

    data = CustomerInput()
    for name, target in _SIMPLE_FIELDS:
        value = getattr(source, name)
        if given(value):
            setattr(data, target, _plain(value))
    custom = getattr(source, "custom_fields", strawberry.UNSET)
    if custom is not strawberry.UNSET and custom is not None:
        data.custom = custom
    address = source.address
    if given(address):
        for name, target in _ADDRESS_FIELDS:
            value = None if address is None else getattr(address, name)
            if given(value):
                setattr(data, target, value)
    return data


@strawberry.input
class CreateCustomerInput:
    name: str
    kind: CustomerKind | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to INDIVIDUAL."
    )
    gender: Gender | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    source: CustomerSource | None = strawberry.UNSET
    status: CustomerStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to LEAD."
    )
    tier: CustomerTier | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Defaults to the caller; must be within the caller's data scope.",
    )
    birthday: date | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Custom-field values by key; required fields without a default need one.",
    )

    def to_domain(self) -> CustomerInput:
        return _customer_input(self, null_means_clear=False)


@strawberry.input(description="Fields left out stay as they are; a field set to null is cleared.")
class UpdateCustomerInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one means someone else saved.")
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    source: CustomerSource | None = strawberry.UNSET
    status: CustomerStatus | None = strawberry.UNSET
    tier: CustomerTier | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Only the keys given change; a key set to null is cleared."
    )

    def to_domain(self) -> CustomerInput:
        return _customer_input(self, null_means_clear=True)
