"""The customer timeline, quick notes, duplicates and merges: parse, call the service, render."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from app.duplicates import merge, scan
from app.graphql.context import GraphQLContext
from app.graphql.kit import keyset_connection, mutate, query, record_id
from app.graphql.types.timeline import (
    AddCustomerNoteInput,
    CustomerMerge,
    CustomerMergePayload,
    CustomerMergeResult,
    CustomerNote,
    CustomerNotePayload,
    CustomerNoteResult,
    DuplicateCandidates,
    DuplicatePair,
    DuplicateReason,
    MergeCustomersInput,
    TimelineConnection,
    TimelineEntry,
    TimelineKind,
)
from app.i18n import gettext as _
from app.kit.paging import encode_cursor
from app.timeline import notes
from app.timeline.service import ORDER, customer_timeline, entry_kinds

Info360 = Info[GraphQLContext, None]


async def timeline_connection(
    info: Info360, customer_id: uuid.UUID, first: int, after: str | None, kinds: list[str] | None
) -> TimelineConnection:
    """``Customer.timeline``: one keyset page; bad arguments are a BAD_USER_INPUT error."""
    page = await query(
        info, lambda s, a: customer_timeline(s, a, customer_id, kinds_wanted=kinds, first=first, after=after)
    )
    return keyset_connection(
        TimelineConnection, page, after, lambda e: encode_cursor(e, ORDER), TimelineEntry.from_entry
    )


@strawberry.type
class Customer360Queries:
    @strawberry.field(description="The kinds of timeline entries, in filter order (modules register more).")
    def timeline_kinds(self, info: Info360) -> list[TimelineKind]:
        return [TimelineKind(key=k.key, label=_(k.label), icon=k.icon) for k in entry_kinds()]

    @strawberry.field(
        description="Pairs of customers within your scope that look like one (same mobile, same name in "
        "the same district, same company name ignoring 有限公司 and brackets), newest groups first. "
        "first: 1 to 200."
    )
    async def duplicate_candidates(
        self,
        info: Info360,
        first: int = 50,
        reasons: list[DuplicateReason] | None = None,  # type: ignore[valid-type]
    ) -> DuplicateCandidates:
        wanted = [str(r) for r in reasons] if reasons else None
        found = await query(info, lambda s, a: scan.duplicate_candidates(s, a, reasons=wanted, first=first))
        return DuplicateCandidates(
            pairs=[
                DuplicatePair(
                    reason=c.reason,
                    older_id=strawberry.ID(str(c.older.id)),
                    older_name=c.older.name,
                    newer_id=strawberry.ID(str(c.newer.id)),
                    newer_name=c.newer.name,
                )
                for c in found.pairs
            ],
            group_count=found.groups,
        )


def _note(record: object) -> CustomerNotePayload:
    return CustomerNotePayload(note=CustomerNote.from_model(record))


def _merge(record: object) -> CustomerMergePayload:
    return CustomerMergePayload(merge=CustomerMerge.from_model(record))


@strawberry.type
class Customer360Mutations:
    @strawberry.mutation(description="Add a quick note to a customer's timeline; @姓名 notifies a colleague.")
    async def add_customer_note(self, info: Info360, input: AddCustomerNoteInput) -> CustomerNoteResult:
        schema = info.context.tenant.schema_name
        return await mutate(
            info,
            lambda s, a: notes.add_note(s, a, schema, record_id(input.customer_id, "customer"), input.body),
            _note,
        )

    @strawberry.mutation(
        description="Merge one customer into another: contacts, addresses, notes, tags (and every "
        "module's records) move to the kept customer, its empty fields are filled, the merged one goes to "
        "the recycle bin. Refused into itself or with a deleted customer. Needs customers:edit and "
        "customers:delete."
    )
    async def merge_customers(self, info: Info360, input: MergeCustomersInput) -> CustomerMergeResult:
        return await mutate(
            info,
            lambda s, a: merge.merge_customers(
                s, a, record_id(input.kept_id, "customer"), record_id(input.merged_id, "customer")
            ),
            _merge,
        )

    @strawberry.mutation(
        description="Undo a merge within 30 days: the merged customer comes back with what moved."
    )
    async def undo_merge(self, info: Info360, id: strawberry.ID) -> CustomerMergeResult:
        return await mutate(info, lambda s, a: merge.undo_merge(s, a, record_id(id, "merge")), _merge)
