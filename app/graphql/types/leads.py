"""Leads, pools and pooled customers as the API shows and accepts them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from app.graphql.errors import (
    DuplicateCustomerError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    VersionConflictError,
)
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import Connection
from app.graphql.types.customers import Customer
from app.leads.fields import LeadSource as LeadSourceEnum
from app.leads.fields import LeadStatus as LeadStatusEnum

LeadStatus = graphql_enum(LeadStatusEnum, "New, contacted, converted into a customer, or disqualified.")
LeadSource = graphql_enum(LeadSourceEnum, "Where the lead came from.")


@strawberry.type(description="Someone who showed interest (线索), not yet a customer.")
class Lead:
    id: strawberry.ID
    name: str
    mobile: str | None
    email: str | None
    company: str | None
    province: str | None
    city: str | None
    district: str | None
    product_category: str | None = strawberry.field(description="The product interest the rules match on.")
    message: str | None
    source: LeadSource  # type: ignore[valid-type]
    status: LeadStatus  # type: ignore[valid-type]
    owner_id: strawberry.ID | None
    team_id: strawberry.ID | None
    assigned_at: datetime | None
    respond_by: datetime | None = strawberry.field(description="The first-response deadline.")
    responded_at: datetime | None
    overdue: bool = strawberry.field(description="Past respondBy without a first response.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer it became.")
    opportunity_id: strawberry.ID | None = strawberry.field(description="The opportunity opened with it.")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Lead:
        return from_record(
            cls, r, overdue=bool(r.respond_by and r.responded_at is None and r.respond_by < datetime.now(UTC))
        )


@strawberry.type
class LeadConnection(Connection[Lead]):
    pass


@strawberry.input
class LeadFilter:
    search: str | None = strawberry.field(default=None, description="Name, phone, e-mail, company, region.")
    status: LeadStatus | None = None  # type: ignore[valid-type]
    overdue: bool = strawberry.field(default=False, description="Only leads past their first-response time.")


@strawberry.input(description="A lead; without ownerId the tenant's assignment rules pick the owner.")
class CreateLeadInput:
    name: str
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    product_category: str | None = strawberry.UNSET
    message: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input(
    description="Change a lead, given the version you read. A status other than NEW stops its timer."
)
class UpdateLeadInput:
    id: strawberry.ID
    version: int
    name: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    product_category: str | None = strawberry.UNSET
    message: str | None = strawberry.UNSET
    status: LeadStatus | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.type
class LeadPayload:
    lead: Lead


@strawberry.type(description="The lead, converted, and the customer it became.")
class ConvertLeadPayload:
    lead: Lead
    customer: Customer


@strawberry.type(description="A shared customer pool (公海).")
class Pool:
    id: strawberry.ID
    name: str
    team_id: strawberry.ID | None
    province: str | None
    size: int = strawberry.field(description="Customers in it now.")


@strawberry.type(description="A customer in a pool: basic data only; claim it to see the rest.")
class PoolCustomer:
    id: strawberry.ID
    name: str
    province: str | None
    city: str | None
    last_contact: datetime | None
    entered_at: datetime | None


@strawberry.type
class PoolCustomerConnection(Connection[PoolCustomer]):
    pass


@strawberry.type
class CustomerMovePayload:
    customer: Customer


LeadMutationResult = Annotated[
    LeadPayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("LeadMutationResult"),
]
ConvertLeadResult = Annotated[
    ConvertLeadPayload
    | DuplicateCustomerError
    | ValidationError
    | NotFoundError
    | PermissionDeniedError
    | VersionConflictError,
    strawberry.union("ConvertLeadResult"),
]
CustomerMoveResult = Annotated[
    CustomerMovePayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("CustomerMoveResult"),
]
