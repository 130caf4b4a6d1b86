"""Deleting a tenant with a grace period, restoring it, purging it.

林涛 deletes a dealer from the console (typing its address to confirm): a verified final backup is
taken first, then its hosts are refused at once (browsers get a "deleted" page, the API a JSON
error) while its schema stays for TENANT_DELETE_GRACE_DAYS. A restore inside that time brings it
back exactly: same data, same sessions and tokens, same status. After the grace period the purge
job drops the schema and the files, keeps the registry row marked ``purged`` (audited), and a
restore is then refused with a message saying so.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import TenantKit, actor, browser, integrator, logged_in, token_for
from lifecycle_kit import SettingsOverride, audit_entries, console_for, new_operator
from litestar import Litestar
from sqlalchemy import text

from app.backups.crypto import generate_key_text
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.platform import lifecycle
from app.platform.audit import PlatformActor
from tenancy import registry

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")
VIEWER = "{ viewer { email } }"


@pytest.fixture
def backups_here(app: Litestar, tmp_path: Path) -> Iterator[Any]:
    """Backups for this test go to a folder of its own, sealed with a key of its own."""
    with SettingsOverride(
        app, backup_dir=tmp_path / "backups", backup_master_key=generate_key_text()
    ) as settings:
        yield settings


async def schema_exists(app: Litestar, schema: str) -> bool:
    async with app.state.db.engine.connect() as conn:
        return bool(
            await conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        )


async def tenant_row(app: Litestar, slug: str) -> Any:
    async with app.state.db.engine.connect() as conn:
        return await registry.get_tenant(conn, slug)


async def customer_names(app: Litestar, kit: TenantKit) -> list[str]:
    async with app.state.db.engine.connect() as conn:
        return sorted((await conn.execute(text(f"SELECT name FROM {kit.schema}.customers"))).scalars())


async def no_backup(_db: Any, _settings: Any, _tenant: Any) -> None:
    """For tests about what follows the backup: the backup itself is tested in the first test."""
    return None


async def test_a_deleted_dealer_is_refused_and_a_restore_brings_it_back_exactly(
    app: Litestar, tenant: TenantKit, backups_here: Any
) -> None:
    wang = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.create_customer(session, wang, CustomerInput(name="赵敏", mobile="13800138001"))
    zhang_wei = await logged_in(app, tenant, "sales_a")
    erp = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    lin_tao = await new_operator(app)
    console = await console_for(app, lin_tao)

    response = await console.post_form(f"/operator/tenants/{tenant.slug}/delete", {"confirm": tenant.slug})

    assert (
        response.status_code == 303
        and response.headers["location"] == f"/operator/tenants/{tenant.slug}?done=deleted"
    )
    deleted = await tenant_row(app, tenant.slug)
    assert (deleted.status, deleted.status_before_delete) == ("deleted", "active")
    assert abs((deleted.delete_after - deleted.deleted_at) - timedelta(days=30)) < timedelta(seconds=1)
    assert await schema_exists(app, tenant.schema)  # kept through the grace period
    # The final backup was taken and verified before anything changed.
    [entry] = await audit_entries(app, tenant.slug, "delete")
    assert entry["operator_email"] == lin_tao and entry["details"]["final_backup"]
    async with app.state.db.engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM public.backups WHERE id = :id"), {"id": entry["details"]["final_backup"]}
        )
    assert status == "verified"
    # Refused like a suspended dealer, with its own page.
    page = await zhang_wei.get("/customers")
    assert page.status_code == 403 and "账号已删除" in page.text
    api = await erp.post("/graphql", json={"query": VIEWER})
    assert api.status_code == 403 and api.json()["errors"][0]["extensions"]["code"] == "TENANT_DELETED"
    detail = await console.get(f"/operator/tenants/{tenant.slug}")
    assert 'data-status="deleted"' in detail.text and 'id="restore-form"' in detail.text

    restored = await console.post_form(f"/operator/tenants/{tenant.slug}/restore", {})

    assert restored.status_code == 303
    back = await tenant_row(app, tenant.slug)
    assert (back.status, back.deleted_at, back.delete_after) == ("active", None, None)
    assert await customer_names(app, tenant) == ["赵敏"]
    assert (await zhang_wei.get("/customers")).status_code == 200  # the same session
    assert (await erp.gql(VIEWER))["data"]["viewer"]["email"] == tenant.email("sales_a")
    assert [e["operator_email"] for e in await audit_entries(app, tenant.slug, "restore")] == [lin_tao]


async def test_a_suspended_dealer_comes_back_suspended(app: Litestar, tenant: TenantKit) -> None:
    engine = app.state.db.engine
    by = PlatformActor(None, "lintao@dealercrm.example")
    from app.platform import service as platform

    await platform.suspend(engine, tenant.slug, by)
    await lifecycle.delete_tenant(app.state.db, app.state.settings, tenant.slug, by, final_backup=no_backup)
    restored = await lifecycle.restore_tenant(engine, tenant.slug, by)
    assert (restored.status, restored.suspended_reason) == ("suspended", "operator")


async def test_the_console_asks_for_the_address_before_deleting(app: Litestar, tenant: TenantKit) -> None:
    console = await console_for(app, await new_operator(app))
    for confirm in ("", "yes", tenant.slug.upper()):
        response = await console.post_form(f"/operator/tenants/{tenant.slug}/delete", {"confirm": confirm})
        assert response.status_code == 422 and "请准确输入租户地址以确认删除" in response.text
    assert (await tenant_row(app, tenant.slug)).status == "active"
    assert await audit_entries(app, tenant.slug, "delete") == []


async def test_a_failed_final_backup_stops_the_delete(app: Litestar, tenant: TenantKit) -> None:
    async def broken(_db: Any, _settings: Any, _tenant: Any) -> str:
        raise RuntimeError("backup disk full")

    with pytest.raises(lifecycle.FinalBackupFailed, match="backup disk full"):
        await lifecycle.delete_tenant(
            app.state.db, app.state.settings, tenant.slug, PlatformActor.system(), final_backup=broken
        )
    assert (await tenant_row(app, tenant.slug)).status == "active"
    [refusal] = await audit_entries(app, tenant.slug, "delete_refused")
    assert refusal["details"]["reason"] == "final_backup_failed"


async def test_deleting_twice_and_restoring_a_live_dealer_are_refused(
    app: Litestar, tenant: TenantKit
) -> None:
    db, by = app.state.db, PlatformActor.system()
    with pytest.raises(lifecycle.NotDeleted):
        await lifecycle.restore_tenant(db.engine, tenant.slug, by)
    await lifecycle.delete_tenant(db, app.state.settings, tenant.slug, by, final_backup=no_backup)
    with pytest.raises(lifecycle.TenantGone, match="already deleted"):
        await lifecycle.delete_tenant(db, app.state.settings, tenant.slug, by, final_backup=no_backup)
    from app.platform import service as platform

    with pytest.raises(platform.TenantNotLive):
        await platform.resume(db.engine, tenant.slug, by)


async def test_the_purge_drops_the_schema_after_the_grace_period_and_restore_is_then_refused(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    db, settings, by = app.state.db, app.state.settings, PlatformActor.system()
    files = settings.files_dir / tenant.schema / "exports"
    files.mkdir(parents=True, exist_ok=True)
    (files / "customers.csv").write_text("姓名\n赵敏\n")
    await lifecycle.delete_tenant(db, settings, tenant.slug, by, final_backup=no_backup)
    await lifecycle.delete_tenant(db, settings, other_tenant.slug, by, final_backup=no_backup)

    # Inside the grace period nothing is purged.
    early = await lifecycle.purge_due(db.engine, settings)
    assert tenant.slug not in early.purged and await schema_exists(app, tenant.schema)

    async with db.engine.begin() as conn:
        await registry.update_tenant(conn, tenant.slug, delete_after=datetime.now(UTC) - timedelta(seconds=1))
    report = await lifecycle.purge_due(db.engine, settings)

    assert tenant.slug in report.purged and other_tenant.slug not in report.purged
    assert not await schema_exists(app, tenant.schema) and await schema_exists(app, other_tenant.schema)
    assert not (settings.files_dir / tenant.schema).exists()
    purged = await tenant_row(app, tenant.slug)
    assert purged.status == "purged" and purged.purged_at is not None  # the row stays as the record
    [entry] = await audit_entries(app, tenant.slug, "purge")
    assert entry["operator_email"] == "system" and entry["details"]["schema"] == tenant.schema
    # The purged dealer's host says it is gone; the console's restore explains why it cannot.
    gone = await browser(app, tenant.host).get("/login")
    assert gone.status_code == 410 and "账号已不存在" in gone.text
    console = await console_for(app, await new_operator(app))
    refused = await console.post_form(f"/operator/tenants/{tenant.slug}/restore", {})
    assert refused.status_code == 409
    assert "宽限期已结束" in refused.text and "只能通过备份找回" in refused.text
    assert [e["details"]["reason"] for e in await audit_entries(app, tenant.slug, "restore_refused")] == [
        "purged"
    ]
    # Running the job again finds nothing more to do for it.
    assert tenant.slug not in (await lifecycle.purge_due(db.engine, settings)).purged


async def test_a_restore_racing_the_purge_leaves_one_consistent_outcome(
    app: Litestar, tenant: TenantKit
) -> None:
    db, settings, by = app.state.db, app.state.settings, PlatformActor.system()
    await lifecycle.delete_tenant(db, settings, tenant.slug, by, final_backup=no_backup)
    async with db.engine.begin() as conn:
        await registry.update_tenant(conn, tenant.slug, delete_after=datetime.now(UTC) - timedelta(seconds=1))

    outcomes = await asyncio.gather(
        lifecycle.purge_due(db.engine, settings),
        lifecycle.restore_tenant(db.engine, tenant.slug, by),
        return_exceptions=True,
    )

    row = await tenant_row(app, tenant.slug)
    if row.status == "purged":
        assert isinstance(outcomes[1], lifecycle.TenantPurged) and not await schema_exists(app, tenant.schema)
    else:
        assert row.status == "active" and await schema_exists(app, tenant.schema)
        assert tenant.slug not in outcomes[0].purged  # type: ignore[union-attr]


async def dealercrm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run,
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=300,
    )


async def test_delete_and_restore_on_the_command_line(
    app: Litestar, tenant: TenantKit, tmp_path: Path
) -> None:
    env = {"BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_MASTER_KEY": generate_key_text()}
    unconfirmed = await dealercrm("tenant", "delete", tenant.slug, env=env)
    assert unconfirmed.returncode == 1 and "add --yes to confirm" in unconfirmed.stderr
    assert (await tenant_row(app, tenant.slug)).status == "active"

    deleted = await dealercrm("tenant", "delete", tenant.slug, "--yes", env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert f"{tenant.slug}: deleted; restorable until" in deleted.stdout
    assert list((tmp_path / "backups" / tenant.schema).rglob("*"))  # the final backup is on disk

    restored = await dealercrm("tenant", "restore", tenant.slug)
    assert restored.returncode == 0 and f"{tenant.slug}: restored (active)" in restored.stdout
    again = await dealercrm("tenant", "restore", tenant.slug)
    assert again.returncode == 1 and "is not deleted" in again.stderr and "Traceback" not in again.stderr
    missing = await dealercrm("tenant", "delete", "no-such-dealer", "--yes")
    assert missing.returncode == 1 and "no tenant 'no-such-dealer'" in missing.stderr
    actions = [e["action"] for e in await audit_entries(app, tenant.slug)]
    assert actions[-3:] == ["delete", "restore", "restore_refused"]
