"""Upgrading many tenants at once: each tenant gets exactly its own migration, whichever worker runs
it; a revision can be rehearsed from a copy of the migrations folder (``script_location``) without
touching the real one; the dry run names what it would do and what it cannot."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import text

from app.models import tenant_metadata
from tenancy import migrate

EXTRA_REVISION = '''"""test only: customers.loyalty_tier and an index on it"""

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision = "test_extra_1"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("loyalty_tier", sa.String(length=20)), schema=tenant_schema())
    op.create_index("ix_customers_loyalty_tier", "customers", ["loyalty_tier"], schema=tenant_schema())
'''


@pytest.fixture
def rehearsal(tmp_path: Path) -> Path:
    """A copy of the tenant migrations with one revision more (head -> test_extra_1)."""
    target = tmp_path / "tenant"
    shutil.copytree(migrate.MIGRATIONS_DIR / "tenant", target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "versions" / "test_extra_1.py").write_text(EXTRA_REVISION.format(down=migrate.head_revision()))
    return target


async def _recreate(app: Litestar, schemas: list[str], *, at_head: bool) -> None:
    async with app.state.db.engine.begin() as conn:
        for schema in schemas:
            await migrate.drop_schema(conn, schema)
            if at_head:
                await migrate.create_schema_at_head(conn, schema, tenant_metadata)
            else:
                await conn.execute(text(f"CREATE SCHEMA {schema}"))


async def _columns(app: Litestar, schema: str) -> list[tuple[str, str, str]]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = :s ORDER BY 1, 2"
            ),
            {"s": schema},
        )
        return [tuple(r) for r in rows.all()]


async def test_tenants_upgraded_in_parallel_each_get_their_own_migration(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight empty schemas replay the whole history in two worker processes. Each one ends exactly
    like a schema created at head; none receives another's operations (interleaving two Alembic
    migrations in one process sends them to the wrong connection)."""
    monkeypatch.setattr(migrate, "MIN_TENANTS_PER_WORKER", 1)
    schemas = [f"t_par_{i}" for i in range(8)]
    await _recreate(app, schemas, at_head=False)
    await _recreate(app, ["t_par_reference"], at_head=True)
    seen: list[tuple[int, str, str]] = []

    report = await migrate.upgrade_tenants(
        app.state.db.engine, schemas, concurrency=2, on_progress=lambda d, t, s, o: seen.append((d, s, o))
    )

    assert report.ok, report.failed
    assert report.workers == 2
    assert sorted(report.upgraded) == schemas and len(report.per_tenant_seconds) == 8
    assert [d for d, _, _ in seen] == list(range(1, 9))
    assert {o for _, _, o in seen} == {"upgraded"}
    reference = await _columns(app, "t_par_reference")
    for schema in schemas:
        assert await _columns(app, schema) == reference, schema
    revisions = await migrate.current_revisions(app.state.db.engine, schemas)
    assert set(revisions.values()) == {migrate.head_revision()}


