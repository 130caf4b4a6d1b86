"""``dealercrm tenant export``: a whole tenant as a ZIP of JSON and CSV, one pair per table.

What a dealer leaving the platform (or asking for its data) gets: every table of its schema as
``<table>.json`` (a list of rows, values as JSON: ids and times as strings) and ``<table>.csv``
(UTF-8 with a BOM and a header row, for Excel/WPS; text a spreadsheet would run as a formula gets
a leading quote, as in the customer export), plus ``manifest.json`` (tenant, schema revision,
row counts, time, what was withheld). All tables are read in one REPEATABLE READ snapshot, so
the files agree with each other. Credentials are withheld: password and token hashes, TOTP
secrets, recovery codes, and the session and API-token tables (they are only secrets). The ZIP is
written under a hidden name beside ``out``, fsynced and renamed, so ``out`` is whole or absent.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.backups import repository as repo
from app.backups.service import get_tenant, quiet
from app.db import Database
from app.exports.files import neutralise
from tenancy.migrate import quote_ident

WITHHELD_TABLES = frozenset({"user_sessions", "api_tokens", "alembic_version"})
WITHHELD_COLUMNS = frozenset(
    {
        "password_hash",
        "token_hash",
        "totp_secret",
        "totp_pending_secret",
        "recovery_code_hashes",
        "csrf_token",
    }
)
FETCH_ROWS = 2000


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    tables: dict[str, int]
    size: int


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)  # uuid, inet, ...


def _csv_cell(value: Any) -> str:
    value = _json_value(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return neutralise(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


async def export_tenant(
    db: Database, slug: str, out: Path, *, progress: Callable[[str], object] = quiet
) -> ExportSummary:
    """Write tenant ``slug`` to the ZIP ``out`` (see the module docstring). Raises UnknownTenant."""
    tenant = await get_tenant(db, slug)
    schema = tenant.schema_name
    out = Path(os.path.abspath(out))  # noqa: ASYNC240 - no I/O, only the working directory
    await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.part")
    counts: dict[str, int] = {}
    withheld: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(temp, "x", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            async with db.engine.connect() as conn:
                snap = await conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
                async with snap.begin():
                    revision = await repo.schema_revision(snap, schema)
                    for table, pk in await repo.schema_tables(snap, schema):
                        if table in WITHHELD_TABLES:
                            continue
                        counts[table], dropped = await _export_table(snap, archive, schema, table, pk)
                        if dropped:
                            withheld[table] = dropped
                        progress(f"{table}: {counts[table]:,} rows")
            manifest = {
                "tenant": {
                    "slug": tenant.slug,
                    "name": tenant.name,
                    "schema": schema,
                    "status": tenant.status,
                },
                "schema_revision": revision,
                "created_at": datetime.now(UTC).isoformat(),
                "tables": counts,
                "files": {t: [f"{t}.json", f"{t}.csv"] for t in counts},
                "withheld": {"tables": sorted(WITHHELD_TABLES - {"alembic_version"}), "columns": withheld},
                "csv": "UTF-8 with BOM; text starting with = + - @ is prefixed with ' (spreadsheet safety); "
                "the JSON files hold the exact values",
            }
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        with temp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    size = out.stat().st_size
    progress(f"wrote {out} ({len(counts)} tables, {sum(counts.values()):,} rows, {size:,} bytes)")
    return ExportSummary(out, counts, size)


async def _export_table(
    conn: Any, archive: zipfile.ZipFile, schema: str, table: str, pk: list[str]
) -> tuple[int, list[str]]:
    columns = [
        r.attname
        for r in await conn.execute(
            text(
                "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(:t) AND a.attnum > 0 "
                "AND NOT a.attisdropped ORDER BY a.attnum"
            ),
            {"t": f"{quote_ident(schema)}.{quote_ident(table)}"},
        )
    ]
    kept = [c for c in columns if c not in WITHHELD_COLUMNS]
    dropped = [c for c in columns if c in WITHHELD_COLUMNS]
    order = ", ".join(quote_ident(c) for c in pk) or "1"
    select_list = ", ".join(quote_ident(c) for c in kept)
    result = await conn.stream(
        text(f"SELECT {select_list} FROM {quote_ident(schema)}.{quote_ident(table)} ORDER BY {order}")
    )
    count = 0
    # One write handle at a time per ZIP: the CSV is spooled (memory, then disk) while the JSON
    # streams, and copied in after it.
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as csv_spool:
        csv_text = io.TextIOWrapper(csv_spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(csv_text)
        writer.writerow(kept)
        with archive.open(f"{table}.json", "w", force_zip64=True) as json_out:
            json_out.write(b"[")
            async for partition in result.partitions(FETCH_ROWS):
                for row in partition:
                    values = list(row)
                    record = {c: _json_value(v) for c, v in zip(kept, values, strict=True)}
                    json_out.write(
                        (b",\n" if count else b"\n") + json.dumps(record, ensure_ascii=False).encode()
                    )
                    writer.writerow([_csv_cell(v) for v in values])
                    count += 1
            json_out.write(b"\n]\n" if count else b"]\n")
        csv_text.flush()
        csv_text.detach()
        csv_spool.seek(0)
        with archive.open(f"{table}.csv", "w", force_zip64=True) as csv_out:
            shutil.copyfileobj(csv_spool, csv_out, 1 << 20)
    return count, dropped
