"""Imports as people drive them: upload a file, check and adjust its columns, look at a preview,
start it, follow it, download the rows it refused, undo it; saved column mappings.

PostgreSQL is the record of truth: the batch row is committed before the run is handed to arq
(``app.kit.imports.run`` does the rows). Every verb checks the entity's ``import`` permission; a
batch is its requester's (and administrators'); someone else's reads exactly like a missing one.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.permissions import SCOPE_ALL, STAFF_MANAGE
from app.audit import service as audit
from app.customfields import service as custom_fields
from app.domain import Actor, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.kit import registry
from app.kit.imports import repository as repo
from app.kit.imports.convert import RowConverter, StaffIndex
from app.kit.imports.mapping import Note, Target, automap, check_mapping, targets
from app.kit.imports.models import ImportBatch, ImportRow, ImportStatus, ImportTemplate, RowAction
from app.kit.imports.reader import Table, TableProblem, cell_text
from app.kit.imports.spec import POLICIES, ImportSpec, import_spec
from app.kit.service import EntityService, service_for
from app.storage import tenant_files

ENTITY = "import"
AREA = "imports"
LIST_LIMIT = 30
PREVIEW_ROWS = 20
# Uploads above this are refused before they are read (IMPORT_MAX_BYTES, default 50 MB: a
# 100,000-customer CSV is about 15 MB, the XLSX of it half that).
MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
_COPY_CHUNK = 1024 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


def utcnow() -> datetime:
    return datetime.now(UTC)


def limit_mb(limit: int = MAX_BYTES) -> int:
    return limit // (1024 * 1024)


def _spec(entity: str) -> tuple[ImportSpec, registry.EntitySpec, type[EntityService[Any]]]:
    spec, declared = import_spec(entity), registry.entity(entity)
    if spec is None or declared is None:
        raise NotFound(ENTITY, entity)
    return spec, declared, service_for(entity)


def require(actor: Actor, entity: str) -> None:
    _, declared, _ = _spec(entity)
    permission = f"{declared.module}:import"
    if not actor.can(permission):
        raise PermissionDenied(permission)


def sees_everyones(actor: Actor) -> bool:
    return actor.data_scope == SCOPE_ALL and actor.can(STAFF_MANAGE)


async def get_batch(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, *, for_update: bool = False
) -> ImportBatch:
    batch = await repo.get(session, batch_id, for_update=for_update)
    if batch is None or (batch.requested_by != actor.user_id and not sees_everyones(actor)):
        raise NotFound(ENTITY, batch_id)
    require(actor, batch.entity)
    return batch


async def list_batches(session: AsyncSession, actor: Actor, entity: str) -> list[ImportBatch]:
    require(actor, entity)
    who = None if sees_everyones(actor) else actor.user_id
    return list(await repo.recent(session, entity, who, limit=LIST_LIMIT))


def file_error(code: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", code, message)])


def save_upload(schema: str, name: str, source: IO[bytes], limit: int = MAX_BYTES) -> int:
    """Copy an upload into the tenant's import folder, refusing it once it passes ``limit``."""
    files = tenant_files(schema, AREA)
    size = 0
    with files.write_atomic(name) as out:
        while chunk := source.read(_COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            out.write(chunk)
    return size


def _suffix(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


async def upload(
    session: AsyncSession,
    actor: Actor,
    schema: str,
    entity: str,
    original_name: str,
    source: IO[bytes],
    *,
    template_id: uuid.UUID | None = None,
    policy: str = "skip",
) -> ImportBatch:
    """Store the file, read its header and guess the columns; the batch waits on the mapping screen.

    Refused (``ValidationFailed`` on ``file``): over the size limit, empty, not CSV or XLSX, an
    encoding that is neither UTF-8 nor GB18030.
    """
    require(actor, entity)
    spec, declared, _ = _spec(entity)
    if policy not in POLICIES:
        raise ValidationFailed(
            [FieldError("policy", "invalid_choice", f"must be one of {', '.join(POLICIES)}")]
        )
    batch_id = uuid.uuid4()
    suffix = _suffix(original_name)
    if suffix in ("xls", "et"):
        raise file_error("old_xls", "is an old .xls workbook: save it as .xlsx or .csv")
    file_name = f"{batch_id}.upload"
    files = tenant_files(schema, AREA)
    try:
        size = save_upload(schema, file_name, source)
    except TooLarge as exc:
        raise file_error("too_large", f"is larger than the {limit_mb(exc.limit)} MB limit") from exc
    try:
        table = Table(files.path(file_name))
        rows_total = table.count()
    except TableProblem as exc:
        files.remove(file_name)
        raise file_error(exc.code, _PROBLEMS.get(exc.code, "cannot be read as a table")) from exc
    if rows_total == 0:
        files.remove(file_name)
        raise file_error("no_rows", "has a header but no data rows")
    definitions = await custom_fields.active_definitions(session, entity) if declared.customizable else []
    saved = None
    if template_id is not None:
        found = await repo.template(session, entity, template_id)
        if found is None:
            files.remove(file_name)
            raise ValidationFailed([FieldError("template", "unknown_template", "is not a saved mapping")])
        saved, policy = found.columns, found.policy
    mapping, _notes = automap(table.headers, spec, declared, definitions, saved)
    batch = ImportBatch(
        id=batch_id,
        entity=entity,
        original_name=original_name[:200],
        file_name=file_name,
        format=table.format,
        encoding=table.encoding,
        size_bytes=size,
        headers=table.headers,
        mapping=mapping,
        policy=policy,
        status=ImportStatus.MAPPING,
        requested_by=actor.user_id,
        rows_total=rows_total,
        rows_done=0,
        created_count=0,
        updated_count=0,
        skipped_count=0,
        rejected_count=0,
        attempts=0,
    )
    session.add(batch)
    await session.flush()
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=batch.id,
        action="upload",
        before=None,
        after={"entity": entity, "file": batch.original_name, "rows": rows_total, "format": table.format},
    )
    await session.commit()
    return batch


_PROBLEMS = {
    "empty": "is empty",
    "old_xls": "is an old .xls workbook: save it as .xlsx or .csv",
    "bad_encoding": "is neither UTF-8 nor GBK/GB18030 text",
    "bad_csv": "is not a readable CSV file",
    "bad_xlsx": "is not a readable XLSX workbook",
}


# -- the mapping screen -----------------------------------------------------------------------------


@dataclass
class PreviewRow:
    line: int
    cells: list[str]
    action: str  # what importing it would do: created / updated / skipped / rejected
    problems: list[FieldError] = field(default_factory=list)


@dataclass
class Preview:
    batch: ImportBatch
    targets: list[Target]
    notes: list[Note]
    rows: list[PreviewRow]
    mapping_errors: list[FieldError]


async def _targets(session: AsyncSession, batch: ImportBatch) -> tuple[list[Target], list[Any]]:
    spec, declared, service_cls = _spec(batch.entity)
    definitions = (
        await custom_fields.active_definitions(session, batch.entity) if declared.customizable else []
    )
    fields = service_cls.fields
    required = [name for name, kind in fields.types.items() if kind.required and name not in fields.defaults]
    return targets(spec, declared, required, definitions), definitions


async def preview(session: AsyncSession, actor: Actor, schema: str, batch_id: uuid.UUID) -> Preview:
    """The columns as mapped now and the first rows as the entity's rules see them (nothing is written)."""
    batch = await get_batch(session, actor, batch_id)
    spec, declared, service_cls = _spec(batch.entity)
    allowed, definitions = await _targets(session, batch)
    _, notes = automap(batch.headers, spec, declared, definitions)
    errors = check_mapping(batch.mapping, batch.headers, allowed)
    rows: list[PreviewRow] = []
    if batch.status == ImportStatus.MAPPING:
        table = Table(tenant_files(schema, AREA).path(batch.file_name), batch.format, batch.encoding)
        staff = StaffIndex(await accounts_repo.list_users(session))
        converter = RowConverter(
            spec, service_cls.fields, dict(declared.choices), batch.mapping, definitions, staff
        )
        service = service_cls(session, actor)
        for line, cells in table.rows():
            rows.append(await _preview_row(service, spec, converter, batch.policy, line, cells))
            if len(rows) >= PREVIEW_ROWS:
                break
        await session.rollback()  # checks took share locks (the workflow); nothing was written
        batch = await get_batch(session, actor, batch_id)  # loaded again: the rollback expired it
    return Preview(batch, allowed, notes, rows, errors)


async def _preview_row(
    service: EntityService[Any],
    spec: ImportSpec,
    converter: RowConverter,
    policy: str,
    line: int,
    cells: list[Any],
) -> PreviewRow:
    from app.kit.imports.run import find_existing

    raw, problems = converter.convert(cells)
    row = PreviewRow(line, [cell_text(c) for c in cells], RowAction.CREATED, problems)
    existing, hidden = await find_existing(service, spec, raw, {}) if policy != "create" else (None, False)
    if hidden:
        row.action = RowAction.SKIPPED if policy == "skip" else RowAction.REJECTED
        row.problems.append(FieldError(spec.match[0], "duplicate_hidden", "matches a record you cannot see"))
        return row
    if existing is not None:
        row.action = RowAction.SKIPPED if policy == "skip" else RowAction.UPDATED
        if policy == "skip":
            row.problems.append(FieldError(spec.match[0], "duplicate", "matches an existing record"))
            return row
    try:
        await service.clean(raw, existing)
    except ValidationFailed as exc:
        row.problems.extend(exc.errors)
    if row.problems:
        row.action = RowAction.REJECTED
    return row


async def set_mapping(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, mapping: Sequence[str | None], policy: str
) -> ImportBatch:
    """A person's adjusted columns and duplicate policy (checked; refused with field errors)."""
    batch = await get_batch(session, actor, batch_id, for_update=True)
    _not_started(batch)
    allowed, _ = await _targets(session, batch)
    errors = check_mapping(list(mapping), batch.headers, allowed)
    if policy not in POLICIES:
        errors.append(FieldError("policy", "invalid_choice", f"must be one of {', '.join(POLICIES)}"))
    if errors:
        await session.rollback()
        raise ValidationFailed(errors)
    batch.mapping = list(mapping)
    batch.policy = policy
    await session.commit()
    return batch


def _not_started(batch: ImportBatch) -> None:
    if batch.status != ImportStatus.MAPPING:
        raise ValidationFailed([FieldError("status", "already_started", "this import has already started")])


async def start(session: AsyncSession, actor: Actor, batch_id: uuid.UUID) -> ImportBatch:
    """Queue the import as mapped; the caller enqueues it once this commits."""
    batch = await get_batch(session, actor, batch_id, for_update=True)
    _not_started(batch)
    allowed, _ = await _targets(session, batch)
    errors = check_mapping(batch.mapping, batch.headers, allowed)
    if errors:
        await session.rollback()
        raise ValidationFailed(errors)
    batch.status = ImportStatus.QUEUED
    audit.record(
        session,
        actor,
        entity=ENTITY,
        entity_id=batch.id,
        action="start",
        before=None,
        after={
            "entity": batch.entity,
            "policy": batch.policy,
            "mapping": dict(zip(batch.headers, batch.mapping, strict=True)),
        },
    )
    await session.commit()
    return batch


async def discard(session: AsyncSession, actor: Actor, schema: str, batch_id: uuid.UUID) -> None:
    """Drop an upload that was never started (its file too)."""
    batch = await get_batch(session, actor, batch_id, for_update=True)
    _not_started(batch)
    tenant_files(schema, AREA).remove(batch.file_name)
    await session.delete(batch)
    await session.commit()


# -- templates --------------------------------------------------------------------------------------


async def list_templates(session: AsyncSession, actor: Actor, entity: str) -> list[ImportTemplate]:
    require(actor, entity)
    return list(await repo.templates(session, entity))


async def save_template(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, name: str
) -> ImportTemplate:
    """The batch's mapping (header → field) and policy under ``name``, replacing one of that name."""
    batch = await get_batch(session, actor, batch_id)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(
            [FieldError("name", "required" if not name else "too_long", "1 to 60 characters")]
        )
    columns = dict(zip(batch.headers, batch.mapping, strict=True))
    found = await repo.template_named(session, batch.entity, name)
    if found is None:
        found = ImportTemplate(entity=batch.entity, name=name, created_by=actor.user_id)
        session.add(found)
    found.columns, found.policy = columns, batch.policy
    await session.commit()
    return found


async def apply_template(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID, template_id: uuid.UUID
) -> ImportBatch:
    batch = await get_batch(session, actor, batch_id, for_update=True)
    _not_started(batch)
    found = await repo.template(session, batch.entity, template_id)
    if found is None:
        raise ValidationFailed([FieldError("template", "unknown_template", "is not a saved mapping")])
    spec, declared, _ = _spec(batch.entity)
    _, definitions = await _targets(session, batch)
    batch.mapping, _ = automap(batch.headers, spec, declared, definitions, found.columns)
    batch.policy = found.policy
    await session.commit()
    return batch


# -- results ----------------------------------------------------------------------------------------


Describe = Callable[[FieldError], str]


def plain(problem: FieldError) -> str:
    return f"{problem.field}: {problem.message}"


async def rejected_rows(
    session: AsyncSession, actor: Actor, batch_id: uuid.UUID
) -> tuple[ImportBatch, list[ImportRow]]:
    batch = await get_batch(session, actor, batch_id)
    found: list[ImportRow] = []
    after = 0
    while chunk := await repo.rows(session, batch.id, [RowAction.REJECTED], after=after):
        found.extend(chunk)
        after = chunk[-1].row_no
    return batch, found


def rejects_csv(
    batch: ImportBatch, rows: Sequence[ImportRow], describe: Describe, reason_header: str
) -> Iterator[bytes]:
    """The refused rows as they were in the file, with the line and a reason column: UTF-8 with a
    BOM for Excel, formula-looking cells neutralised."""
    from app.exports.files import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow([neutralise(h) for h in ["行号", *batch.headers, reason_header]])
    for row in rows:
        reasons = "；".join(
            describe(FieldError(p["field"], p["code"], p["message"])) for p in row.problems or []
        )
        writer.writerow(
            [str(row.row_no), *(neutralise(str(c)) for c in row.cells or []), neutralise(reasons)]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
