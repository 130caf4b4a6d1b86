"""Bulk actions on selected records, one record at a time through the entity's own verbs.

Each record goes through the same verb a single click would use (``EntityService.delete``,
``update`` ...), so permission, data scope, validation, the audit record, the event and the undo
apply per record, and one refusal neither stops nor undoes the others. The outcome says how many
were done and, by reason, how many were refused.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain import DomainError, PermissionDenied, ValidationFailed, VersionConflict
from app.kit.service import EntityService

# At most this many records per bulk request (a page of the list holds at most 100).
BULK_MAX = 100

# Why a record was refused: not found (or out of scope: they read alike), no permission, its
# values refused the change, changed by someone else meanwhile.
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
INVALID = "invalid"
CONFLICT = "conflict"


@dataclass
class BulkOutcome:
    done: list[uuid.UUID] = field(default_factory=list)
    refused: list[tuple[uuid.UUID, str]] = field(default_factory=list)

    def reasons(self) -> Counter[str]:
        return Counter(reason for _id, reason in self.refused)


def reason_of(exc: DomainError) -> str:
    if isinstance(exc, PermissionDenied):
        return FORBIDDEN
    if isinstance(exc, VersionConflict):
        return CONFLICT
    if isinstance(exc, ValidationFailed):
        return INVALID
    return NOT_FOUND


def parse_ids(raw: Iterable[str]) -> list[uuid.UUID]:
    """The distinct valid ids among ``raw`` (a made-up one is simply not found), at most BULK_MAX."""
    found: dict[uuid.UUID, None] = {}
    for text in raw:
        for part in str(text).split(","):
            try:
                found[uuid.UUID(part.strip())] = None
            except ValueError:
                continue
    return list(found)[:BULK_MAX]


Verb = Callable[[EntityService[Any], uuid.UUID], Awaitable[Any]]


async def apply(make: Callable[[], EntityService[Any]], ids: Sequence[uuid.UUID], verb: Verb) -> BulkOutcome:
    """Run ``verb`` for each id on a fresh service (a service holds one verb's state); each verb
    owns its unit of work, so a refusal rolled back only itself."""
    outcome = BulkOutcome()
    for record_id in ids:
        try:
            await verb(make(), record_id)
        except DomainError as exc:
            outcome.refused.append((record_id, reason_of(exc)))
        else:
            outcome.done.append(record_id)
    return outcome


# -- the verbs every entity with an owner has ------------------------------------------------------


async def delete(service: EntityService[Any], record_id: uuid.UUID) -> None:
    await service.delete(record_id)


async def restore(service: EntityService[Any], record_id: uuid.UUID) -> None:
    await service.restore(record_id)


def assign_owner(owner_id: uuid.UUID | None) -> Verb:
    """Give each record to ``owner_id`` (the entity's rules on who may assign whom apply)."""

    async def run(service: EntityService[Any], record_id: uuid.UUID) -> None:
        if owner_id is None:
            raise ValidationFailed([])
        record = await service.get(record_id)
        if record.owner_id == owner_id:
            return
        await service.update(record_id, record.version, {"owner_id": owner_id})

    return run


def add_to(name: str, values: Sequence[str]) -> Verb:
    """Add ``values`` to a list field (a customer's tags), keeping what the record holds."""

    async def run(service: EntityService[Any], record_id: uuid.UUID) -> None:
        if not values:
            raise ValidationFailed([])
        record = await service.get(record_id)
        current = list((await service.snapshot(record)).get(name) or [])
        if all(v in current for v in values):
            return
        await service.update(
            record_id, record.version, {name: current + [v for v in values if v not in current]}
        )

    return run


__all__ = [
    "BULK_MAX",
    "BulkOutcome",
    "add_to",
    "apply",
    "assign_owner",
    "delete",
    "parse_ids",
    "restore",
]
