"""``dealercrm backup ...`` and ``dealercrm tenant export``, run as the operator runs them.

An operator on call backs up 美的专卖店, lists and verifies its backups, restores it after a bad
import (asked to confirm first), restores a copy under a new name to look at, and exports the
dealer's data for a migration off the platform. Typos, unknown names and a damaged file end with
one ``error:`` line and exit code 1, never a traceback, and change nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from backup_kit import BOOK, MASTER_KEY, add_customers, backup_settings, customer_names, schemas
from crm_testkit import TenantKit, make_tenant
from litestar import Litestar
from sqlalchemy import text

from app.backups import repository as repo
from app.backups.service import backup_files
from app.models import tenant_metadata
from tenancy import registry

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")


@pytest.fixture(scope="module")
def backup_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-backups")


@pytest.fixture(scope="module")
async def midea(app: Litestar) -> TenantKit:
    """美的专卖店 with 张伟's three customers and one whose note a spreadsheet would run."""
    kit = await make_tenant(app, f"bkmidea-{os.getpid() % 100000}")
    await add_customers(app, kit, "sales_a", [*BOOK, {"name": "黎明", "notes": '=HYPERLINK("http://x")'}])
    return kit


async def dealercrm(backup_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    env = {**os.environ, "BACKUP_DIR": str(backup_dir), "BACKUP_MASTER_KEY": MASTER_KEY}
    result = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def failed_with(result: subprocess.CompletedProcess[str], message: str) -> bool:
    assert result.returncode == 1, (result.stdout, result.stderr)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, result.stderr
    return True


async def test_backup_run_list_and_verify(app: Litestar, midea: TenantKit, backup_dir: Path) -> None:
    run = await dealercrm(backup_dir, "backup", "run", "--tenant", midea.slug)
    assert run.returncode == 0, run.stderr
    # Every table of the tenant's schema is dumped: the models' tables and Alembic's version table.
    tables = len(tenant_metadata.tables) + 1
    # The steps are shown as they happen.
    assert "dumping schema" in run.stdout and f"completed: {tables} tables" in run.stdout
    assert "verified" in run.stdout
    backup_id = run.stdout.strip().splitlines()[-1].removeprefix("backup ")

    listing = await dealercrm(backup_dir, "backup", "list", "--tenant", midea.slug)
    assert listing.returncode == 0
    header, row = listing.stdout.splitlines()
    assert header.split()[:4] == ["id", "taken", "(UTC)", "kind"]
    assert row.split()[0] == backup_id[:8] and row.split()[3:5] == ["manual", "verified"]

    verify = await dealercrm(
        backup_dir, "backup", "verify", "--tenant", midea.slug, "--backup", backup_id[:8]
    )
    assert verify.returncode == 0 and f"verified, {tables} tables" in verify.stdout


async def _latest(app: Litestar, slug: str) -> str:
    async with app.state.db.engine.connect() as conn:
        return str((await repo.list_backups(conn, slug))[0].id)


async def test_restore_asks_for_confirmation_then_brings_the_data_back(
    app: Litestar, midea: TenantKit, backup_dir: Path
) -> None:
    backup_id = await _latest(app, midea.slug)
    await add_customers(app, midea, "sales_a", [{"name": "错误导入的客户", "mobile": "13500135000"}])

    unconfirmed = await dealercrm(
        backup_dir, "backup", "restore", "--tenant", midea.slug, "--backup", backup_id
    )
    assert failed_with(unconfirmed, "confirm with --yes")
    assert "错误导入的客户" in await customer_names(app, midea.schema)

    confirmed = await dealercrm(
        backup_dir, "backup", "restore", "--tenant", midea.slug, "--backup", backup_id, "--yes"
    )
    assert confirmed.returncode == 0, confirmed.stderr
    steps = confirmed.stdout
    assert "checking the file" in steps and "restoring into new schema" in steps and "copy matches" in steps
    assert "now runs on the restored data" in steps
    assert "错误导入的客户" not in await customer_names(app, midea.schema)


async def test_restore_into_a_new_tenant_for_inspection(
    app: Litestar, midea: TenantKit, backup_dir: Path
) -> None:
    backup_id = await _latest(app, midea.slug)
    copy = f"{midea.slug}-look"
    result = await dealercrm(
        backup_dir, "backup", "restore", "--tenant", midea.slug, "--backup", backup_id, "--into", copy
    )
    assert result.returncode == 0, result.stderr
    assert f"tenant {copy} created from the backup" in result.stdout
    async with app.state.db.engine.connect() as conn:
        assert await registry.get_tenant(conn, copy) is not None
    assert await customer_names(app, f"t_{copy.replace('-', '_')}") == sorted(
        ["刘德华", "张学友", "郭富城", "黎明"]
    )

    again = await dealercrm(
        backup_dir, "backup", "restore", "--tenant", midea.slug, "--backup", backup_id, "--into", copy
    )
    assert failed_with(again, f"tenant {copy!r} already exists")


async def test_typos_and_unknown_names_get_a_clear_error(
    app: Litestar, midea: TenantKit, other_tenant: TenantKit, backup_dir: Path
) -> None:
    backup_id = await _latest(app, midea.slug)
    cases = [
        (("backup", "run", "--tenant", "no-such-dealer"), "no tenant 'no-such-dealer'"),
        (("backup", "list", "--tenant", "no-such-dealer"), "no tenant 'no-such-dealer'"),
        (("backup", "verify", "--tenant", midea.slug, "--backup", "12345678"), "no backup '12345678'"),
        (("backup", "verify", "--tenant", midea.slug, "--backup", "xyz"), "is not a backup id"),
        # A backup of one dealer is not reachable under another dealer's name.
        (("backup", "restore", "--tenant", other_tenant.slug, "--backup", backup_id, "--yes"), "no backup"),
        (
            ("backup", "restore", "--tenant", midea.slug, "--backup", backup_id, "--into", "Bad_Name"),
            "cannot name",
        ),
        (
            ("tenant", "export", "no-such-dealer", "--out", str(backup_dir / "x.zip")),
            "no tenant 'no-such-dealer'",
        ),
    ]
    before = await schemas(app)
    results = await asyncio.gather(*(dealercrm(backup_dir, *args) for args, _ in cases))
    for (args, message), result in zip(cases, results, strict=True):
        assert failed_with(result, message), args
    assert await schemas(app) == before
    assert not (backup_dir / "x.zip").exists()


async def test_a_damaged_backup_is_refused(app: Litestar, midea: TenantKit, backup_dir: Path) -> None:
    backup_id = await _latest(app, midea.slug)
    async with app.state.db.engine.connect() as conn:
        backup = await repo.get_backup(conn, uuid.UUID(backup_id))
    assert backup is not None
    path = backup_files(backup_settings(backup_dir), midea.schema).path(backup.file_name)
    damaged = bytearray(path.read_bytes())
    damaged[-100] ^= 0xFF
    path.write_bytes(bytes(damaged))
    before = await customer_names(app, midea.schema)

    restore = await dealercrm(
        backup_dir, "backup", "restore", "--tenant", midea.slug, "--backup", backup_id, "--yes"
    )
    assert failed_with(restore, "refused, nothing was changed: the file's SHA-256")
    assert await customer_names(app, midea.schema) == before
    verify = await dealercrm(backup_dir, "backup", "verify", "--tenant", midea.slug, "--backup", backup_id)
    assert failed_with(verify, "failed verification")


async def test_tenant_export_writes_every_table_as_json_and_csv(
    app: Litestar, midea: TenantKit, tmp_path: Path
) -> None:
    out = tmp_path / "exports" / "midea.zip"
    result = await dealercrm(tmp_path, "tenant", "export", midea.slug, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "customers: 4 rows" in result.stdout and f"wrote {out}" in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["midea.zip"]  # no partial file beside it

    async with app.state.db.engine.connect() as conn:
        tables = [t for t, _ in await repo.schema_tables(conn, midea.schema)]
        users = await conn.scalar(text(f"SELECT count(*) FROM {midea.schema}.users"))
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        customers = json.loads(archive.read("customers.json"))
        customers_csv = archive.read("customers.csv").decode("utf-8")
        exported_users = json.loads(archive.read("users.json"))

    exported = {t for t in tables if t not in ("alembic_version", "user_sessions", "api_tokens")}
    assert names == {"manifest.json"} | {f"{t}.{ext}" for t in exported for ext in ("json", "csv")}
    assert manifest["tenant"]["slug"] == midea.slug and manifest["schema_revision"]
    assert manifest["tables"]["customers"] == 4 and manifest["tables"]["users"] == users
    assert sorted(c["name"] for c in customers) == sorted(["刘德华", "张学友", "郭富城", "黎明"])
    assert {c["mobile"] for c in customers} >= {"13912345678", "13800138000"}
    # Credentials never leave: no password hashes, TOTP secrets or session tables.
    assert len(exported_users) == users and "password_hash" not in exported_users[0]
    assert manifest["withheld"]["columns"]["users"] == [
        "password_hash",
        "totp_secret",
        "totp_pending_secret",
        "recovery_code_hashes",
    ]
    # The CSV opens in Excel/WPS: a BOM, a header row, and a formula shown as text; JSON keeps it exact.
    assert customers_csv.startswith("\ufeffid,name,")
    rows = list(csv.DictReader(io.StringIO(customers_csv.removeprefix("\ufeff"))))
    note = {r["name"]: r["notes"] for r in rows}["黎明"]
    assert note == '\'=HYPERLINK("http://x")'
    assert {c["name"]: c["notes"] for c in customers}["黎明"] == '=HYPERLINK("http://x")'

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    result = await dealercrm(tmp_path, "tenant", "export", midea.slug, "--out", str(blocked / "x.zip"))
    assert failed_with(result, "could not write")
