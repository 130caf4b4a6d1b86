"""Files attached to a record, stored per tenant (``app.storage``): any entity declares them.

An entity whose model has a JSONB list column (``attachments``) declares its rule once::

    CONTRACT_FILES = declare("contract", AttachmentRule(area="contracts", max_files=10))

and then, with its own service (permission and data scope come from it):

    await attach(ContractService(session, actor), schema, contract_id, version, uploads)
    item, handle = await open_file(ContractService(session, actor), schema, contract_id, index)
    await detach(ContractService(session, actor), schema, contract_id, version, item["file"])

Each stored item is ``{"name": "合同.pdf", "file": "<random hex>.pdf", "size": 1234, "type": "..."}``:
the name as uploaded (shown, never used as a path), the stored name (random, with a short harmless
extension). Files are written before the record changes (atomically each) and removed again when
the change is refused, so a refused upload leaves nothing behind; a removed attachment's file goes
once the record no longer names it. Adding or removing files is an edit: version checked, version
bumped, audited (the names before and after), as the kit's update.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, BinaryIO

from app.domain import FieldError, NotFound, ValidationFailed
from app.kit.service import EntityService, unit_of_work
from app.storage import TenantFiles, tenant_files

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# Stored names keep a short, harmless extension so a download gets the right type.
_EXTENSION_RE = re.compile(r"^\.[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class Upload:
    """A file as the admin or the API received it."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class AttachmentRule:
    """Where an entity's files live (``FILES_DIR/<schema>/<area>/``), how many a record may carry
    and how large one may be; ``column``: the model's JSONB list of stored items."""

    area: str = "attachments"
    max_files: int = MAX_FILES
    max_bytes: int = MAX_BYTES
    column: str = "attachments"

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // (1024 * 1024)

    def store(self, schema: str) -> TenantFiles:
        return tenant_files(schema, self.area)

    def body_limit(self) -> int:
        """The largest request body a form uploading these files needs (files and some text)."""
        return self.max_files * self.max_bytes + 1024 * 1024


DEFAULT_RULE = AttachmentRule()
_rules: dict[str, AttachmentRule] = {}


def declare(entity_key: str, rule: AttachmentRule = DEFAULT_RULE) -> AttachmentRule:
    """Entity ``entity_key`` carries files under ``rule``."""
    _rules[entity_key] = rule
    return rule


def rule_for(entity_key: str) -> AttachmentRule | None:
    return _rules.get(entity_key)


def declared() -> dict[str, AttachmentRule]:
    """Every entity that carries files (a customer's erasure, a tenant's purge read this)."""
    return dict(_rules)


def check_uploads(
    uploads: Sequence[Upload], rule: AttachmentRule = DEFAULT_RULE, *, already: int = 0
) -> list[Upload]:
    """The files worth storing (empty file fields of a form are skipped); every problem at once:
    too many with the ``already`` attached, one too large, one empty."""
    files = [u for u in uploads if u.filename]
    errors: list[FieldError] = []
    if already + len(files) > rule.max_files:
        errors.append(FieldError("attachments", "too_many_files", f"at most {rule.max_files} files"))
    for i, upload in enumerate(files):
        if len(upload.data) > rule.max_bytes:
            errors.append(
                FieldError(f"attachments.{i}", "file_too_large", f"must be at most {rule.max_megabytes} MB")
            )
        elif not upload.data:
            errors.append(FieldError(f"attachments.{i}", "empty_file", "is empty"))
    if errors:
        raise ValidationFailed(errors)
    return files


def stored_name(filename: str) -> str:
    """A fresh random name for a stored file, keeping a short harmless extension."""
    suffix = PurePath(filename).suffix.lower()
    return secrets.token_hex(16) + (suffix if _EXTENSION_RE.match(suffix) else "")


def shown_name(filename: str, fallback: str) -> str:
    """The uploaded name without any folder part (``..\\x/报价单.pdf`` → ``报价单.pdf``)."""
    return PurePath(filename.replace("\\", "/")).name[:200] or fallback


