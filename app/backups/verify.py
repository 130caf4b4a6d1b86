"""Reading a backup file back, and verifying a backup by restoring it.

Verification restores the file into a scratch schema (``bak_verify_<time>_<random>``) of the same
database through the same pipeline a real restore uses (see ``app.backups.dumps``), compares
every table's row count and checksum with the ones recorded at backup time, drops the scratch
schema, and marks the backup verified, or failed with an operator alert.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from app.backups import alerts
from app.backups import repository as repo
from app.backups.crypto import (
    BackupFileError,
    CorruptBackup,
    Header,
    MasterKey,
    decrypt_frames,
    file_sha256,
    load_master_key,
    read_header,
    unwrap_data_key,
)
from app.backups.dumps import PipelineFailed, restore_schema
from app.backups.models import Backup, BackupStatus
from app.backups.service import (
    SCRATCH_PREFIX,
    BackupError,
    BackupNotUsable,
    Progress,
    Tools,
    UnknownBackup,
    backup_files,
    quiet,
    short_id,
    tenant_lock,
    tools_for,
)
from app.db import Database
from app.kit.jobs import shielded
from app.settings import Settings, get_settings


class VerificationFailed(BackupError):
    pass


# -- reading a backup file ------------------------------------------------------------------------


@dataclass
class OpenedBackup:
    path: Path
    header: Header
    header_bytes: bytes
    data_key: bytes


def check_file(backup: Backup, settings: Settings, master: MasterKey) -> OpenedBackup:
    """Everything that can be checked without decrypting the frames: presence, SHA-256, header, key.

    Raises:
        BackupNotUsable (no such file), BackupFileError (changed, truncated, wrong key).
    """
    if backup.status not in BackupStatus.GOOD:
        detail = f": {backup.error}" if backup.error else ""
        raise BackupNotUsable(f"backup {short_id(backup.id)} is {backup.status}{detail}")
    path = backup_files(settings, backup.schema_name).path(backup.file_name)
    if not path.is_file():
        raise BackupNotUsable(f"the file of backup {short_id(backup.id)} is missing: {path}")
    actual = file_sha256(path)
    if actual != backup.sha256:
        raise CorruptBackup(
            f"the file's SHA-256 ({actual[:16]}...) differs from the one recorded when it was written "
            f"({(backup.sha256 or '')[:16]}...): it was changed or cut short"
        )
    with path.open("rb") as f:
        header, header_bytes = read_header(f)
    if header.backup_id != str(backup.id) or header.schema_name != backup.schema_name:
        raise CorruptBackup("the file's header belongs to another backup")
    data_key = unwrap_data_key(master, header.wrapped_key, backup.id, header.key_id)
    return OpenedBackup(path, header, header_bytes, data_key)


def plaintext_of(opened: OpenedBackup, f: BinaryIO) -> Any:
    f.seek(len(opened.header_bytes) + 12)  # magic (8) + header length (4) + header
    return decrypt_frames(f, opened.header, opened.header_bytes, opened.data_key)


def authenticate_all(opened: OpenedBackup) -> int:
    """Decrypt every frame, discarding the plaintext; returns its size. Raises on any tampering."""
    total = 0
    with opened.path.open("rb") as f:
        for chunk in plaintext_of(opened, f):
            total += len(chunk)
    return total


def scratch_name(purpose: str) -> str:
    return f"{SCRATCH_PREFIX}{purpose}_{int(time.time())}_{secrets.token_hex(3)}"


async def restore_as(
    db: Database, tools: Tools, opened: OpenedBackup, source_schema: str, target: str
) -> None:
    """Restore the backup's schema under the name ``target`` (which must not exist)."""
    with opened.path.open("rb") as f:
        await restore_schema(
            pg_restore=tools.pg_restore,
            psql=tools.psql,
            env=tools.env,
            plaintext=plaintext_of(opened, f),
            source_schema=source_schema,
            target_schema=target,
        )


async def fingerprints(db: Database, schema: str) -> dict[str, dict[str, Any]]:
    async with db.engine.connect() as conn:
        async with conn.begin():
            await repo.prepare_checksum_transaction(conn)
            return await repo.table_fingerprints(conn, schema)


