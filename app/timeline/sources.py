"""The timeline's own sources and kinds: changes to the customer and to its child records (the
audit log), stage moves (the workflow history), quick notes, merges.

Child entities declared with ``parent="customer"`` (contacts, addresses, and every later one) get a
kind each, read from the audit log, without registering anything themselves. A module whose records
point at the customer but are not its children (orders, visits, consents) registers its audited
changes as a kind of their own with ``register_audited``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.accounts.models import User
from app.audit.models import AuditRecord
from app.duplicates.models import CustomerMerge
from app.kit.enums import N_
from app.kit.registry import children_of
from app.timeline.models import CustomerNote
from app.timeline.registry import EntryKind, TimelineSource, kind, register_kind, register_source
from app.workflows.models import StageHistory

CUSTOMER = "customer"
RECORD, STAGE, NOTE, MERGE = "record", "stage", "note", "merge"
# Child entities whose records the timeline shows through their own source, not the audit log.
OWN_SOURCE_CHILDREN = frozenset({NOTE})


def entry_id(prefix: str, key: Any) -> Any:
    """A UUID unique across sources, stable for a row (the keyset cursor's tie-breaker)."""
    return cast(func.md5(func.concat(prefix, cast(key, String))), UUID(as_uuid=True))


def _empty() -> Select[Any]:
    """A source with nothing wanted: no rows, the right columns."""
    return _columns(
        select().where(literal(False)),
        id=cast(literal(None), UUID(as_uuid=True)),
        at=func.now(),
        kind=literal(""),
        actor_id=cast(literal(None), UUID(as_uuid=True)),
        actor_label=literal(""),
        data=cast(literal("{}"), JSONB),
    )


def _columns(query: Select[Any], **columns: Any) -> Select[Any]:
    return query.add_columns(*(value.label(name) for name, value in columns.items()))


def _audit_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    """Edits of the customer (its stage moves come from the workflow history) and changes to its
    child records (a contact added, an address edited...)."""
    conditions = []
    if RECORD in wanted:
        conditions.append(
            (AuditRecord.entity == CUSTOMER)
            & (AuditRecord.entity_id == str(customer_id))
            & (AuditRecord.action != "transition")
        )
    for child in children_of(CUSTOMER):
        if child.key in wanted and child.key not in OWN_SOURCE_CHILDREN and child.model is not None:
            model: Any = child.model
            ids = select(cast(model.id, String)).where(
                getattr(model, child.parent_field or "") == customer_id
            )
            conditions.append((AuditRecord.entity == child.key) & AuditRecord.entity_id.in_(ids))
    if not conditions:
        return _empty()
    return _columns(
        select().select_from(AuditRecord).where(or_(*conditions)),
        id=entry_id("audit:", AuditRecord.id),
        at=AuditRecord.at,
        kind=case((AuditRecord.entity == CUSTOMER, literal(RECORD)), else_=AuditRecord.entity),
        actor_id=AuditRecord.actor_id,
        actor_label=AuditRecord.actor_label,
        data=_audit_data(),
    )


def _audit_data(named: Mapping[str, Any] | None = None) -> Any:
    """An audit record as the timeline's generic audit rendering reads it; ``named`` (key → column)
    joins both snapshots, so an entry names its record even where the change did not carry the name,
    and the name never reads as a changed field."""
    before: Any = AuditRecord.before
    after: Any = AuditRecord.after
    if named:
        names = func.jsonb_build_object(*(part for key, column in named.items() for part in (key, column)))
        before, after = before.op("||")(names), after.op("||")(names)
    return func.jsonb_build_object(
        "entity",
        AuditRecord.entity,
        "entity_id",
        AuditRecord.entity_id,
        "action",
        AuditRecord.action,
        "before",
        before,
        "after",
        after,
    )


def audited_rows(
    entity: str, model: Any, named: Mapping[str, Any] | None = None
) -> Callable[[uuid.UUID, frozenset[str]], Select[Any]]:
    """A source: the audited changes of ``entity`` records (``model``, with a ``customer_id``) of the
    customer, each an entry of kind ``entity``."""

    def rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
        return _columns(
            select()
            .select_from(AuditRecord)
            .join(model, cast(model.id, String) == AuditRecord.entity_id)
            .where(AuditRecord.entity == entity, model.customer_id == customer_id),
            id=entry_id(f"{entity}:", AuditRecord.id),
            at=AuditRecord.at,
            kind=literal(entity),
            actor_id=AuditRecord.actor_id,
            actor_label=AuditRecord.actor_label,
            data=_audit_data(named),
        )

    return rows


def register_audited(
    entity: str,
    model: Any,
    *,
    source: str,
    label: str,
    icon: str,
    order: int,
    named: Mapping[str, Any] | None = None,
) -> EntryKind:
    """Show the audited changes of a module's records on their customer's timeline: a source
    (``audited_rows``) and a kind ``entity`` of it, for the filter."""
    register_source(TimelineSource(source, audited_rows(entity, model, named)))
    return register_kind(EntryKind(entity, label, icon, source=source, order=order))


def _stage_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    return _columns(
        select()
        .select_from(StageHistory)
        .where(StageHistory.entity == CUSTOMER, StageHistory.record_id == customer_id),
        id=entry_id("stage:", StageHistory.id),
        at=StageHistory.at,
        kind=literal(STAGE),
        actor_id=StageHistory.actor_id,
        actor_label=StageHistory.actor_label,
        data=func.jsonb_build_object(
            "from", StageHistory.from_state, "to", StageHistory.to_state, "note", StageHistory.note
        ),
    )


def _note_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    return _columns(
        select()
        .select_from(CustomerNote)
        .outerjoin(User, User.id == CustomerNote.created_by)
        .where(CustomerNote.customer_id == customer_id, CustomerNote.deleted_at.is_(None)),
        id=entry_id("note:", CustomerNote.id),
        at=CustomerNote.created_at,
        kind=literal(NOTE),
        actor_id=CustomerNote.created_by,
        actor_label=func.coalesce(User.name, ""),
        data=func.jsonb_build_object(
            "note_id",
            CustomerNote.id,
            "version",
            CustomerNote.version,
            "body",
            CustomerNote.body,
            "attachments",
            CustomerNote.attachments,
            "edited",
            CustomerNote.version > 1,
        ),
    )


def _merge_rows(customer_id: uuid.UUID, wanted: frozenset[str]) -> Select[Any]:
    return _columns(
        select()
        .select_from(CustomerMerge)
        .where(or_(CustomerMerge.kept_id == customer_id, CustomerMerge.merged_id == customer_id)),
        id=entry_id("merge:", CustomerMerge.id),
        at=CustomerMerge.merged_at,
        kind=literal(MERGE),
        actor_id=CustomerMerge.merged_by,
        actor_label=CustomerMerge.actor_label,
        data=func.jsonb_build_object(
            "merge_id",
            CustomerMerge.id,
            "kept_id",
            CustomerMerge.kept_id,
            "merged_id",
            CustomerMerge.merged_id,
            "undone_at",
            CustomerMerge.undone_at,
        ),
    )


register_source(TimelineSource("audit", _audit_rows))
register_source(TimelineSource("stages", _stage_rows))
register_source(TimelineSource("notes", _note_rows))
register_source(TimelineSource("merges", _merge_rows))
register_kind(EntryKind(NOTE, N_("Notes"), "note", source="notes", order=10))
register_kind(EntryKind(RECORD, N_("Changes"), "edit", source="audit", order=20))
register_kind(EntryKind(STAGE, N_("Stage changes"), "stage", source="stages", order=30))
register_kind(EntryKind(MERGE, N_("Merges"), "merge", source="merges", order=90))


def register_child_kinds() -> None:
    """A kind per child entity of the customer (contacts, addresses...), from the kit's registry."""
    for child in children_of(CUSTOMER):
        if child.key not in OWN_SOURCE_CHILDREN and kind(child.key) is None:
            register_kind(
                EntryKind(child.key, child.plural, child.key, source="audit", order=40 + child.section_order)
            )


def union(selects: list[Select[Any]]) -> Any:
    return union_all(*selects) if len(selects) > 1 else selects[0]
