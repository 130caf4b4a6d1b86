"""Many new records written at once (an import's chunk), exactly as ``EntityService.create``
writes one: the same built records (``EntityService.build``), inserted with one multi-row INSERT,
the entity's own after-write work for all of them (``after_create_many``), one audit record and
one ``<entity>.created`` event each, each kind in one statement.

Rows are what the ORM would insert: the values set on the record, Python-side column defaults
filled in, server-side ones (``created_at``, ``updated_at``) left to the database, so both ways give
the same columns (``tests/imports/test_import_fast_path.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert

from app.audit import service as audit
from app.events.models import OutboxEvent
from app.kit.service import Built, EntityService

_MISSING = object()


class _Insert:
    """What a column default called with a context sees of the row (``get_current_parameters``)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict[str, Any]:
        return self.row


def _row(record: Any, mapper: Any) -> dict[str, Any]:
    state = record.__dict__
    row: dict[str, Any] = {}
    later = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if attr.key in state:
            row[column.key] = state[attr.key]
        elif column.default is not None:
            later.append(column)
        elif column.server_default is None:
            row[column.key] = None
        # else: the database fills it in, as it does for the ORM's insert
    for column in later:  # Python-side defaults see the values set (a sort key from the name)
        default = column.default
        if default.is_scalar:
            row[column.key] = default.arg
        elif default.is_callable:
            row[column.key] = default.arg(_Insert(row))
    return row


async def write_built(service: EntityService[Any], built: Sequence[Built]) -> None:
    """Insert ``built`` (from ``service.build(raw, bulk=True)``) with their audit records and
    events, in the caller's transaction. ``service.writes_in_bulk()`` must hold."""
    if not built:
        return
    session, actor = service.session, service.actor
    model: Any = service.model
    mapper = model.__mapper__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in built:
        row = _row(item.record, mapper)
        groups.setdefault(tuple(row), []).append(row)
    for rows in groups.values():
        await session.execute(insert(model.__table__), rows)
    await service.after_create_many(built)
    key = service.spec.key
    audit_rows = []
    for item in built:
        after = item.snapshot
        if item.duplicates_accepted and after is not None:
            # Saved past a duplicate warning: the record says which records it matched.
            after = {**after, "duplicate_of": sorted({str(m.record_id) for m in item.duplicates_accepted})}
        audit_rows.append(
            audit.row(actor, entity=key, entity_id=item.record.id, action="create", before=None, after=after)
        )
    await audit.record_many(session, audit_rows)
    await session.execute(
        insert(OutboxEvent),
        [{"topic": f"{key}.created", "payload": {"id": str(item.record.id)}} for item in built],
    )