@contextmanager
def stored(
    schema: str, files: Sequence[Upload], rule: AttachmentRule = DEFAULT_RULE
) -> Iterator[list[dict[str, Any]]]:
    """Write checked ``files`` to the tenant's area; yields their stored items. When the block
    raises (the record was refused) every file written here is removed again."""
    store = rule.store(schema)
    items: list[dict[str, Any]] = []
    try:
        for upload in files:
            name = stored_name(upload.filename)
            with store.write_atomic(name) as handle:
                handle.write(upload.data)
            items.append(
                {
                    "name": shown_name(upload.filename, name),
                    "file": name,
                    "size": len(upload.data),
                    "type": (upload.content_type or "application/octet-stream")[:100],
                }
            )
        yield items
    except BaseException:
        for item in items:
            store.remove(item["file"])
        raise


def _rule(service: EntityService[Any]) -> AttachmentRule:
    rule = rule_for(service.spec.key)
    if rule is None:
        raise LookupError(f"{service.spec.key} declares no attachments")
    return rule


async def _change(
    service: EntityService[Any],
    record_id: uuid.UUID,
    version: int,
    change: Any,
) -> Any:
    """Load the record for update (scope, live, version), apply ``change(items) -> items``, audit."""
    rule = _rule(service)
    service.require("edit")
    async with unit_of_work(service.session):
        record: Any = await service._load(record_id, for_update=True)
        if record.deleted_at is not None:
            raise NotFound(service.spec.key, record_id)
        await service._check_version(record, version)
        before = list(getattr(record, rule.column) or [])
        after = change(before)
        setattr(record, rule.column, after)
        record.version += 1
        record.updated_at = datetime.now(UTC)
        record.updated_by = service.actor.user_id
        service._audit(
            record,
            "update",
            {"attachments": [a.get("name") for a in before]},
            {"attachments": [a.get("name") for a in after]},
        )
        service._emit(record, "updated", version=record.version)
    return record


async def attach(
    service: EntityService[Any], schema: str, record_id: uuid.UUID, version: int, uploads: Sequence[Upload]
) -> Any:
    """Add files to a record the service's actor may edit, given the version they saw."""
    rule = _rule(service)
    service.require("edit")
    record: Any = await service.get(record_id)
    files = check_uploads(uploads, rule, already=len(getattr(record, rule.column) or []))
    if not files:
        raise ValidationFailed([FieldError("attachments", "no_file", "choose a file")])
    with stored(schema, files, rule) as items:

        def add(before: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if len(before) + len(items) > rule.max_files:  # someone added files meanwhile
                raise ValidationFailed(
                    [FieldError("attachments", "too_many_files", f"at most {rule.max_files} files")]
                )
            return [*before, *items]

        return await _change(service, record_id, version, add)


async def detach(
    service: EntityService[Any], schema: str, record_id: uuid.UUID, version: int, file: str
) -> Any:
    """Remove one file (by its stored name) from a record the actor may edit; the file itself is
    deleted once the record no longer names it."""
    rule = _rule(service)

    def remove(before: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [a for a in before if a.get("file") != file]
        if len(kept) == len(before):
            raise NotFound("attachment", file)
        return kept

    record = await _change(service, record_id, version, remove)
    rule.store(schema).remove(file)
    return record


async def open_file(
    service: EntityService[Any], schema: str, record_id: uuid.UUID, index: int
) -> tuple[dict[str, Any], BinaryIO]:
    """One attachment of a live record the actor can see: its item and an open binary file. Out of
    scope, deleted, a bad index or a missing file all read as not found."""
    rule = _rule(service)
    record: Any = await service.get(record_id)
    items = getattr(record, rule.column) or []
    if record.deleted_at is not None or not 0 <= index < len(items):
        raise NotFound(service.spec.key, record_id)
    item = items[index]
    try:
        return item, rule.store(schema).open(item["file"])
    except FileNotFoundError as exc:
        raise NotFound(service.spec.key, record_id) from exc


def remove_files(schema: str, rule: AttachmentRule, items: Sequence[dict[str, Any]]) -> None:
    """Delete stored files (a record erased for good)."""
    store = rule.store(schema)
    for item in items:
        if item.get("file"):
            store.remove(str(item["file"]))
