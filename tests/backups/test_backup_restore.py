"""Backing up a dealer, verifying the backup, and restoring it: into the same dealer or a new one.

The dealer's salesperson 张伟 has three customers when the backup is taken. Afterwards he renames
one and adds a fourth; restoring brings the book back to the three, and the data he changed is
kept aside. A file that was altered, cut short or sealed under another key is refused before the
database is touched, whichever way the restore was asked for.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from alembic import command
from backup_kit import (
    BOOK,
    OTHER_KEY,
    add_customers,
    backup_settings,
    customer_names,
    fingerprints,
    open_alerts,
    schemas,
)
from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar
from sqlalchemy import Connection, text

from app.backups import repository as repo
from app.backups.crypto import CorruptBackup, TruncatedBackup, WrongKey, file_sha256
from app.backups.models import BackupStatus
from app.backups.restore import restore_backup
from app.backups.service import backup_files, run_backup
from app.backups.verify import VerificationFailed, verify_backup
from app.customers import service as customers
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from tenancy import registry
from tenancy.migrate import alembic_config, head_revision, script_directory


async def test_a_backup_is_encrypted_complete_and_verified_against_its_own_snapshot(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    settings = backup_settings(tmp_path)
    await add_customers(app, tenant, "sales_a", BOOK)
    started = time.perf_counter()
    backup = await run_backup(app.state.db, tenant.slug, settings=settings)
    took_backup = time.perf_counter() - started

    assert backup.status == BackupStatus.COMPLETED and backup.kind == "manual"
    path = backup_files(settings, tenant.schema).path(backup.file_name)
    assert backup.sha256 == file_sha256(path) and backup.size_bytes == path.stat().st_size
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    content = path.read_bytes()
    # Nothing of the dealer's data is readable in the file.
    assert (
        "刘德华".encode() not in content and b"13912345678" not in content and b"CREATE TABLE" not in content
    )
    assert backup.schema_revision == head_revision("tenant")
    assert backup.source_tables is not None and backup.source_tables["customers"]["rows"] == 3
    assert backup.source_tables["users"]["rows"] == 11  # the owner and the cast of ten

    before = await schemas(app)
    started = time.perf_counter()
    verified = await verify_backup(app.state.db, backup.id, settings=settings)
    took_verify = time.perf_counter() - started
    assert verified.status == BackupStatus.VERIFIED and verified.verified_at is not None
    assert verified.verification is not None
    assert verified.verification["tables"]["customers"] == {
        "rows": 3,
        "checksum": backup.source_tables["customers"]["checksum"],
        "match": True,
    }
    assert all(t["match"] for t in verified.verification["tables"].values())
    assert await schemas(app) == before  # the scratch schema is gone
    print(f"\nbackup {took_backup:.2f}s, verification {took_verify:.2f}s for {backup.size_bytes} bytes")


async def test_restoring_into_a_new_tenant_gives_an_identical_working_copy(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    settings = backup_settings(tmp_path)
    await add_customers(app, tenant, "sales_a", BOOK)
    backup = await run_backup(app.state.db, tenant.slug, settings=settings)
    copy = f"{tenant.slug}-copy"

    started = time.perf_counter()
    outcome = await restore_backup(app.state.db, backup.id, into_slug=copy, settings=settings)
    took = time.perf_counter() - started

    assert outcome.tenant_slug == copy and outcome.kept_schema is None and outcome.upgraded == []
    async with app.state.db.engine.connect() as conn:
        registered = await registry.get_tenant(conn, copy)
        assert registered is not None and registered.schema_name == f"t_{copy.replace('-', '_')}"
        pending = await conn.scalar(
            text(f"SELECT count(*) FROM {registered.schema_name}.outbox WHERE dispatched_at IS NULL")
        )
        source_pending = await conn.scalar(
            text(f"SELECT count(*) FROM {tenant.schema}.outbox WHERE dispatched_at IS NULL")
        )
        restore_audit = await conn.scalar(
            text(
                f"SELECT after->>'backup_id' FROM {registered.schema_name}.audit_log "
                "WHERE action = 'restore_backup'"
            )
        )
    copied, source = await fingerprints(app, registered.schema_name), backup.source_tables or {}
    # Every table of the copy matches the backup, except what the restore itself wrote: the audit
    # record of the restore, and the copy's outbox marked sent so its events are not sent twice.
    assert {t: copied[t] for t in copied if t not in ("audit_log", "outbox")} == {
        t: source[t] for t in source if t not in ("audit_log", "outbox")
    }
    assert copied["audit_log"]["rows"] == source["audit_log"]["rows"] + 1
    assert restore_audit == str(backup.id)
    assert source_pending == 3 and pending == 0
    # 张伟 logs in to the copy with his own password and sees his three customers.
    browser = await logged_in(
        app, TenantKit(tenant.slug, registered.schema_name, f"{copy}.localhost"), "sales_a"
    )
    page = await browser.get("/customers")
    assert page.status_code == 200 and "郭富城" in page.text
    print(f"\nrestore into a new tenant {took:.2f}s")


async def test_restoring_the_same_tenant_brings_the_old_data_back_and_keeps_the_newer_aside(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    settings = backup_settings(tmp_path)
    made = await add_customers(app, tenant, "sales_a", BOOK)
    backup = await run_backup(app.state.db, tenant.slug, settings=settings)
    zhang = await actor(app, tenant, "sales_a")

    async def book() -> list[str]:
        # Through the app's own pooled tenant session, as a request would read it.
        async with app.state.db.tenant_session(tenant.schema) as session:
            page = await customers.list_customers(session, zhang, CustomerFilter(), first=50)
            return sorted(c.name for c in page.items)

    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.update_customer(session, zhang, made[0].id, 1, CustomerInput(name="刘德华（已改名）"))
    await add_customers(app, tenant, "sales_a", [{"name": "黎明", "mobile": "13600136000"}])
    assert await book() == sorted(["刘德华（已改名）", "张学友", "郭富城", "黎明"])

    outcome = await restore_backup(app.state.db, backup.id, settings=settings)

    assert outcome.tenant_slug == tenant.slug and outcome.schema == tenant.schema
    assert await book() == sorted(["刘德华", "张学友", "郭富城"])
    # What was there before the restore is kept in its own schema until the sweep drops it.
    assert outcome.kept_schema and outcome.kept_schema.startswith("bak_pre_restore_")
    assert await customer_names(app, outcome.kept_schema) == sorted(
        ["刘德华（已改名）", "张学友", "郭富城", "黎明"]
    )
    # The restored tenant takes new work (identity sequences came back with the data).
    await add_customers(app, tenant, "sales_a", [{"name": "黎明", "mobile": "13600136000"}])
    assert len(await book()) == 4


@pytest.fixture(scope="module")
async def haier(app: Litestar, tmp_path_factory: pytest.TempPathFactory) -> tuple[TenantKit, object, Path]:
    """One tenant with one backup, shared by the tampering cases below (each puts the file back)."""
    from crm_testkit import make_tenant

    folder = tmp_path_factory.mktemp("backups")
    kit = await make_tenant(app, f"bkhaier-{int(time.time()) % 100000}")
    await add_customers(app, kit, "sales_a", BOOK)
    backup = await run_backup(app.state.db, kit.slug, settings=backup_settings(folder))
    return kit, backup, folder


def _flip(content: bytes) -> bytes:
    damaged = bytearray(content)
    damaged[len(content) // 2] ^= 0x40  # inside the encrypted dump
    return bytes(damaged)


def _header_only(content: bytes) -> bytes:
    header_len = int.from_bytes(content[8:12], "big")
    return content[: 12 + header_len]  # cut exactly where the first frame starts


@pytest.mark.parametrize(
    ("damage", "record_new_sha", "refusal"),
    [
        (_flip, False, CorruptBackup),  # caught by the recorded SHA-256
        (lambda c: c[: len(c) // 2], False, CorruptBackup),
        # Even someone who could also rewrite the recorded SHA-256 gets nowhere: every frame is
        # authenticated, and a file cut between frames lacks its final frame.
        (_flip, True, CorruptBackup),
        (_header_only, True, TruncatedBackup),
    ],
    ids=["flipped-byte", "truncated", "flipped-byte-sha-rewritten", "cut-between-frames-sha-rewritten"],
)
@pytest.mark.parametrize("into", [False, True], ids=["same-tenant", "new-tenant"])
async def test_a_tampered_file_is_refused_before_anything_is_touched(
    app: Litestar,
    haier: tuple[TenantKit, object, Path],
    damage,
    record_new_sha: bool,
    refusal: type,
    into: bool,
) -> None:
    kit, backup, folder = haier
    settings = backup_settings(folder)
    path = backup_files(settings, kit.schema).path(backup.file_name)  # type: ignore[attr-defined]
    original = path.read_bytes()
    before_schemas, before_data = await schemas(app), await fingerprints(app, kit.schema)
    path.write_bytes(damage(original))
    if record_new_sha:
        async with app.state.db.engine.begin() as conn:
            await repo.update_backup(conn, backup.id, sha256=file_sha256(path))  # type: ignore[attr-defined]
    try:
        with pytest.raises(refusal):
            await restore_backup(
                app.state.db,
                backup.id,
                into_slug=f"{kit.slug}-x" if into else None,
                settings=settings,  # type: ignore[attr-defined]
            )
        assert await schemas(app) == before_schemas
        assert await fingerprints(app, kit.schema) == before_data
        async with app.state.db.engine.connect() as conn:
            assert await registry.get_tenant(conn, f"{kit.slug}-x") is None
    finally:
        path.write_bytes(original)
        async with app.state.db.engine.begin() as conn:
            await repo.update_backup(conn, backup.id, sha256=file_sha256(path))  # type: ignore[attr-defined]


async def test_a_backup_under_another_master_key_is_refused(
    app: Litestar, haier: tuple[TenantKit, object, Path]
) -> None:
    kit, backup, folder = haier
    before = await schemas(app)
    with pytest.raises(WrongKey, match="encrypted under master key"):
        await restore_backup(app.state.db, backup.id, settings=backup_settings(folder, OTHER_KEY))  # type: ignore[attr-defined]
    assert await schemas(app) == before


async def test_verifying_a_damaged_backup_fails_it_and_alerts_the_operators(
    app: Litestar, haier: tuple[TenantKit, object, Path]
) -> None:
    kit, backup, folder = haier
    settings = backup_settings(folder)
    path = backup_files(settings, kit.schema).path(backup.file_name)  # type: ignore[attr-defined]
    path.write_bytes(_flip(path.read_bytes()))
    with pytest.raises(VerificationFailed, match="SHA-256"):
        await verify_backup(app.state.db, backup.id, settings=settings)  # type: ignore[attr-defined]
    async with app.state.db.engine.connect() as conn:
        failed = await repo.get_backup(conn, backup.id)  # type: ignore[attr-defined]
    assert failed is not None and failed.status == BackupStatus.FAILED
    assert failed.error and failed.error.startswith("verification failed")
    assert "failed verification" in (await open_alerts(app, kit.slug))["backup_verify_failed"]
    # A failed backup is not offered for restore any more.
    with pytest.raises(Exception, match="is failed"):
        await restore_backup(app.state.db, failed.id, settings=settings)


def _downgrade(sync_conn: Connection, schema: str, revision: str) -> None:
    cfg = alembic_config("tenant")
    cfg.attributes["connection"] = sync_conn
    cfg.attributes["schema"] = schema
    command.downgrade(cfg, revision)


async def test_a_backup_from_before_the_latest_migration_is_restored_at_head(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    settings = backup_settings(tmp_path)
    head = head_revision("tenant")
    previous = script_directory("tenant").get_revision(head).down_revision
    assert isinstance(previous, str)
    async with app.state.db.engine.connect() as conn:
        await conn.run_sync(_downgrade, tenant.schema, previous)
        await conn.commit()
    backup = await run_backup(app.state.db, tenant.slug, settings=settings)
    assert backup.schema_revision == previous

    outcome = await restore_backup(app.state.db, backup.id, into_slug=f"{tenant.slug}-old", settings=settings)

    assert outcome.upgraded == [head]
    async with app.state.db.engine.connect() as conn:
        assert await repo.schema_revision(conn, outcome.schema) == head
