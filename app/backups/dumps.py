"""The two pipelines around PostgreSQL's programs: dump a schema into an encrypted file, and
restore a decrypted dump under another schema name.

Dump: ``pg_dump --format=custom --schema=S --snapshot=X`` writes to a pipe; every chunk it
writes goes straight into the encrypting writer. No plaintext touches the disk.

Restore: decrypted chunks go into ``pg_restore -f -`` (which turns the archive into plain SQL),
its output through ``SchemaRename`` into ``psql``. We send ``BEGIN`` first and ``COMMIT`` only
after pg_restore has finished cleanly and the last frame has been authenticated; on any failure
psql is killed with the transaction still open, so the server rolls all of it back and a
half-restored schema never exists.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.backups.crypto import BackupFileError, EncryptingWriter
from app.backups.pgtools import SchemaRename

READ_SIZE = 1 << 20


class PipelineFailed(RuntimeError):
    """pg_dump, pg_restore or psql failed; the message carries the program's own words."""


async def _read_all(stream: asyncio.StreamReader | None) -> bytes:
    return await stream.read() if stream else b""


def _stderr_text(raw: bytes, limit: int = 2000) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "(no message)"


async def _stop(*processes: asyncio.subprocess.Process) -> None:
    for proc in processes:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    for proc in processes:
        with contextlib.suppress(ProcessLookupError):
            await proc.wait()


async def dump_schema(
    *,
    pg_dump: Path,
    env: dict[str, str],
    schema: str,
    snapshot: str,
    writer: EncryptingWriter,
    lock_wait_seconds: int,
) -> None:
    """Stream ``pg_dump`` of ``schema`` as of ``snapshot`` into ``writer`` (then closes it)."""
    proc = await asyncio.create_subprocess_exec(
        str(pg_dump),
        "--format=custom",
        "--compress=6",
        f"--schema={schema}",
        "--strict-names",
        "--no-owner",
        "--no-acl",
        f"--snapshot={snapshot}",
        f"--lock-wait-timeout={lock_wait_seconds * 1000}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    errors = asyncio.ensure_future(_read_all(proc.stderr))
    try:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(READ_SIZE):
            writer.write(chunk)  # an OSError here (disk full) stops everything
        code = await proc.wait()
        if code != 0:
            raise PipelineFailed(f"pg_dump exited with {code}: {_stderr_text(await errors)}")
        writer.close()
    finally:
        await _stop(proc)
        if not errors.done():
            errors.cancel()


@dataclass
class RestoreStats:
    copy_blocks: int
    replacements: int


async def restore_schema(
    *,
    pg_restore: Path,
    psql: Path,
    env: dict[str, str],
    plaintext: Iterator[bytes],
    source_schema: str,
    target_schema: str,
) -> RestoreStats:
    """Restore the dump whose chunks ``plaintext`` yields as ``target_schema``, all or nothing."""
    restore = await asyncio.create_subprocess_exec(
        str(pg_restore),
        "--no-owner",
        "--no-acl",
        "-f",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    sql = await asyncio.create_subprocess_exec(
        str(psql),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-f",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert restore.stdin and restore.stdout and sql.stdin
    restore_in, restore_out, sql_in = restore.stdin, restore.stdout, sql.stdin
    restore_errors = asyncio.ensure_future(_read_all(restore.stderr))
    sql_errors = asyncio.ensure_future(_read_all(sql.stderr))
    renamer = SchemaRename(source_schema, target_schema)

    async def feed() -> None:
        try:
            for chunk in plaintext:
                restore_in.write(chunk)
                await restore_in.drain()
        finally:
            restore_in.close()

    async def pump() -> None:
        sql_in.write(b"BEGIN;\n")
        while data := await restore_out.read(READ_SIZE):
            sql_in.write(renamer.feed(data))
            await sql_in.drain()
        sql_in.write(renamer.finish())
        await sql_in.drain()

    committed = False
    try:
        try:
            await _all_or_first_error(feed(), pump())
            code = await restore.wait()
            if code != 0:
                raise PipelineFailed(f"pg_restore exited with {code}: {_stderr_text(await restore_errors)}")
            sql_in.write(b"COMMIT;\n")
            await sql_in.drain()
            sql_in.close()
            code = await sql.wait()
            if code != 0:
                raise PipelineFailed(f"psql exited with {code}: {_stderr_text(await sql_errors)}")
            committed = True
        except BackupFileError:
            raise
        except (OSError, ValueError, PipelineFailed) as exc:
            # A broken pipe usually means the program on the other end failed: report its words.
            await _stop(restore, sql)
            for proc, errors, name in ((sql, sql_errors, "psql"), (restore, restore_errors, "pg_restore")):
                if proc.returncode not in (0, None, -9):
                    raise PipelineFailed(
                        f"{name} exited with {proc.returncode}: {_stderr_text(await errors)}"
                    ) from exc
            raise
    finally:
        if not committed:
            await _stop(restore, sql)  # killing psql mid-transaction rolls the transaction back
        for task in (restore_errors, sql_errors):
            if not task.done():
                task.cancel()
    return RestoreStats(copy_blocks=renamer.copy_blocks, replacements=renamer.replacements)


async def _all_or_first_error(*steps: Awaitable[None]) -> None:
    """Run steps together; the first failure cancels the rest and is raised as itself."""
    tasks = [asyncio.ensure_future(s) for s in steps]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