async def test_a_rehearsed_revision_reaches_every_tenant_but_the_broken_one(
    app: Litestar, rehearsal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a copy of the folder with one extra revision: five tenants at the real head get the
    column and the index and the new revision, in worker processes; 王记's schema already has such
    a column, so its migration fails, is reported and rolled back, and the others are not stopped.
    A second run skips the upgraded ones and fails 王记 again. The real folder is untouched."""
    monkeypatch.setattr(migrate, "MIN_TENANTS_PER_WORKER", 1)
    real_head = migrate.head_revision()
    good = [f"t_reh_{i}" for i in range(5)]
    broken = "t_reh_wangji"
    await _recreate(app, [*good, broken], at_head=True)
    async with app.state.db.engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {broken}.customers ADD COLUMN loyalty_tier text"))

    assert migrate.pending_revisions(real_head, script_location=rehearsal) == ["test_extra_1"]
    report = await migrate.upgrade_tenants(
        app.state.db.engine, [*good, broken], concurrency=3, script_location=rehearsal
    )

    assert report.workers == 3
    assert sorted(report.upgraded) == good
    assert list(report.failed) == [broken]
    assert "loyalty_tier" in report.failed[broken] and "already exists" in report.failed[broken]
    revisions = await migrate.current_revisions(app.state.db.engine, [*good, broken])
    assert revisions == {**{s: "test_extra_1" for s in good}, broken: real_head}
    async with app.state.db.engine.connect() as conn:
        indexed = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_indexes "
                "WHERE indexname = 'ix_customers_loyalty_tier' AND schemaname = ANY(:s)"
            ),
            {"s": [*good, broken]},
        )
    assert indexed == 5
    assert ("customers", "loyalty_tier", "character varying") in await _columns(app, good[0])

    again = await migrate.upgrade_tenants(
        app.state.db.engine, [*good, broken], concurrency=3, script_location=rehearsal
    )
    assert again.skipped == 5 and again.upgraded == [] and list(again.failed) == [broken]
    assert migrate.head_revision() == real_head
    assert migrate.pending_revisions(real_head) == []


async def test_a_runner_waits_for_another_upgrading_the_same_tenant_and_applies_nothing_twice(
    app: Litestar, rehearsal: Path
) -> None:
    """Two operators run ``dealercrm migrate`` at the same moment. The first has applied the new
    revision to 王记 and not yet committed; the second read 王记's revision before that, so it
    plans the same upgrade. Each upgrade locks the tenant's version row first, so the second waits
    for the first to commit, then finds 王记 at the new revision and applies nothing: no failure
    with "column already exists", the column there once."""
    schema = "t_twice_wangji"
    await _recreate(app, [schema], at_head=True)
    engine = app.state.db.engine
    async with engine.connect() as first:
        await first.run_sync(migrate._upgrade_schema, schema, rehearsal)  # applied, not committed
        second = asyncio.create_task(
            migrate.upgrade_tenants(engine, [schema], concurrency=1, script_location=rehearsal)
        )
        await asyncio.sleep(1.0)
        assert not second.done()  # waiting for the first runner's transaction
        await first.commit()
    report = await second

    assert report.ok, report.failed
    assert (await migrate.current_revisions(engine, [schema]))[schema] == "test_extra_1"
    columns = [c for c in await _columns(app, schema) if c[1] == "loyalty_tier"]
    assert columns == [("customers", "loyalty_tier", "character varying")]


async def test_the_dry_run_lists_pending_revisions_and_names_a_tenant_it_cannot_upgrade(
    app: Litestar, rehearsal: Path
) -> None:
    """The plan changes nothing: tenants at the real head lack the rehearsed revision, an empty
    schema lacks everything, and a schema stamped with a revision nobody knows is a problem, not a
    crash."""
    real_head = migrate.head_revision()
    await _recreate(app, ["t_plan_head", "t_plan_empty", "t_plan_alien"], at_head=False)
    await _recreate(app, ["t_plan_head"], at_head=True)
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE t_plan_alien.alembic_version (version_num varchar(32) primary key)")
        )
        await conn.execute(text("INSERT INTO t_plan_alien.alembic_version VALUES ('from-the-future')"))

    plans = await migrate.plan_upgrades(
        app.state.db.engine, ["t_plan_head", "t_plan_empty", "t_plan_alien"], rehearsal
    )

    assert plans["t_plan_head"] == migrate.TenantPlan(real_head, ("test_extra_1",))
    assert plans["t_plan_empty"].current is None
    assert plans["t_plan_empty"].pending[0] == "0001" and plans["t_plan_empty"].pending[-1] == "test_extra_1"
    assert plans["t_plan_alien"].pending == () and "from-the-future" in (plans["t_plan_alien"].problem or "")
    assert (await migrate.current_revisions(app.state.db.engine, ["t_plan_head"]))["t_plan_head"] == real_head
