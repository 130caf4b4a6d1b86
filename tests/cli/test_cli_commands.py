"""The operators' command line, run as the installed ``dealercrm`` script against this run's database.

An operator on call (no browser) creates 海尔专卖店, lists the tenants, suspends and resumes it, issues
an API token for its owner and migrates everything; typos and wrong names get a one-line error
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from crm_testkit import TenantKit, browser, integrator
from litestar import Litestar
from sqlalchemy import text

from tenancy import registry
from tenancy.migrate import head_revision

VIEWER = "{ viewer { email } }"
REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")
OWNER, OWNER_PASSWORD = "owner@cli-haier.example", "haier-owner-8"


async def dealercrm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script with this run's environment (conftest points it at the test database)."""
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=180
    )


def listed(stdout: str, slug: str) -> list[str]:
    """The ``tenant list`` row for ``slug``, split into columns."""
    for line in stdout.splitlines():
        columns = line.split()
        if columns and columns[0] == slug:
            return columns
    raise AssertionError(f"{slug} not listed:\n{stdout}")


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
async def haier(app: Litestar) -> str:
    """海尔专卖店, created through the CLI once for this module."""
    result = await dealercrm(
        "tenant", "create", "cli-haier", "--name", "海尔专卖店",
        "--admin-email", "owner@cli-haier.example", "--admin-password", OWNER_PASSWORD,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "created tenant cli-haier (schema t_cli_haier)" in result.stdout
    return "cli-haier"


async def test_tenant_create_makes_a_working_account(app: Litestar, haier: str) -> None:
    """The tenant is registered and its owner logs in with the password given on the command line."""
    async with app.state.db.engine.connect() as conn:
        tenant = await registry.get_tenant(conn, haier)
        assert tenant is not None and tenant.name == "海尔专卖店"
        roles = await conn.scalar(text("SELECT count(*) FROM t_cli_haier.roles"))
    assert roles == 8
    owner = browser(app, f"{haier}.localhost")
    response = await owner.post_form("/login", {"email": OWNER, "password": OWNER_PASSWORD})
    assert response.status_code == 303


async def test_tenant_list_shows_status_and_usage(haier: str) -> None:
    result = await dealercrm("tenant", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:4] == ["slug", "status", "users", "customers"]
    row = listed(result.stdout, haier)
    assert row[1:4] == ["active", "1", "0"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[4])


async def test_suspend_and_resume_take_effect_on_the_dealers_host(app: Litestar, haier: str) -> None:
    staff = browser(app, f"{haier}.localhost")

    suspended = await dealercrm("tenant", "suspend", haier)
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout.strip() == f"{haier}: suspended"
    assert listed((await dealercrm("tenant", "list")).stdout, haier)[1] == "suspended"
    refused = await staff.get("/login")
    assert refused.status_code == 403 and "账号已暂停" in refused.text

    resumed = await dealercrm("tenant", "resume", haier)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == f"{haier}: active"
    assert listed((await dealercrm("tenant", "list")).stdout, haier)[1] == "active"
    assert (await staff.get("/login")).status_code == 200


async def test_token_create_prints_a_token_that_works_on_graphql(app: Litestar, haier: str) -> None:
    result = await dealercrm("token", "create", "--tenant", haier, "--user", "owner@cli-haier.example")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert re.fullmatch(rf"dcrm_{haier}_\S{{20,}}", token), token

    erp = integrator(app, f"{haier}.localhost", token)
    answer = await erp.gql(VIEWER)
    assert answer["data"]["viewer"]["email"] == "owner@cli-haier.example"
    # Only its hash is stored.
    async with app.state.db.engine.connect() as conn:
        stored = list((await conn.execute(text("SELECT token_hash FROM t_cli_haier.api_tokens"))).scalars())
    assert stored and token not in stored


async def test_a_cli_token_is_refused_on_another_dealers_host(
    app: Litestar, haier: str, tenant: TenantKit
) -> None:
    result = await dealercrm("token", "create", "--tenant", haier, "--user", OWNER)
    token = result.stdout.strip()
    response = await integrator(app, tenant.host, token).post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401


async def test_migrate_upgrades_everything_and_dry_run_reports_up_to_date(app: Litestar, haier: str) -> None:
    migrated = await dealercrm("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "platform: at head" in migrated.stdout
    assert "failed 0" in migrated.stdout

    dry = await dealercrm("migrate", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"t_cli_haier: {head_revision('tenant')} -> up to date" in dry.stdout
    async with app.state.db.engine.connect() as conn:
        # Purged tenants have no schema left to migrate.
        total = await conn.scalar(text("SELECT count(*) FROM public.tenants WHERE status <> 'purged'"))
    assert f"0 of {total} tenants have pending revisions" in dry.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("tenant", "create", "cli-haier", "--name", "又一个海尔", "--admin-email", "b@x.example",
             "--admin-password", "long-enough-1"),
            "slug is already taken",
        ),
        (
            ("tenant", "create", "www", "--name", "万维家电", "--admin-email", "c@x.example",
             "--admin-password", "long-enough-1"),
            "slug is reserved",
        ),
        (
            ("tenant", "create", "cli-short-pw", "--name", "短密码", "--admin-email", "d@x.example",
             "--admin-password", "short"),
            "admin_password must be at least 8 characters",
        ),
        (("tenant", "suspend", "no-such-dealer"), "no tenant 'no-such-dealer'"),
        (("tenant", "resume", "no-such-dealer"), "no tenant 'no-such-dealer'"),
        (("token", "create", "--tenant", "no-such-dealer", "--user", OWNER), "no tenant 'no-such-dealer'"),
        (
            ("token", "create", "--tenant", "cli-haier", "--user", "stranger@cli-haier.example"),
            "no user 'stranger@cli-haier.example' in tenant 'cli-haier'",
        ),
    ],
    ids=["duplicate-slug", "reserved-slug", "short-password", "suspend-unknown", "resume-unknown",
         "token-unknown-tenant", "token-unknown-user"],
)  # fmt: skip
async def test_bad_input_exits_non_zero_with_a_clear_message(
    app: Litestar, haier: str, args: tuple[str, ...], message: str
) -> None:
    async with app.state.db.engine.connect() as conn:
        before = await conn.scalar(text("SELECT count(*) FROM public.tenants"))
    result = await dealercrm(*args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    no_traceback(result)
    async with app.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM public.tenants")) == before
        # The duplicate did not overwrite the first tenant's name.
        tenant = await registry.get_tenant(conn, haier)
    assert tenant is not None and tenant.name == "海尔专卖店" and tenant.status == "active"


async def test_missing_arguments_are_usage_errors(haier: str) -> None:
    result = await dealercrm("tenant", "create", "cli-no-args")
    assert result.returncode == 2
    assert "--name" in result.stderr and "required" in result.stderr
    no_traceback(result)
