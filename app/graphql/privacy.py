"""Consents, sensitive fields, data-subject exports and erasure: parse, call app.privacy, render."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.domain import Actor
from app.graphql.context import GraphQLContext
from app.graphql.errors import (
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from app.graphql.kit import from_record, graphql_enum, mutate, query, query_one, read_only_refusal, record_id
from app.i18n import gettext as _
from app.privacy import consents, erasure, sensitive, subject_export
from app.privacy.fields import ConsentChannel as DomainConsentChannel
from app.privacy.fields import ConsentPurpose as DomainConsentPurpose
from app.privacy.models import Consent as ConsentModel
from app.privacy.models import SubjectExport

InfoP = Info[GraphQLContext, None]

ConsentPurpose = graphql_enum(
    DomainConsentPurpose, "What a customer consents to (PIPL: each purpose separately)."
)
ConsentChannel = graphql_enum(DomainConsentChannel, "How the consent was given or withdrawn.")


@strawberry.enum(description="A customer's sensitive fields (sealed at rest, shown masked).")
class SensitiveFieldKey(enum.Enum):
    ID_CARD = "id_card"
    BANK_CARD = "bank_card"


@strawberry.type(description="A customer's consent to one purpose; a withdrawn one stays as evidence.")
class Consent:
    id: strawberry.ID
    purpose: ConsentPurpose  # type: ignore[valid-type]
    channel: ConsentChannel  # type: ignore[valid-type]
    policy_version: str = strawberry.field(description="The version of the privacy policy the customer saw.")
    given_at: datetime
    withdrawn_at: datetime | None
    withdraw_channel: ConsentChannel | None  # type: ignore[valid-type]

    @strawberry.field(description="True while the consent has not been withdrawn.")
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    @classmethod
    def from_model(cls, c: ConsentModel) -> Consent:
        return from_record(cls, c)


@strawberry.type(description="One sensitive field, masked (110101********1234); null when nothing is stored.")
class MaskedSensitiveValue:
    field: SensitiveFieldKey
    label: str
    masked: str | None


@strawberry.type
class ConsentPayload:
    consent: Consent


@strawberry.type(description="The full value; this read is in the audit log.")
class RevealedValue:
    field: SensitiveFieldKey
    value: str


@strawberry.type
class SensitiveValuesPayload:
    values: list[MaskedSensitiveValue]


@strawberry.type(description="A data-subject export: all of one person's data as a ZIP of JSON and CSV.")
class DataExport:
    id: strawberry.ID
    customer_id: strawberry.ID
    status: str = strawberry.field(description="queued, running, done or failed.")
    created_at: datetime
    finished_at: datetime | None
    error: str | None

    @strawberry.field(
        description="Where the requester downloads the ZIP in the admin (signed in), once done."
    )
    def download_url(self) -> str | None:
        return f"/privacy/exports/{self.id}/download" if self.status == "done" else None

    @classmethod
    def from_model(cls, e: SubjectExport) -> DataExport:
        return from_record(cls, e)


@strawberry.type
class DataExportPayload:
    export: DataExport


@strawberry.type(description="The customer as it is after erasure (orders keep pointing at it).")
class ErasedCustomer:
    customer_id: strawberry.ID
    name: str


_Errors = ValidationError | NotFoundError | PermissionDeniedError
ConsentResult = Annotated[ConsentPayload | _Errors, strawberry.union("ConsentResult")]
RevealResult = Annotated[RevealedValue | _Errors, strawberry.union("RevealSensitiveResult")]
SensitiveResult = Annotated[SensitiveValuesPayload | _Errors, strawberry.union("UpdateSensitiveResult")]
DataExportResult = Annotated[DataExportPayload | _Errors, strawberry.union("DataExportResult")]
EraseResult = Annotated[ErasedCustomer | _Errors, strawberry.union("EraseCustomerResult")]


@strawberry.input
class RecordConsentInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose  # type: ignore[valid-type]
    channel: ConsentChannel  # type: ignore[valid-type]
    policy_version: str = strawberry.field(description="The privacy policy version shown (e.g. 2026-01).")


@strawberry.input
class WithdrawConsentInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose  # type: ignore[valid-type]
    channel: ConsentChannel  # type: ignore[valid-type]


@strawberry.input
class RevealSensitiveInput:
    customer_id: strawberry.ID
    field: SensitiveFieldKey


@strawberry.input
class UpdateSensitiveInput:
    customer_id: strawberry.ID
    id_card: str | None = strawberry.field(
        default=strawberry.UNSET, description='18 characters with a valid check character; null or "" clears.'
    )
    bank_card: str | None = strawberry.field(
        default=strawberry.UNSET, description='12 to 19 digits passing the Luhn check; null or "" clears.'
    )


@strawberry.input
class CustomerRefInput:
    customer_id: strawberry.ID


def _masked(values: list[sensitive.MaskedValue]) -> list[MaskedSensitiveValue]:
    return [
        MaskedSensitiveValue(field=SensitiveFieldKey(v.field), label=_(v.label), masked=v.masked)
        for v in values
    ]


# -- fields on Customer (app.graphql.types.customers calls these) ---------------------------------


async def customer_consents(info: InfoP, customer_id: uuid.UUID) -> list[Consent]:
    """The customer is already visible to the caller (it was resolved through its service)."""
    async with info.context.db() as session:
        found = await consents.consents_by_customer(session, [customer_id])
    return [Consent.from_model(c) for c in found[customer_id]]


async def customer_sensitive(info: InfoP, customer_id: uuid.UUID) -> list[MaskedSensitiveValue]:
    values = await query(info, lambda s, a: sensitive.masked_values(s, a, "customer", customer_id))
    return _masked(values)


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Customers whose sensitive field holds exactly this value (a full ID card number), "
        "found through a keyed hash; a partial number is a BAD_USER_INPUT error."
    )
    async def customers_by_sensitive_value(
        self, info: InfoP, field: SensitiveFieldKey, value: str
    ) -> list[strawberry.ID]:
        found = await query(info, lambda s, a: sensitive.find_by_value(s, a, "customer", field.value, value))
        return [strawberry.ID(str(c.id)) for c in found]

    @strawberry.field(description="One of your data-subject exports (to poll until it is done).")
    async def data_export(self, info: InfoP, id: strawberry.ID) -> DataExportResult:
        async def load(session: AsyncSession, actor: Actor) -> DataExportPayload:
            found = await subject_export.get_subject_export(session, actor, record_id(id, "subject_export"))
            return DataExportPayload(export=DataExport.from_model(found))

        return await query_one(info, load)  # type: ignore[no-any-return]


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Record a customer's consent to one purpose (refused while one is in force)."
    )
    async def record_consent(self, info: InfoP, input: RecordConsentInput) -> ConsentResult:
        return await mutate(
            info,
            lambda s, a: consents.record_consent(
                s,
                a,
                record_id(input.customer_id, "customer"),
                input.purpose,
                input.channel,
                input.policy_version,
            ),
            lambda c: ConsentPayload(consent=Consent.from_model(c)),
        )

    @strawberry.mutation(
        description="Withdraw a customer's consent in force; withdrawing SENSITIVE_DATA deletes their "
        "sensitive fields."
    )
    async def withdraw_consent(self, info: InfoP, input: WithdrawConsentInput) -> ConsentResult:
        return await mutate(
            info,
            lambda s, a: consents.withdraw_consent(
                s, a, record_id(input.customer_id, "customer"), input.purpose, input.channel
            ),
            lambda c: ConsentPayload(consent=Consent.from_model(c)),
        )

    @strawberry.mutation(
        description="Set or clear a customer's ID card or bank card number. Needs customers:edit and the "
        "customer's SENSITIVE_DATA consent in force; never returns the number (only masked)."
    )
    async def update_sensitive(self, info: InfoP, input: UpdateSensitiveInput) -> SensitiveResult:
        values: dict[str, Any] = {}
        for name in ("id_card", "bank_card"):
            given = getattr(input, name)
            if given is not strawberry.UNSET:
                values[name] = given
        return await mutate(
            info,
            lambda s, a: sensitive.save_sensitive(
                s, a, "customer", record_id(input.customer_id, "customer"), values
            ),
            lambda v: SensitiveValuesPayload(values=_masked(v)),
        )

    @strawberry.mutation(description="The full value of a sensitive field. Needs customers:reveal; audited.")
    async def reveal_sensitive(self, info: InfoP, input: RevealSensitiveInput) -> RevealResult:
        return await mutate(
            info,
            lambda s, a: sensitive.reveal(
                s, a, "customer", record_id(input.customer_id, "customer"), input.field.value
            ),
            lambda v: RevealedValue(field=input.field, value=v),
        )

    @strawberry.mutation(
        description="Export all of a customer's data (PIPL) as a ZIP made in the background; poll "
        "dataExport(id). Needs privacy:manage; only the requester can download it."
    )
    async def request_data_export(self, info: InfoP, input: CustomerRefInput) -> DataExportResult:
        result = await mutate(
            info,
            lambda s, a: subject_export.request_subject_export(
                s, a, record_id(input.customer_id, "customer")
            ),
            lambda e: DataExportPayload(export=DataExport.from_model(e)),
        )
        if isinstance(result, DataExportPayload):
            request: Any = info.context.request
            await subject_export.enqueue(
                getattr(request.app.state, "arq", None),
                info.context.tenant.schema_name,
                uuid.UUID(str(result.export.id)),
            )
        return result  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Anonymise a customer (PIPL erasure): name, contacts, phones, addresses, notes and "
        "sensitive fields go; orders and statistics stay. Refused while an order is open. Needs "
        "privacy:manage."
    )
    async def erase_customer(self, info: InfoP, input: CustomerRefInput) -> EraseResult:
        if refusal := read_only_refusal(info.context.actor):
            return refusal
        schema = info.context.tenant.schema_name
        return await mutate(
            info,
            lambda s, a: erasure.erase_customer(
                s, a, record_id(input.customer_id, "customer"), schema=schema
            ),
            lambda c: ErasedCustomer(customer_id=strawberry.ID(str(c.id)), name=c.name),
        )
