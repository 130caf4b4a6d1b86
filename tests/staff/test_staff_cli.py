"""``dealercrm user add|list|deactivate|reset-password`` and ``tenant create --admin-name``, run as
the console script an operator types (one ``error:`` line and exit 1 for a refusal, never a traceback)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from crm_testkit import PASSWORD, TenantKit, browser
from litestar import Litestar

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")


async def dealercrm(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "app.cli", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=180
    )


async def test_tenant_create_names_its_owner(app: Litestar) -> None:
    result = await dealercrm(
        "tenant", "create", "cli-gree", "--name", "格力专卖店", "--admin-email", "boss@cli-gree.example",
        "--admin-password", "gree-owner-8", "--admin-name", "董明珠",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = await dealercrm("user", "list", "--tenant", "cli-gree")
    assert listed.returncode == 0, listed.stderr
    assert "董明珠" in listed.stdout and "owner" in listed.stdout


async def test_add_list_reset_and_deactivate_staff_from_the_command_line(
    app: Litestar, tenant: TenantKit
) -> None:
    added = await dealercrm(
        "user", "add", "--tenant", tenant.slug, "--email", "he@example.com", "--name", "何军",
        "--role", "technician", "--team", "上门安装组",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    one_time = added.stdout.strip().splitlines()[-1]
    first = await browser(app, tenant.host).post_form(
        "/login", {"email": "he@example.com", "password": one_time}
    )
    assert first.status_code == 303 and first.headers["location"] == "/password/new"

    again = await dealercrm(
        "user", "add", "--tenant", tenant.slug, "--email", "he@example.com", "--name", "何军"
    )
    assert again.returncode == 1 and "already_staff" in again.stderr and "Traceback" not in again.stderr

    listed = await dealercrm("user", "list", "--tenant", tenant.slug)
    row = next(line for line in listed.stdout.splitlines() if line.startswith("he@example.com"))
    assert "technician" in row and "上门安装组" in row and "one-time password" in row

    reset = await dealercrm(
        "user", "reset-password", "--tenant", tenant.slug, "--email", tenant.email("service")
    )
    assert reset.returncode == 0, reset.stderr
    old = await browser(app, tenant.host).post_form(
        "/login", {"email": tenant.email("service"), "password": PASSWORD}
    )
    assert old.status_code == 401

    last_owner = await dealercrm(
        "user", "deactivate", "--tenant", tenant.slug, "--email", tenant.email("owner")
    )
    assert last_owner.returncode == 1 and "last_owner" in last_owner.stderr
    left = await dealercrm(
        "user", "deactivate", "--tenant", tenant.slug, "--email", tenant.email("sales_b"),
        "--handover-to", tenant.email("manager_b"),
    )  # fmt: skip
    assert left.returncode == 0, left.stderr
    assert f"deactivated {tenant.email('sales_b')}" in left.stdout
    gone = await dealercrm("user", "list", "--tenant", tenant.slug)
    assert tenant.email("sales_b") not in gone.stdout
    everyone = await dealercrm("user", "list", "--tenant", tenant.slug, "--all")
    assert "deactivated" in next(
        line for line in everyone.stdout.splitlines() if line.startswith(tenant.email("sales_b"))
    )
    nobody = await dealercrm("user", "deactivate", "--tenant", "no-such-dealer", "--email", "x@example.com")
    assert nobody.returncode == 1 and nobody.stderr.startswith("error: no tenant")
