"""Many new records written at once (an import's chunk), exactly as ``EntityService.create``
writes one: the same built records (``EntityService.build``), written with one COPY, the entity's
own after-write work for all of them (``after_create_many``), one audit record and one
``<entity>.created`` event each, each kind in one statement (``copy_rows``).

Rows are what the ORM would insert: the values set on the record, Python-side column defaults
filled in, server-side ones (``created_at``, ``updated_at``) left to the database, so both ways give
the same columns (``tests/imports/test_import_bulk.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.models import AuditRecord
from app.db import tenant_schema_of
from app.events.models import OutboxEvent
from app.kit.service import Built, EntityService
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

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


async def copy_rows(session: AsyncSession, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys: the columns they set) into ``model``'s table
    with one ``COPY ... FROM STDIN`` in the session's transaction. The table gets what an INSERT of
    the same rows writes: each value goes through its column's bind processor as the INSERT would
    send it (JSON serialised, ``None`` as JSON ``null`` in a JSON column), and the columns left out
    get their server defaults. Per row it costs a fraction of an INSERT's work, in Python (no
    statement parameters built per row) and in the server (no statement executed per row)."""
    if not rows:
        return
    table: Table = model.__table__
    names = list(rows[0])
    connection = await session.connection()
    dialect = connection.dialect
    processors = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(dialect)) is not None
    ]
    records: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        for index, processor in processors:
            values[index] = processor(values[index])
        records.append(values)
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():
        # The driver's transaction begins with the session's first statement: COPY must be in it.
        await connection.execute(text("SELECT 1"))
    # A tenant's table is named by the session's schema (``schema_translate_map``), as SQL would be.
    schema = tenant_schema_of(session) if table.schema == TENANT_SCHEMA_PLACEHOLDER else table.schema
    await driver.copy_records_to_table(table.name, records=records, columns=names, schema_name=schema)


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
        await copy_rows(session, model, rows)
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
    # ``audit.record_many`` and ``events.emit`` as they would write them, copied in.
    await copy_rows(session, AuditRecord, audit_rows)
    await copy_rows(
        session,
        OutboxEvent,
        [{"topic": f"{key}.created", "payload": {"id": str(item.record.id)}} for item in built],
    )
