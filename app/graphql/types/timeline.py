"""The customer timeline, notes, duplicates and merges as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from app.duplicates.scan import DuplicateReason as DuplicateReasonEnum
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record, graphql_enum
from app.graphql.pagination import Connection
from app.timeline.service import Entry

DuplicateReason = graphql_enum(DuplicateReasonEnum, "Why two customers look like one.")


@strawberry.type(description="A kind of timeline entry: registered by the module that produces it.")
class TimelineKind:
    key: str = strawberry.field(description="What `timeline(kinds: ...)` takes, e.g. note, record, stage.")
    label: str
    icon: str


@strawberry.type(description="Something that happened to a customer.")
class TimelineEntry:
    id: strawberry.ID
    at: datetime
    kind: str = strawberry.field(description="A key of `timelineKinds`.")
    actor_name: str | None = strawberry.field(description="Who did it (empty for the system).")
    action: str | None = strawberry.field(
        description="For changes: create, update, delete, restore, merge... of `entity`."
    )
    entity: str | None = strawberry.field(
        description="For changes: the record's entity (customer, contact...)."
    )
    changed_fields: list[str] = strawberry.field(description="For edits: the fields that changed.")
    details: JSON = strawberry.field(
        description="What the kind shows: a note's body and attachments, a stage move's from/to/note, "
        "a merge's ids. Edits name their fields only (the values are in the audit log)."
    )

    @classmethod
    def from_entry(cls, entry: Entry) -> TimelineEntry:
        data = {k: v for k, v in entry.data.items() if k not in ("before", "after")}
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            kind=entry.kind,
            actor_name=entry.actor_name or None,
            action=data.get("action"),
            entity=data.get("entity"),
            changed_fields=entry.changed_fields,
            details=cast(JSON, data),
        )


TimelineConnection = Connection[TimelineEntry]


@strawberry.type(description="A quick note on a customer's timeline.")
class CustomerNote:
    id: strawberry.ID
    customer_id: strawberry.ID
    body: str
    mentioned_ids: list[strawberry.ID] = strawberry.field(description="Staff the note @mentions.")
    attachment_names: list[str]
    version: int
    created_at: datetime

    @classmethod
    def from_model(cls, record: Any) -> CustomerNote:
        return from_record(
            cls,
            record,
            mentioned_ids=[strawberry.ID(str(m)) for m in record.mentions or []],
            attachment_names=[a.get("name", "") for a in record.attachments or []],
        )


@strawberry.type
class CustomerNotePayload:
    note: CustomerNote


CustomerNoteResult = Annotated[
    CustomerNotePayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("CustomerNoteResult"),
]


@strawberry.input
class AddCustomerNoteInput:
    customer_id: strawberry.ID
    body: str = strawberry.field(
        description="Up to 2,000 characters; @姓名 mentions a colleague, who is notified."
    )


@strawberry.type(description="Two customers that look like one: merge them with mergeCustomers.")
class DuplicatePair:
    reason: DuplicateReason  # type: ignore[valid-type]
    older_id: strawberry.ID = strawberry.field(description="The one entered first (keep it, usually).")
    older_name: str
    newer_id: strawberry.ID
    newer_name: str


@strawberry.type
class DuplicateCandidates:
    pairs: list[DuplicatePair]
    group_count: int = strawberry.field(description="How many groups of alike customers there are in all.")


@strawberry.type(description="A merge: what moved from the merged customer onto the kept one.")
class CustomerMerge:
    id: strawberry.ID = strawberry.field(description="Pass it to undoMerge (within 30 days).")
    kept_id: strawberry.ID
    merged_id: strawberry.ID
    moved: JSON = strawberry.field(
        description="How many records moved, by kind (contact, address, note, tags...)."
    )
    filled_fields: list[str] = strawberry.field(description="Empty fields of the kept customer filled in.")
    merged_at: datetime
    undone_at: datetime | None

    @classmethod
    def from_model(cls, record: Any) -> CustomerMerge:
        return from_record(
            cls,
            record,
            moved=cast(JSON, {key: len(ids) for key, ids in (record.moved or {}).items()}),
            filled_fields=sorted(record.filled or {}),
        )


@strawberry.type
class CustomerMergePayload:
    merge: CustomerMerge


CustomerMergeResult = Annotated[
    CustomerMergePayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("CustomerMergeResult"),
]


@strawberry.input
class MergeCustomersInput:
    kept_id: strawberry.ID = strawberry.field(description="The customer that stays.")
    merged_id: strawberry.ID = strawberry.field(
        description="The customer merged into it (then in the recycle bin)."
    )


def ids_of(raw: strawberry.ID) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None