def compare_tables(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Per-table comparison details and the list of human-readable mismatches."""
    details: dict[str, Any] = {}
    problems: list[str] = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        match = want == got
        details[table] = {
            "rows": (got or want or {}).get("rows"),
            "checksum": (got or {}).get("checksum"),
            "match": match,
        }
        if want is None:
            problems.append(f"{table}: not in the source")
        elif got is None:
            problems.append(f"{table}: missing from the restored copy")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: {got['rows']} rows restored, {want['rows']} in the source")
        elif not match:
            problems.append(f"{table}: checksum differs")
    return details, problems


async def drop_scratch(db: Database, schema: str) -> None:
    async with db.engine.begin() as conn:
        await repo.drop_schema(conn, schema)


# -- verifying ------------------------------------------------------------------------------------


async def verify_backup(
    db: Database, backup_id: uuid.UUID, *, settings: Settings | None = None, progress: Progress = quiet
) -> Backup:
    """Restore the backup into a scratch schema and compare it table by table with its source.

    Marks the backup verified, or failed with an operator alert (and raises VerificationFailed).
    """
    settings = settings or get_settings()
    master = load_master_key(settings)
    async with db.engine.connect() as conn:
        backup = await repo.get_backup(conn, backup_id)
    if backup is None:
        raise UnknownBackup(f"no backup {backup_id}")
    if backup.status not in BackupStatus.GOOD:
        raise BackupNotUsable(
            f"backup {short_id(backup.id)} is {backup.status}; only completed backups are verified"
        )
    async with tenant_lock(db, backup.schema_name):
        async with db.engine.connect() as conn:
            backup = await repo.get_backup(conn, backup_id) or backup  # pruned meanwhile?
        if backup.status not in BackupStatus.GOOD:
            raise BackupNotUsable(f"backup {short_id(backup.id)} is {backup.status}")
        tools = await tools_for(db, settings, "verify")
        started = time.perf_counter()
        scratch = scratch_name("verify")
        try:
            progress(f"verify {short_id(backup.id)}: checking the file (SHA-256, header, key)")
            opened = await asyncio.to_thread(check_file, backup, settings, master)
            progress(f"verify {short_id(backup.id)}: restoring into scratch schema {scratch}")
            await restore_as(db, tools, opened, backup.schema_name, scratch)
            progress(f"verify {short_id(backup.id)}: comparing row counts and checksums")
            restored = await fingerprints(db, scratch)
        except (BackupFileError, BackupNotUsable, PipelineFailed) as exc:
            await shielded(drop_scratch(db, scratch))
            await _verification_failed(db, backup, str(exc))
            raise VerificationFailed(f"backup {short_id(backup.id)} failed verification: {exc}") from exc
        except BaseException:
            await shielded(drop_scratch(db, scratch))
            raise
        await drop_scratch(db, scratch)
        details, problems = compare_tables(backup.source_tables or {}, restored)
        seconds = round(time.perf_counter() - started, 3)
        verification = {
            "tables": details,
            "seconds": seconds,
            "rows": sum(t["rows"] or 0 for t in details.values()),
        }
        if problems:
            await _verification_failed(db, backup, "; ".join(problems), verification)
            raise VerificationFailed(
                f"backup {short_id(backup.id)} failed verification: {'; '.join(problems)}"
            )
        async with db.engine.begin() as conn:
            await repo.update_backup(
                conn,
                backup.id,
                status=BackupStatus.VERIFIED,
                verified_at=datetime.now(UTC),
                verification=verification,
                error=None,
            )
            backup = await repo.get_backup(conn, backup.id)
    await alerts.resolve_backup_alerts(db, backup.tenant_slug)  # type: ignore[union-attr]
    progress(
        f"verify {short_id(backup_id)}: verified, {len(details)} tables and {verification['rows']:,} rows "
        f"match ({seconds:.2f}s)"
    )
    return backup  # type: ignore[return-value]


async def _verification_failed(
    db: Database, backup: Backup, message: str, verification: dict[str, Any] | None = None
) -> None:
    async with db.engine.begin() as conn:
        await repo.update_backup(
            conn,
            backup.id,
            status=BackupStatus.FAILED,
            error=f"verification failed: {message}"[:4000],
            verification=verification,
        )
    await alerts.raise_alert(
        db,
        alerts.BACKUP_VERIFY_FAILED,
        backup.tenant_slug,
        f"backup {short_id(backup.id)} of {backup.tenant_slug} failed verification: {message}",
    )
