"""Every pass over all tenants holds a bounded number of locks, so it works at any tenant count.

PostgreSQL keeps a lock on each relation a transaction touched until it ends, in one lock table
shared by every session and sized by ``max_locks_per_transaction`` when the server starts. With
the default 64, ``dealercrm migrate`` failed at ~6,650 tenants ("out of shared memory"), having
read every tenant's revision in one transaction (issue 12). Here a cluster of the test's own runs
with ``max_locks_per_transaction = 10`` and 100 connections: its lock table holds about 1,140
locks in all (10 x every backend slot), enough to provision and to drop one full tenant (some 75
tables with their indexes, constraints and types since the modules arrived; dropping one locks
every object) but not to touch 600 tenants in one transaction, so 600 tenants are to it what
50,000 are to a server on default settings.
Each pass below must finish over all of them; before passes committed per batch, migrate, its
dry run and the usage refresh failed with "out of shared memory".

The tenants are registered in ``public.tenants`` like any other. Three are provisioned at head in
full; the others, to keep the test fast, hold copies of only the tables these passes read
(``users``, ``customers``, ``tenant_settings``, ``alembic_version``, with all their indexes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from throwaway_cluster import throwaway_cluster

from app.db import Database
from app.models import tenant_metadata
from tenancy import migrate, registry
from tenancy.models import TenantStatus

FULL_TENANTS = 3
THIN_TENANTS = 600
TENANTS = FULL_TENANTS + THIN_TENANTS
READ_BY_PASSES = ("users", "customers", "tenant_settings", "alembic_version")
REPO = Path(__file__).resolve().parents[2]

EXTRA_REVISION = '''"""test only: customers.loyalty_tier and an index on it"""

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision = "test_locks_1"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("loyalty_tier", sa.String(length=20)), schema=tenant_schema())
    op.create_index("ix_customers_loyalty_tier", "customers", ["loyalty_tier"], schema=tenant_schema())
'''


@pytest.fixture(scope="module")
def small_lock_table() -> Iterator[str]:
    """A cluster whose lock table holds about 10 x (40 + 14 other backend slots) entries."""
    with throwaway_cluster(
        max_locks_per_transaction="10",
        max_connections="100",
        max_worker_processes="2",
        autovacuum_max_workers="1",
    ) as url:
        yield url


async def _no_seed(conn: object, schema: str) -> None:
    return None


@pytest.fixture(scope="module")
async def many_tenants(small_lock_table: str) -> AsyncIterator[Database]:
    """603 registered tenants on the small lock table, every one at the head revision."""
    db = Database(small_lock_table.replace("postgresql://", "postgresql+asyncpg://"), pool_size=2)
    await migrate.upgrade_platform(db.engine)
    full = [f"lock-full-{i}" for i in range(FULL_TENANTS)]
    for slug in full:
        await registry.provision_tenant(
            db.engine,
            slug=slug,
            name=slug,
            admin_email=f"owner@{slug}.example",
            metadata=tenant_metadata,
            seed=_no_seed,
        )
    template = registry.schema_for(full[0])
    for i in range(THIN_TENANTS):
        slug = f"lock-thin-{i:03d}"
        schema = registry.schema_for(slug)
        async with db.engine.begin() as conn:  # one tenant per transaction, as provisioning does
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
            for table in READ_BY_PASSES:
                await conn.execute(
                    text(f"CREATE TABLE {schema}.{table} (LIKE {template}.{table} INCLUDING ALL)")
                )
            await conn.execute(
                text(f"INSERT INTO {schema}.alembic_version VALUES (:head)"),
                {"head": migrate.head_revision()},
            )
            await conn.execute(
                registry.TENANTS.insert().values(
                    slug=slug, name=slug, schema_name=schema, admin_email=f"owner@{slug}.example"
                )
            )
    try:
        yield db
    finally:
        await db.dispose()


def _dealercrm(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


async def test_dealercrm_migrate_and_its_dry_run_work_when_the_tenants_outnumber_the_lock_table(
    many_tenants: Database, small_lock_table: str
) -> None:
    """``dealercrm migrate --dry-run`` and ``dealercrm migrate``, as an operator runs them, read the
    revision of all 603 tenants (two locks each: more than the whole lock table holds) and exit 0."""
    dry = _dealercrm(small_lock_table, "migrate", "--dry-run")
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert f"0 of {TENANTS} tenants have pending revisions" in dry.stdout

    run = _dealercrm(small_lock_table, "migrate")
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"tenants: {TENANTS}, upgraded 0, already at head {TENANTS}, failed 0" in run.stdout


async def test_a_new_revision_reaches_every_tenant_when_they_outnumber_the_lock_table(
    many_tenants: Database, tmp_path: Path
) -> None:
    """A rehearsed revision (a column and an index on ``customers``) is planned for, applied to and
    read back from every one of the 603 tenants."""
    location = tmp_path / "tenant"
    shutil.copytree(migrate.MIGRATIONS_DIR / "tenant", location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "test_locks_1.py").write_text(
        EXTRA_REVISION.format(down=migrate.head_revision())
    )
    async with many_tenants.engine.connect() as conn:
        schemas = [t.schema_name for t in await registry.list_tenants(conn)]

    plans = await migrate.plan_upgrades(many_tenants.engine, schemas, location)
    assert sum(1 for p in plans.values() if p.pending == ("test_locks_1",)) == TENANTS

    report = await migrate.upgrade_tenants(
        many_tenants.engine, schemas, concurrency=2, script_location=location
    )
    assert report.ok, dict(list(report.failed.items())[:3])
    assert len(report.upgraded) == TENANTS

    revisions = await migrate.current_revisions(many_tenants.engine, schemas)
    assert set(revisions.values()) == {"test_locks_1"}
    # Back to the real head for the other tests of this module.
    for chunk in range(0, len(schemas), 20):
        async with many_tenants.engine.begin() as conn:
            for schema in schemas[chunk : chunk + 20]:
                await conn.execute(text(f"ALTER TABLE {schema}.customers DROP COLUMN loyalty_tier"))
                await conn.execute(
                    text(f"UPDATE {schema}.alembic_version SET version_num = :v"),
                    {"v": migrate.head_revision()},
                )


async def test_the_usage_refresh_measures_every_tenant_when_they_outnumber_the_lock_table(
    many_tenants: Database, tmp_path: Path
) -> None:
    """The operators' usage numbers: three tables and their indexes per tenant, 603 tenants, no
    tenant left unmeasured."""
    import redis.asyncio as aioredis

    from app.platform.usage import refresh_usage

    client = aioredis.from_url(os.environ["REDIS_URL"])
    try:
        report = await refresh_usage(many_tenants.engine, client, tmp_path)
    finally:
        await client.aclose()

    assert report.failed == {}
    assert len(report.refreshed) == TENANTS


async def test_the_backup_schedule_sweeps_every_tenant_when_they_outnumber_the_lock_table(
    many_tenants: Database,
) -> None:
    """The hourly sweep finds all 603 tenants overdue (created two days ago, never backed up) and
    raises an alert for each. (It reads only platform tables and alerts in a transaction per
    tenant, so it was bounded already; this keeps it so.)"""
    from app.backups.schedule import sweep_and_schedule

    async with many_tenants.engine.begin() as conn:
        await conn.execute(update(registry.TENANTS).values(created_at=datetime.now(UTC) - timedelta(days=2)))

    report = await sweep_and_schedule(many_tenants, None)

    assert len(report.missing) == TENANTS


async def test_the_purge_drops_every_due_tenant_when_they_outnumber_the_lock_table(
    many_tenants: Database, tmp_path: Path
) -> None:
    """Every tenant deleted and past its grace period is purged: schema dropped, row marked. (One
    transaction per tenant, bounded already by one schema's relations; this keeps it so.)"""
    import dataclasses

    from app.platform.lifecycle import purge_due
    from app.settings import get_settings

    async with many_tenants.engine.begin() as conn:
        await conn.execute(
            update(registry.TENANTS).values(
                status=TenantStatus.DELETED,
                deleted_at=datetime.now(UTC) - timedelta(days=31),
                delete_after=datetime.now(UTC) - timedelta(days=1),
            )
        )

    report = await purge_due(many_tenants.engine, dataclasses.replace(get_settings(), files_dir=tmp_path))

    assert report.failed == {}
    assert len(report.purged) == TENANTS
    async with many_tenants.engine.connect() as conn:
        left = await conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_lock\\_%'"))
    assert left == 0
