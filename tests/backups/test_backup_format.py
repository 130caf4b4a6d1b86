"""The backup file format, the master key, the schema renamer, the retention plan and pg_tool.

No database here: these pin the rules the database tests rely on. A backup file that was cut,
altered, reordered or sealed under another key never decrypts; the master key is never invented
silently in production; a dump moved to another schema name keeps its data byte for byte.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import random
import stat
import struct
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar

from app.backups import crypto
from app.backups import repository as repo
from app.backups.crypto import (
    BackupKeyError,
    CorruptBackup,
    EncryptingWriter,
    MasterKey,
    TruncatedBackup,
    WrongKey,
    decrypt_frames,
    load_master_key,
    new_header,
    read_header,
    unwrap_data_key,
    wrap_data_key,
)
from app.backups.models import Backup, BackupKind, BackupStatus
from app.backups.pgtools import PgToolMissing, SchemaRename, pg_tool, tool_major
from app.backups.retention import RetentionPolicy, plan, scheduled_kind
from app.settings import get_settings

MASTER = MasterKey.from_bytes(b"k" * 32)
OTHER_MASTER = MasterKey.from_bytes(b"o" * 32)


def seal(plaintext: bytes, chunk_size: int = 1000, master: MasterKey = MASTER) -> tuple[bytes, uuid.UUID]:
    backup_id = uuid.uuid4()
    data_key = os.urandom(32)
    header = new_header(
        backup_id=backup_id,
        tenant_slug="haier",
        schema_name="t_haier",
        created_at="2026-01-01T00:00:00+00:00",
        master=master,
        wrapped_key=wrap_data_key(master, data_key, backup_id),
        chunk_size=chunk_size,
    )
    out = io.BytesIO()
    writer = EncryptingWriter(out, header, data_key)
    for i in range(0, len(plaintext), 333):  # the dump arrives in pieces of any size
        writer.write(plaintext[i : i + 333])
    writer.close()
    assert writer.size == len(out.getvalue())
    return out.getvalue(), backup_id


def open_sealed(data: bytes, backup_id: uuid.UUID, master: MasterKey = MASTER) -> bytes:
    f = io.BytesIO(data)
    header, header_bytes = read_header(f)
    key = unwrap_data_key(master, header.wrapped_key, backup_id, header.key_id)
    return b"".join(decrypt_frames(f, header, header_bytes, key))


def frame_offsets(data: bytes) -> list[int]:
    """Where each frame (its 4-byte length field) starts."""
    (header_len,) = struct.unpack(">I", data[8:12])
    offsets, at = [], 12 + header_len
    while at < len(data):
        offsets.append(at)
        (field,) = struct.unpack(">I", data[at : at + 4])
        at += 4 + (field & 0x7FFF_FFFF)
    return offsets


PLAIN = bytes(random.Random(7).getrandbits(8) for _ in range(4500))


def test_round_trip_over_several_frames_and_nothing_readable_in_the_file() -> None:
    sealed, backup_id = seal(PLAIN + "王建国 13912345678".encode())
    assert len(frame_offsets(sealed)) == 5
    assert open_sealed(sealed, backup_id) == PLAIN + "王建国 13912345678".encode()
    assert "王建国".encode() not in sealed and b"13912345678" not in sealed


def test_an_empty_dump_still_ends_with_a_final_frame() -> None:
    sealed, backup_id = seal(b"")
    assert open_sealed(sealed, backup_id) == b""


@pytest.mark.parametrize("keep_frames", [0, 1, 4])
def test_a_file_cut_exactly_between_frames_is_truncated(keep_frames: int) -> None:
    sealed, backup_id = seal(PLAIN)
    cut = frame_offsets(sealed)[keep_frames]
    with pytest.raises(TruncatedBackup):
        open_sealed(sealed[:cut], backup_id)


def test_a_file_cut_inside_a_frame_or_its_header_is_truncated() -> None:
    sealed, backup_id = seal(PLAIN)
    for cut in (frame_offsets(sealed)[2] + 2, frame_offsets(sealed)[2] + 100, 20, 10):
        with pytest.raises(TruncatedBackup):
            open_sealed(sealed[:cut], backup_id)


def test_every_flipped_byte_is_caught() -> None:
    """Magic, header (JSON with base64 fields), frame lengths, ciphertexts, tags: no byte is spare."""
    sealed, backup_id = seal(PLAIN)
    for position in range(len(sealed)):
        damaged = bytearray(sealed)
        damaged[position] ^= 0x01 if position % 2 else 0x80
        with pytest.raises((CorruptBackup, TruncatedBackup, WrongKey)):
            open_sealed(bytes(damaged), backup_id)


def test_frames_cannot_be_reordered_dropped_or_followed_by_more_data() -> None:
    sealed, backup_id = seal(PLAIN)
    offsets = frame_offsets(sealed)
    head, frames = (
        sealed[: offsets[0]],
        [sealed[a:b] for a, b in zip(offsets, [*offsets[1:], len(sealed)], strict=True)],
    )
    swapped = head + frames[1] + frames[0] + b"".join(frames[2:])
    dropped = head + frames[0] + b"".join(frames[2:])
    for damaged in (swapped, dropped):
        with pytest.raises(CorruptBackup):
            open_sealed(damaged, backup_id)
    with pytest.raises(CorruptBackup, match="follows the final frame"):
        open_sealed(sealed + b"\x00", backup_id)


def test_a_frame_flagged_final_early_fails_authentication() -> None:
    sealed, backup_id = seal(PLAIN)
    damaged = bytearray(sealed[: frame_offsets(sealed)[1]])  # keep frame 0 only, flag it final
    damaged[frame_offsets(sealed)[0]] |= 0x80
    with pytest.raises(CorruptBackup):
        open_sealed(bytes(damaged), backup_id)


def test_a_wrong_master_key_or_another_backups_id_is_refused() -> None:
    sealed, backup_id = seal(PLAIN)
    with pytest.raises(WrongKey, match=f"encrypted under master key {MASTER.key_id}"):
        open_sealed(sealed, backup_id, OTHER_MASTER)
    # The wrapped key is bound to its backup: a header copied onto another backup does not open.
    with pytest.raises(WrongKey):
        open_sealed(sealed, uuid.uuid4())


def test_not_a_backup_file() -> None:
    with pytest.raises(CorruptBackup, match="bad magic"):
        open_sealed(b"PGDMP\x01\x0e\x00" + b"\x00" * 100, uuid.uuid4())


# -- the master key -------------------------------------------------------------------------------


def test_production_without_a_master_key_fails_clearly(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        get_settings(), backup_master_key=None, environment="production", data_dir=tmp_path
    )
    with pytest.raises(BackupKeyError, match="BACKUP_MASTER_KEY is not set"):
        load_master_key(settings)
    assert not list(tmp_path.iterdir())  # no key file was invented


def test_development_makes_one_key_file_and_reuses_it(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        get_settings(), backup_master_key=None, environment="development", data_dir=tmp_path
    )
    first, second = load_master_key(settings), load_master_key(settings)
    assert first == second
    key_file = tmp_path / crypto.DEV_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [crypto.DEV_KEY_FILE]


@pytest.mark.parametrize(
    ("raw", "message"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "exactly 32 bytes")],
)
def test_a_malformed_master_key_is_refused(raw: str, message: str) -> None:
    with pytest.raises(BackupKeyError, match=message):
        load_master_key(dataclasses.replace(get_settings(), backup_master_key=raw))


def test_url_safe_base64_keys_are_accepted() -> None:
    key = bytes(range(200, 232))
    settings = dataclasses.replace(get_settings(), backup_master_key=base64.urlsafe_b64encode(key).decode())
    assert load_master_key(settings).key == key


# -- the schema renamer ---------------------------------------------------------------------------

SQL = (
    b"SELECT pg_catalog.set_config('search_path', '', false);\n"
    b"CREATE SCHEMA t_haier;\n"
    b"CREATE TABLE t_haier.customers (\n    id uuid NOT NULL,\n    name text\n);\n"
    b"CREATE TABLE t_haier_old.keep (id int);\n"
    b"COMMENT ON SCHEMA \"t_haier\" IS 'x';\n"
    b"COPY t_haier.customers (id, name) FROM stdin;\n"
    b"1\tt_haier.customers is where \\\\. lives\n"
    b"2\tCREATE SCHEMA t_haier;\n"
    b"\\.\n"
    b"COPY t_haier.empty (id) FROM stdin;\n"
    b"\\.\n"
    b"SELECT pg_catalog.setval('t_haier.audit_log_id_seq', 42, true);\n"
    b"ALTER TABLE ONLY t_haier.users ADD CONSTRAINT fk FOREIGN KEY (role_id) REFERENCES t_haier.roles(id);\n"
)
RENAMED = (
    b"SELECT pg_catalog.set_config('search_path', '', false);\n"
    b"CREATE SCHEMA bak_x;\n"
    b"CREATE TABLE bak_x.customers (\n    id uuid NOT NULL,\n    name text\n);\n"
    b"CREATE TABLE t_haier_old.keep (id int);\n"
    b"COMMENT ON SCHEMA \"bak_x\" IS 'x';\n"
    b"COPY bak_x.customers (id, name) FROM stdin;\n"
    b"1\tt_haier.customers is where \\\\. lives\n"
    b"2\tCREATE SCHEMA t_haier;\n"
    b"\\.\n"
    b"COPY bak_x.empty (id) FROM stdin;\n"
    b"\\.\n"
    b"SELECT pg_catalog.setval('bak_x.audit_log_id_seq', 42, true);\n"
    b"ALTER TABLE ONLY bak_x.users ADD CONSTRAINT fk FOREIGN KEY (role_id) REFERENCES bak_x.roles(id);\n"
)


@pytest.mark.parametrize("piece", [1, 2, 3, 4, 7, 64, len(SQL)])
def test_the_renamer_moves_ddl_and_leaves_table_data_alone(piece: int) -> None:
    """Customer data that mentions the schema name is copied as it was, however the stream is cut."""
    renamer = SchemaRename("t_haier", "bak_x")
    out = b"".join(renamer.feed(SQL[i : i + piece]) for i in range(0, len(SQL), piece)) + renamer.finish()
    assert out == RENAMED
    assert renamer.copy_blocks == 2


def test_the_renamer_refuses_a_stream_that_ends_inside_table_data() -> None:
    renamer = SchemaRename("t_haier", "bak_x")
    renamer.feed(b"COPY t_haier.customers (id) FROM stdin;\n1\n")
    with pytest.raises(ValueError, match="inside a COPY block"):
        renamer.finish()


# -- retention ------------------------------------------------------------------------------------

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def backup(days_ago: float, status: str = BackupStatus.VERIFIED, kind: str = BackupKind.DAILY) -> Backup:
    return Backup(
        id=uuid.uuid4(), created_at=NOW - timedelta(days=days_ago), status=status, kind=kind, deleted_at=None
    )


def test_retention_keeps_the_newest_of_each_day_week_and_month() -> None:
    daily = [backup(d) for d in range(0, 120)]  # one scheduled backup a day for four months
    extra_same_day = backup(0.2)  # an older one of today: today's newest wins
    result = plan([*daily, extra_same_day], RetentionPolicy(daily=7, weekly=4, monthly=3, manual=1), now=NOW)
    kept = {round((NOW - b.created_at).total_seconds() / 86400, 1) for b in result.keep}
    # 7 days (0-6), the newest of 4 ISO weeks (Sundays 28 Jun, 21 Jun, 14 Jun are in them) and
    # the newest of 3 months (30 Jun is today's; 31 May, 30 Apr).
    assert kept == {0, 1, 2, 3, 4, 5, 6, 9, 16, 30, 61}
    assert extra_same_day in result.prune
    assert len(result.keep) + len(result.prune) == 121


def test_retention_prefers_a_verified_backup_in_its_bucket_and_always_keeps_the_newest_verified() -> None:
    old_verified = backup(40)
    recent = [backup(d, status=BackupStatus.COMPLETED) for d in range(0, 5)]
    verified_earlier_today = backup(0.3)
    result = plan([old_verified, *recent, verified_earlier_today], RetentionPolicy(1, 0, 0, 0), now=NOW)
    assert {b.id for b in result.keep} == {verified_earlier_today.id}
    result = plan([old_verified, *recent], RetentionPolicy(1, 0, 0, 0), now=NOW)
    # Nothing recent verified: the newest verified one stays, however old.
    assert {b.id for b in result.keep} == {recent[0].id, old_verified.id}


def test_manual_backups_are_kept_by_count_and_failed_files_after_the_daily_window() -> None:
    manual = [backup(d, kind=BackupKind.MANUAL) for d in (1, 2, 3)]
    failed_old, failed_new = backup(9, status=BackupStatus.FAILED), backup(2, status=BackupStatus.FAILED)
    result = plan([*manual, failed_old, failed_new], RetentionPolicy(7, 4, 12, 2), now=NOW)
    assert {b.id for b in result.keep} == {manual[0].id, manual[1].id}
    assert result.prune == [manual[2]]
    assert result.discard_failed == [failed_old]


def test_a_scheduled_backup_is_labelled_by_the_bucket_it_opens() -> None:
    assert scheduled_kind([], NOW) == BackupKind.MONTHLY
    assert scheduled_kind([backup(1)], NOW) == BackupKind.DAILY  # 29 Jun: same ISO week, same month
    assert scheduled_kind([backup(8)], NOW) == BackupKind.WEEKLY
    assert scheduled_kind([backup(1, status=BackupStatus.FAILED)], NOW) == BackupKind.MONTHLY


# -- pg_tool --------------------------------------------------------------------------------------


async def server_major(app: Litestar) -> int:
    async with app.state.db.engine.connect() as conn:
        return await repo.server_major(conn)


async def test_pg_tool_matches_the_servers_major_version(app: Litestar) -> None:
    major = await server_major(app)
    for name in ("pg_dump", "pg_restore", "psql"):
        path = pg_tool(name, major, dataclasses.replace(get_settings(), pg_bin_dir=None))
        assert tool_major(str(path)) == major and path.name == name


async def test_pg_tool_honours_pg_bin_dir_and_says_when_the_program_is_missing(
    app: Litestar, tmp_path: Path
) -> None:
    real = pg_tool("pg_dump", await server_major(app), dataclasses.replace(get_settings(), pg_bin_dir=None))
    settings = dataclasses.replace(get_settings(), pg_bin_dir=real.parent)
    assert pg_tool("pg_dump", 99, settings) == real  # the operator's choice is not second-guessed
    with pytest.raises(PgToolMissing, match="PG_BIN_DIR"):
        pg_tool("pg_dump", 15, dataclasses.replace(get_settings(), pg_bin_dir=tmp_path))


def test_pg_tool_refuses_a_server_newer_than_any_pg_dump() -> None:
    with pytest.raises(PgToolMissing, match="no pg_dump for PostgreSQL 99"):
        pg_tool("pg_dump", 99, dataclasses.replace(get_settings(), pg_bin_dir=None))
