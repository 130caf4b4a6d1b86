"""Merging two customers into one, and undoing it within 30 days.

Everything related moves from the merged customer to the kept one: every child entity declared
with ``parent="customer"`` on the kit (contacts, addresses, notes, and later orders and tickets)
without registering anything, the tags, and whatever a module registers as a ``Mover`` for records
that are not kit children. The kept customer's empty fields are filled from the merged one. The
merged customer goes to the recycle bin; both audit records keep the full originals. A merge
records what it moved, so its undo moves exactly that back (records added since stay).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.customers import service as customers
from app.customers.models import Customer, CustomerTag
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, ValidationFailed
from app.duplicates.models import CustomerMerge
from app.events import service as events
from app.kit.registry import children_of
from app.kit.service import service_for, unit_of_work
from app.platform import quotas

UNDO_WINDOW = timedelta(days=30)
# Fields of the kept customer that a merge fills in from the merged one when they are empty.
FILLABLE = (
    "gender",
    "mobile",
    "email",
    "province",
    "city",
    "district",
    "address_detail",
    "source",
    "tier",
    "birthday",
    "notes",
)

MoveFn = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[list[str]]]
UndoFn = Callable[[AsyncSession, list[str], uuid.UUID, uuid.UUID], Awaitable[None]]


@dataclass(frozen=True)
class Mover:
    """Records of a module that follow a merged customer (when they are not kit children).

    ``move(session, merged_id, kept_id)`` re-points them and returns their ids; ``undo(session,
    ids, kept_id, merged_id)`` puts those back."""

    key: str
    move: MoveFn
    undo: UndoFn


_movers: dict[str, Mover] = {}


def register_mover(mover: Mover) -> Mover:
    if mover.key in _movers and _movers[mover.key] is not mover:
        raise ValueError(f"merge mover {mover.key!r} registered twice")
    _movers[mover.key] = mover
    return mover


# -- the movers every merge has: kit children and tags ----------------------------------------------


async def _move_children(
    session: AsyncSession, spec_key: str, source: uuid.UUID, target: uuid.UUID
) -> list[str]:
    spec = next(s for s in children_of("customer") if s.key == spec_key)
    model: Any = spec.model
    parent = getattr(model, spec.parent_field or "")
    moved = list(
        (
            await session.scalars(
                update(model).where(parent == source).values({parent: target}).returning(model.id)
            )
        ).all()
    )
    flag = service_for(spec_key).one_per_parent
    if flag and moved:
        # The kept customer's primary contact / default address stays the one.
        kept_flagged = await session.scalar(
            select(model.id)
            .where(parent == target, model.id.not_in(moved), getattr(model, flag).is_(True))
            .limit(1)
        )
        if kept_flagged is not None:
            await session.execute(update(model).where(model.id.in_(moved)).values({flag: False}))
    return [str(i) for i in moved]


async def _tags_move(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> list[str]:
    theirs = set(
        (await session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == source))).all()
    )
    ours = set(
        (await session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == target))).all()
    )
    added = sorted(theirs - ours)
    if added:
        await session.execute(
            pg_insert(CustomerTag).values([{"customer_id": target, "tag_id": t} for t in added])
        )
    return [str(t) for t in added]


async def _tags_undo(session: AsyncSession, ids: list[str], kept: uuid.UUID, merged: uuid.UUID) -> None:
    if ids:
        await session.execute(
            delete(CustomerTag).where(
                CustomerTag.customer_id == kept, CustomerTag.tag_id.in_([uuid.UUID(i) for i in ids])
            )
        )


register_mover(Mover("tags", _tags_move, _tags_undo))


# -- the verbs ---------------------------------------------------------------------------------------


async def _reindex(session: AsyncSession, customer: Customer) -> None:
    tags = (await customers.tag_names(session, [customer.id]))[customer.id]
    definitions = await custom_fields.active_definitions(session, customers.ENTITY)
    customers.index_customer(customer, tags, custom_fields.search_texts(definitions, customer.custom or {}))


async def merge_customers(
    session: AsyncSession, actor: Actor, kept_id: uuid.UUID, merged_id: uuid.UUID
) -> CustomerMerge:
    """Merge ``merged_id`` into ``kept_id`` (customers:edit and customers:delete, both in scope).

    Refused: a customer into itself, or when either is in the recycle bin (restore it first)."""
    service = customers.CustomerService(session, actor)
    service.require("edit")
    service.require("delete")
    async with unit_of_work(session):
        if kept_id == merged_id:
            raise ValidationFailed(
                [FieldError("merged_id", "merge_into_itself", "a customer cannot be merged into itself")]
            )
        # Locked in id order, so two merges of the same pair cannot deadlock.
        first, second = sorted([kept_id, merged_id])
        loaded = {
            first: await service._load(first, for_update=True),
            second: await service._load(second, for_update=True),
        }
        kept, merged = loaded[kept_id], loaded[merged_id]
        errors = [
            FieldError(name, "deleted_customer", "is in the recycle bin; restore it first")
            for name, customer in (("kept_id", kept), ("merged_id", merged))
            if customer.deleted_at is not None
        ]
        if errors:
            raise ValidationFailed(errors)
        merged_before = customers.snapshot(
            merged, (await customers.tag_names(session, [merged.id]))[merged.id]
        )
        kept_before = customers.snapshot(kept, (await customers.tag_names(session, [kept.id]))[kept.id])
        moved: dict[str, list[str]] = {}
        for child in children_of("customer"):
            ids = await _move_children(session, child.key, merged.id, kept.id)
            if ids:
                moved[child.key] = ids
        for key, mover in _movers.items():
            ids = await mover.move(session, merged.id, kept.id)
            if ids:
                moved[key] = ids
        filled: dict[str, Any] = {}
        for name in FILLABLE:
            theirs = getattr(merged, name)
            if getattr(kept, name) in (None, "") and theirs not in (None, ""):
                setattr(kept, name, theirs)
                filled[name] = merged_before.get(name)
        now = datetime.now(UTC)
        kept.version += 1
        kept.updated_at = now
        kept.updated_by = actor.user_id
        merged.deleted_at = now
        merged.deleted_by = actor.user_id
        merged.version += 1
        merged.updated_at = now
        merged.updated_by = actor.user_id
        await _reindex(session, kept)
        record = CustomerMerge(
            kept_id=kept.id,
            merged_id=merged.id,
            moved=moved,
            filled=filled,
            merged_by=actor.user_id,
            actor_label=actor.label[:120],
        )
        session.add(record)
        await session.flush()
        counts = {key: len(ids) for key, ids in moved.items()}
        audit.record(
            session,
            actor,
            entity=customers.ENTITY,
            entity_id=merged.id,
            action="merge",
            before=merged_before,
            after={"merged_into": str(kept.id), "merge_id": str(record.id), "deleted": True},
        )
        audit.record(
            session,
            actor,
            entity=customers.ENTITY,
            entity_id=kept.id,
            action="merge",
            before={name: kept_before.get(name) for name in filled} | {"version": kept.version - 1},
            after={"merged_from": str(merged.id), "merge_id": str(record.id), "moved": counts, **filled}
            | {"version": kept.version},
        )
        events.emit(
            session,
            "customer.merged",
            {"merge_id": str(record.id), "kept_id": str(kept.id), "merged_id": str(merged.id)},
        )
    return record


async def undo_merge(session: AsyncSession, actor: Actor, merge_id: uuid.UUID) -> CustomerMerge:
    """Put a merge back (within 30 days, once): the merged customer returns from the recycle bin
    with what moved; the kept customer's filled-in fields are emptied again where still unchanged."""
    service = customers.CustomerService(session, actor)
    service.require("edit")
    service.require("delete")
    async with unit_of_work(session):
        record = await session.get(CustomerMerge, merge_id, with_for_update=True)
        if record is None:
            raise NotFound("merge", merge_id)
        kept = await service._load(record.kept_id, for_update=True)  # out of scope reads as absent
        merged: Any = await session.get(Customer, record.merged_id, with_for_update=True)
        if record.undone_at is not None:
            raise ValidationFailed(
                [FieldError("merge_id", "already_undone", "this merge was undone already")]
            )
        if datetime.now(UTC) - record.merged_at > UNDO_WINDOW:
            raise ValidationFailed(
                [FieldError("merge_id", "undo_expired", "a merge can be undone within 30 days only")]
            )
        kept_before = customers.snapshot(kept)
        for child in children_of("customer"):
            ids = record.moved.get(child.key) or []
            if ids:
                model: Any = child.model
                parent = getattr(model, child.parent_field or "")
                await session.execute(
                    update(model)
                    .where(model.id.in_([uuid.UUID(i) for i in ids]), parent == kept.id)
                    .values({parent: merged.id})
                )
        for key, mover in _movers.items():
            ids = record.moved.get(key) or []
            if ids:
                await mover.undo(session, ids, kept.id, merged.id)
        emptied = {}
        for name, value in (record.filled or {}).items():
            if customers.snapshot(kept).get(name) == value:
                setattr(kept, name, None)
                emptied[name] = value
        now = datetime.now(UTC)
        if merged.deleted_at is not None:
            await quotas.ensure_room(session, "customers")  # back from the recycle bin counts again
            merged.deleted_at = None
            merged.deleted_by = None
        merged.version += 1
        merged.updated_at = now
        merged.updated_by = actor.user_id
        kept.version += 1
        kept.updated_at = now
        kept.updated_by = actor.user_id
        await _reindex(session, kept)
        await _reindex(session, merged)
        record.undone_at = now
        record.undone_by = actor.user_id
        audit.record(
            session,
            actor,
            entity=customers.ENTITY,
            entity_id=kept.id,
            action="unmerge",
            before={name: kept_before.get(name) for name in emptied} | {"version": kept.version - 1},
            after={"merge_id": str(record.id), "split_from": str(merged.id)}
            | dict.fromkeys(emptied)
            | {"version": kept.version},
        )
        audit.record(
            session,
            actor,
            entity=customers.ENTITY,
            entity_id=merged.id,
            action="unmerge",
            before={"deleted": True},
            after={"deleted": False, "merge_id": str(record.id)},
        )
        events.emit(session, "customer.unmerged", {"merge_id": str(record.id)})
    return record
