"""2,000 tenants: provisioning them, then migrating all of them with one added column and index.

Runs in its own scratch database ``dcrm_scale`` on the server of ``DATABASE_URL``, dropped and
recreated at the start unless ``--reuse`` (which keeps the tenants and only tops them up to
``--tenants``). Never the application's database.

1. **Provisioning.** Every tenant is created by ``app.platform.service.sign_up`` (registry row,
   schema created at head from metadata and stamped, default roles, the owner with an argon2
   hash; one transaction), except that a tenth of them go through
   ``tenancy.registry.provision_tenant`` with the same seed but a password hash computed once
   beforehand: the same work without argon2. Timed one at a time at the start (an empty
   database) and at the end (nearly ``--tenants`` schemas), and in between in bulk with
   ``--provision-concurrency`` sign-ups at once (sign-up latency under load, and the total).
2. **Migrating.** The tenant migrations folder is copied to a temporary directory with ONE
   extra revision (``customers.loyalty_tier`` and an index on it, ``down_revision`` = the real
   head) and ``tenancy.migrate.upgrade_tenants`` (the code path of ``dealercrm migrate``) is
   pointed at it with ``script_location``; nothing is added to the real migrations. Timed: the
   dry run (``plan_upgrades``), the upgrade at each ``--concurrency``, the no-op re-run, and,
   for comparison, the runner as it was before (``command.upgrade`` per tenant, tasks on one
   event loop: correct only one at a time). Every run is checked: every schema has the column,
   the index and the new revision, and no tenant failed. Between runs the schemas are put back
   at the real head with plain SQL. At the end ``dealercrm migrate`` and ``--dry-run`` are run as
   the operator would (a subprocess, the real migrations, every tenant already at head).

    .venv/bin/python bench/tenants_at_scale.py [--tenants 2000] [--reuse] [--concurrency 4,8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    _connect,
    _with_database,
    server_url,
    summary,
    warn_if_busy,
    write_partial,
    write_result,
)
from sqlalchemy import text

SCALE_DB = "dcrm_scale"
SLUG_PREFIX = "scale"
PASSWORD = "scale-owner-pw-1"
TARGET_SIGN_UP_SECONDS = 1.0
NO_HASH_EVERY = 10  # every tenth tenant is provisioned without argon2
SEQUENTIAL_SAMPLE = 100  # tenants timed one at a time, at the start and again at the end
BENCH_REVISION_PREFIX = "bench_after_"  # + the real head it follows: a rerun knows where to go back
BENCH_COLUMN = "loyalty_tier"
BENCH_INDEX = "ix_customers_loyalty_tier"
LEGACY_CONCURRENT_SAMPLE = 100
WINDOW = 250  # provisioning throughput is reported per this many tenants
REPO = Path(__file__).resolve().parents[1]

REVISION_FILE = '''"""bench only: customers.loyalty_tier and an index on it

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column = sa.Column("{column}", sa.String(length=20), nullable=True)
    op.add_column("customers", column, schema=tenant_schema())
    op.create_index("{index}", "customers", ["{column}"], schema=tenant_schema())


def downgrade() -> None:
    op.drop_index("{index}", table_name="customers", schema=tenant_schema())
    op.drop_column("customers", "{column}", schema=tenant_schema())
'''


# -- the scratch database ---------------------------------------------------------------------------


_SERVER: dict[str, str] = {}


async def open_scale_database(name: str = SCALE_DB, *, recreate: bool) -> Any:
    """Point this process at the scratch database ``name`` (dropped and created again when
    ``recreate``), migrate its platform tables and return an ``app.db.Database`` on it."""
    from app.db import Database
    from app.settings import get_settings
    from tenancy.migrate import upgrade_platform

    server = _SERVER.setdefault("url", server_url())  # before this process pointed DATABASE_URL here
    if server.rsplit("/", 1)[-1].split("?")[0] == name:
        raise SystemExit(f"DATABASE_URL names {name} itself; point it at another database on the server")
    url = _with_database(server, name)
    admin = await _connect(server)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if recreate and exists:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if recreate or not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    os.environ.update(DATABASE_URL=url, BASE_DOMAIN="localhost", SECURE_COOKIES="0", SENTRY_DSN="")
    get_settings.cache_clear()
    settings = get_settings()
    db = Database(url, settings.db_pool_size, settings.db_statement_cache_size)
    await upgrade_platform(db.engine)
    return db


async def tenant_schemas(db: Any) -> list[tuple[str, str]]:
    """(slug, schema) of every tenant, oldest first."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT slug, schema_name FROM public.tenants ORDER BY created_at"))
        ).all()
    return [(r[0], r[1]) for r in rows]


def slug_of(i: int) -> str:
    return f"{SLUG_PREFIX}-{i:05d}"


# -- provisioning -----------------------------------------------------------------------------------


@contextmanager
def precomputed_password_hash(password_hash: str) -> Any:
    """``app.security.hash_password`` returns ``password_hash`` meanwhile: ``seed_tenant`` unchanged,
    minus argon2. Only for code awaited one at a time (nothing else hashes meanwhile)."""
    from app import security

    original = security.hash_password
    security.hash_password = lambda _password: password_hash
    try:
        yield
    finally:
        security.hash_password = original


def provisioners(db: Any) -> tuple[Callable[[int], Awaitable[None]], Callable[[int], Awaitable[None]]]:
    """(sign_up, provision without argon2), each creating tenant number ``i``."""
    from app import security
    from app.accounts.service import seed_tenant
    from app.models import tenant_metadata
    from app.platform.service import SignUp, sign_up
    from tenancy.registry import provision_tenant

    shared_hash = security.hash_password(PASSWORD)

    async def by_sign_up(i: int) -> None:
        slug = slug_of(i)
        await sign_up(
            db.engine,
            SignUp(
                company_name=f"规模测试家电{i}号店",
                slug=slug,
                admin_email=f"owner@{slug}.example",
                admin_password=PASSWORD,
                admin_name="王建国",
            ),
        )

    async def without_hash(i: int) -> None:
        slug = slug_of(i)
        email = f"owner@{slug}.example"

        async def seed(conn: Any, schema: str) -> None:
            with precomputed_password_hash(shared_hash):
                await seed_tenant(
                    conn, schema, owner_email=email, owner_name="王建国", owner_password=PASSWORD
                )

        await provision_tenant(
            db.engine,
            slug=slug,
            name=f"规模测试家电{i}号店",
            admin_email=email,
            metadata=tenant_metadata,
            seed=seed,
        )

    return by_sign_up, without_hash


@dataclass
class ProvisioningTimes:
    sign_up: list[float] = field(default_factory=list)
    no_hash: list[float] = field(default_factory=list)
    # throughput of each WINDOW tenants, with the number of tenants there were before them
    windows: list[dict[str, float]] = field(default_factory=list)


async def provision_range(
    db: Any,
    numbers: Sequence[int],
    *,
    concurrency: int,
    times: ProvisioningTimes,
    label: str,
    without_argon2: Sequence[int] | None = None,
    on_window: Callable[[], None] | None = None,
) -> float:
    """Create tenants ``numbers``, those in ``without_argon2`` (default: every NO_HASH_EVERY-th)
    without argon2; returns the wall time.

    With ``concurrency`` > 1 the no-hash tenants are created after the sign-ups, one at a time
    (the precomputed hash is swapped in globally, which concurrent sign-ups must not see)."""
    by_sign_up, without_hash = provisioners(db)
    started = time.perf_counter()
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0
    step = max(1, min(len(numbers) // 10, WINDOW))
    window_started = started

    async def one(i: int, fast: bool) -> None:
        nonlocal done
        async with gate:
            t0 = time.perf_counter()
            await (without_hash if fast else by_sign_up)(i)
            (times.no_hash if fast else times.sign_up).append(time.perf_counter() - t0)
            done += 1
            if done % step == 0:
                nonlocal window_started
                now = time.perf_counter()
                rate = step / (now - window_started)
                window_started = now
                times.windows.append({"tenants_before": i + 1 - step, "tenants_per_second": round(rate, 2)})
                print(
                    f"  {label}: {done}/{len(numbers)} in {now - started:.0f} s ({rate:.2f}/s, tenant {i})",
                    flush=True,
                )
                if on_window:
                    on_window()

    if without_argon2 is None:
        without_argon2 = [i for i in numbers if i % NO_HASH_EVERY == NO_HASH_EVERY - 1]
    fast = set(without_argon2)
    slow = [i for i in numbers if i not in fast]
    if concurrency <= 1:
        for i in numbers:
            await one(i, i in fast)
    else:
        await asyncio.gather(*(one(i, False) for i in slow))
        for i in sorted(fast):
            await one(i, True)
    return time.perf_counter() - started


def argon2_seconds(samples: int = 10) -> dict[str, float]:
    from app import security

    seconds = []
    for _ in range(samples):
        t0 = time.perf_counter()
        security.hash_password(PASSWORD)
        seconds.append(time.perf_counter() - t0)
    return summary(seconds)


async def provision(db: Any, tenants: int, concurrency: int) -> dict[str, Any]:
    existing = await tenant_schemas(db)
    have = len(existing)
    if have >= tenants:
        print(f"provisioning: {have} tenants already there (--reuse)", flush=True)
        return {"reused": True, "tenants_before": have}
    print(f"provisioning: {have} -> {tenants} tenants", flush=True)
    todo = list(range(have, tenants))
    sample = min(SEQUENTIAL_SAMPLE, len(todo) // 3)
    first, bulk, last = todo[:sample], todo[sample : len(todo) - sample], todo[len(todo) - sample :]
    phases: dict[str, Any] = {}
    total = 0.0
    for label, numbers, conc in (
        ("one at a time, first", first, 1),
        ("bulk", bulk, concurrency),
        ("one at a time, last", last, 1),
    ):
        if not numbers:
            continue
        times = ProvisioningTimes()

        def partial(label: str = label, times: ProvisioningTimes = times) -> None:
            write_partial("tenants_at_scale", {"provisioning": {"phases": phases, label: times.windows}})

        wall = await provision_range(
            db, numbers, concurrency=conc, times=times, label=label, on_window=partial
        )
        total += wall
        phases[label] = {
            "throughput_windows": times.windows,
            "tenants": len(numbers),
            "tenant_numbers": [numbers[0], numbers[-1]],
            "concurrency": conc,
            "wall_seconds": round(wall, 1),
            "tenants_per_second": round(len(numbers) / wall, 2),
            "sign_up_seconds": summary(times.sign_up) if times.sign_up else None,
            "no_argon2_seconds": summary(times.no_hash) if times.no_hash else None,
        }
    return {
        "reused": have > 0,
        "tenants_before": have,
        "tenants_created": len(todo),
        "total_wall_seconds": round(total, 1),
        "argon2_hash_seconds": argon2_seconds(),
        "phases": phases,
    }


# -- the extra revision -----------------------------------------------------------------------------


def migrations_with_extra_revision(workdir: Path) -> tuple[Path, str, str]:
    """A copy of the tenant migrations folder plus the bench revision: (its path, the real head,
    the bench revision)."""
    from tenancy.migrate import MIGRATIONS_DIR, head_revision

    real_head = head_revision("tenant")
    revision = BENCH_REVISION_PREFIX + real_head
    if len(revision) > 32:  # alembic_version.version_num is VARCHAR(32)
        raise SystemExit(f"revision id {real_head!r} is too long to build the bench revision from")
    target = workdir / "tenant"
    shutil.copytree(MIGRATIONS_DIR / "tenant", target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "versions" / f"{revision}.py").write_text(
        REVISION_FILE.format(revision=revision, down=real_head, column=BENCH_COLUMN, index=BENCH_INDEX)
    )
    return target, real_head, revision


async def reset_to(db: Any, schemas: Sequence[str], revision: str | None = None, batch: int = 200) -> float:
    """Undo the bench revision with plain SQL, whatever state a run left: drop its index and
    column, and stamp the schemas stamped with a bench revision back at ``revision`` (default: the
    revision that bench revision followed)."""
    from tenancy import passes
    from tenancy.migrate import quote_ident

    started = time.perf_counter()
    back = ":v" if revision else f"substr(version_num, {len(BENCH_REVISION_PREFIX) + 1})"
    async with db.engine.connect() as conn:
        # customers, its new index, alembic_version and its key, locked until the batch commits
        batch = passes.schemas_per_batch(await passes.lock_budget(conn), 5, batch)
    for i in range(0, len(schemas), batch):
        async with db.engine.begin() as conn:
            for schema in schemas[i : i + batch]:
                s = quote_ident(schema)
                await conn.execute(text(f"DROP INDEX IF EXISTS {s}.{BENCH_INDEX}"))
                await conn.execute(text(f"ALTER TABLE {s}.customers DROP COLUMN IF EXISTS {BENCH_COLUMN}"))
                await conn.execute(
                    text(
                        f"UPDATE {s}.alembic_version SET version_num = {back} WHERE version_num LIKE :bench"
                    ),
                    {"v": revision, "bench": BENCH_REVISION_PREFIX + "%"}
                    if revision
                    else {"bench": BENCH_REVISION_PREFIX + "%"},
                )
    return time.perf_counter() - started


async def check_migrated(db: Any, schemas: Sequence[str], revision: str) -> dict[str, int]:
    """How many schemas have the column, the index and the revision (each must be all of them)."""
    from tenancy.migrate import current_revisions

    async with db.engine.connect() as conn:
        columns = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'customers' "
                "AND a.attname = :col AND NOT a.attisdropped AND n.nspname = ANY(:s)"
            ),
            {"col": BENCH_COLUMN, "s": list(schemas)},
        )
        indexes = await conn.scalar(
            text("SELECT count(*) FROM pg_indexes WHERE indexname = :ix AND schemaname = ANY(:s)"),
            {"ix": BENCH_INDEX, "s": list(schemas)},
        )
    current = await current_revisions(db.engine, schemas)
    return {
        "schemas": len(schemas),
        "with_column": int(columns or 0),
        "with_index": int(indexes or 0),
        "at_revision": sum(1 for r in current.values() if r == revision),
    }


def all_migrated(check: dict[str, int]) -> bool:
    n = check["schemas"]
    return check["with_column"] == n and check["with_index"] == n and check["at_revision"] == n


# -- the runner as it was before (for the comparison only) -----------------------------------------


async def legacy_upgrade_tenants(
    engine: Any, schemas: Sequence[str], *, concurrency: int, script_location: Path
) -> Any:
    """``tenancy.migrate.upgrade_tenants`` as it was before this benchmark (commit ba9679e):
    ``alembic.command.upgrade`` per tenant (env.py and every revision file read again each time),
    ``concurrency`` tasks on one event loop sharing Alembic's module-global ``op`` proxy."""
    from tenancy import migrate

    started = time.perf_counter()
    report = migrate.MigrationReport(total=len(schemas))
    head = migrate.head_revision("tenant", script_location)
    current = await migrate.current_revisions(engine, schemas)
    todo = [s for s in schemas if current[s] != head]
    report.skipped = len(schemas) - len(todo)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(schema: str) -> None:
        async with gate:
            t0 = time.perf_counter()
            try:
                async with engine.connect() as conn:
                    await conn.run_sync(migrate._run_upgrade, "tenant", schema, script_location)
                    await conn.commit()
            except Exception as exc:
                report.failed[schema] = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            else:
                report.upgraded.append(schema)
                report.per_tenant_seconds.append(time.perf_counter() - t0)

    await asyncio.gather(*(one(s) for s in todo))
    report.seconds = time.perf_counter() - started
    return report


# -- migrating --------------------------------------------------------------------------------------


def report_row(report: Any, check: dict[str, int] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "wall_seconds": round(report.seconds, 2),
        "tenants": report.total,
        "upgraded": len(report.upgraded),
        "skipped_at_head": report.skipped,
        "failed": len(report.failed),
        "failures_sample": dict(list(sorted(report.failed.items()))[:3]),
        "worker_processes": getattr(report, "workers", 0),
        "tenants_per_second": round(len(report.upgraded) / report.seconds, 1) if report.seconds else None,
    }
    if report.per_tenant_seconds:
        row["seconds_per_tenant"] = summary(report.per_tenant_seconds)
    if check is not None:
        row["check"] = check
        row["every_schema_migrated"] = all_migrated(check)
    return row


async def migrate_all(db: Any, concurrencies: Sequence[int], legacy: bool) -> dict[str, Any]:
    from tenancy import migrate

    schemas = [schema for _, schema in await tenant_schemas(db)]
    out: dict[str, Any] = {"tenants": len(schemas), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="dcrm-scale-migrations-") as workdir:
        location, real_head, bench = migrations_with_extra_revision(Path(workdir))
        out["real_head"], out["bench_revision"] = real_head, bench
        # A rerun (--reuse) may find the bench revision of an earlier run, or tenants behind a
        # real revision added since: back to where that run started, then the real migrations.
        out["reset_seconds"] = round(await reset_to(db, schemas), 1)
        catch_up = await migrate.upgrade_tenants(db.engine, schemas, concurrency=max(concurrencies))
        out["catch_up_to_real_head"] = report_row(catch_up)
        if catch_up.upgraded or catch_up.failed:
            print(
                f"brought {len(catch_up.upgraded)} tenants to the real head {real_head} "
                f"in {catch_up.seconds:.1f} s",
                flush=True,
            )
            assert catch_up.ok, catch_up.failed

        t0 = time.perf_counter()
        current = await migrate.current_revisions(db.engine, schemas)
        out["current_revisions_seconds"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        plans = await migrate.plan_upgrades(db.engine, schemas, location)
        out["dry_run_seconds"] = round(time.perf_counter() - t0, 3)
        out["dry_run_pending"] = sum(1 for p in plans.values() if p.pending)
        assert all(current[s] == real_head for s in schemas), "not every tenant is at the real head"
        print(
            f"dry run: {out['dry_run_pending']} of {len(schemas)} tenants pending, "
            f"{out['dry_run_seconds']:.2f} s (current_revisions {out['current_revisions_seconds']:.2f} s)",
            flush=True,
        )

        async def timed(
            name: str, upgrade: Callable[[], Awaitable[Any]], subset: Sequence[str]
        ) -> dict[str, Any]:
            report = await upgrade()
            check = await check_migrated(db, subset, bench)
            row = report_row(report, check)
            out["runs"][name] = row
            per = row.get("seconds_per_tenant")
            print(
                f"{name}: {row['wall_seconds']:.1f} s for {row['tenants']} tenants, "
                f"median {per['p50'] * 1000 if per else float('nan'):.1f} ms/tenant, failed {row['failed']}, "
                f"every schema migrated: {row['every_schema_migrated']}",
                flush=True,
            )
            return row

        if legacy:
            await timed(
                "before: command.upgrade per tenant, concurrency 1",
                lambda: legacy_upgrade_tenants(db.engine, schemas, concurrency=1, script_location=location),
                schemas,
            )
            await reset_to(db, schemas, real_head)
            sample = schemas[:LEGACY_CONCURRENT_SAMPLE]
            await timed(
                f"before: command.upgrade per tenant, concurrency 4 ({len(sample)} tenants)",
                lambda: legacy_upgrade_tenants(db.engine, sample, concurrency=4, script_location=location),
                sample,
            )
            await reset_to(db, sample, real_head)

        for conc in concurrencies:
            name = f"upgrade_tenants, concurrency {conc}"
            await timed(
                name,
                lambda conc=conc: migrate.upgrade_tenants(
                    db.engine, schemas, concurrency=conc, script_location=location
                ),
                schemas,
            )
            noop = await migrate.upgrade_tenants(
                db.engine, schemas, concurrency=conc, script_location=location
            )
            t0 = time.perf_counter()
            plans = await migrate.plan_upgrades(db.engine, schemas, location)
            dry_at_head = time.perf_counter() - t0
            out["runs"][name]["no_op_rerun"] = report_row(noop)
            out["runs"][name]["dry_run_at_head_seconds"] = round(dry_at_head, 3)
            out["runs"][name]["dry_run_at_head_pending"] = sum(1 for p in plans.values() if p.pending)
            write_partial("tenants_at_scale", {"migrations": out})
            print(
                f"  no-op re-run: {noop.seconds:.2f} s ({noop.skipped} at head, "
                f"{len(noop.upgraded)} upgraded); "
                f"dry run at head {dry_at_head:.2f} s",
                flush=True,
            )
            await reset_to(db, schemas, real_head)
    return out


def dealercrm_cli(*args: str) -> dict[str, Any]:
    """``dealercrm <args>`` as an operator runs it (a subprocess on dcrm_scale): wall time, exit, tail."""
    script = Path(sys.executable).with_name("dealercrm")
    command = [str(script), *args] if script.exists() else [sys.executable, "-m", "app.cli", *args]
    t0 = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=900
    )
    return {
        "command": "dealercrm " + " ".join(args),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "exit": done.returncode,
        "output_lines": len(done.stdout.splitlines()),
        "last_lines": done.stdout.splitlines()[-2:] + done.stderr.splitlines()[-3:],
    }


# -- main -------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    warn_if_busy()
    db = await open_scale_database(args.database, recreate=not args.reuse)
    try:
        result: dict[str, Any] = {"database": args.database, "tenants": args.tenants}
        if not args.skip_provisioning:
            result["provisioning"] = await provision(db, args.tenants, args.provision_concurrency)
        async with db.engine.connect() as conn:
            result["postgres"] = await conn.scalar(text("SHOW server_version"))
            result["relations_in_database"] = await conn.scalar(text("SELECT count(*) FROM pg_class"))
        if not args.skip_migrations:
            result["migrations"] = await migrate_all(db, args.concurrency, legacy=args.legacy)
    finally:
        await db.dispose()
    if not args.skip_migrations:
        result["cli"] = {
            "no_op": dealercrm_cli("migrate", "--concurrency", str(max(args.concurrency))),
            "dry_run": dealercrm_cli("migrate", "--dry-run"),
        }
        for row in result["cli"].values():
            print(f"{row['command']}: {row['wall_seconds']:.1f} s, exit {row['exit']}", flush=True)
    return result


def report(result: dict[str, Any]) -> None:
    p = result.get("provisioning")
    if p and not p.get("reused"):
        print(
            f"\nprovisioned {p['tenants_created']} tenants in {p['total_wall_seconds']:.0f} s; "
            f"argon2 hash alone p50 {p['argon2_hash_seconds']['p50']:.3f} s"
        )
        for label, ph in p["phases"].items():
            su, nh = ph["sign_up_seconds"], ph["no_argon2_seconds"]
            print(
                f"  {label:<22} {ph['tenants']:>5} tenants, concurrency {ph['concurrency']}: "
                f"{ph['wall_seconds']:.0f} s ({ph['tenants_per_second']:.2f}/s); sign-up p50 {su['p50']:.3f} "
                f"p95 {su['p95']:.3f} s"
                + (f"; without argon2 p50 {nh['p50']:.3f} p95 {nh['p95']:.3f} s" if nh else "")
            )
    m = result.get("migrations")
    if m:
        print(f"\nmigrating {m['tenants']} tenants ({m['real_head']} -> {m['bench_revision']}):")
        print(f"  dry run: {m['dry_run_seconds']:.2f} s ({m['dry_run_pending']} pending)")
        for name, row in m["runs"].items():
            per = row.get("seconds_per_tenant")
            timing = (
                f"median {per['p50'] * 1000:6.1f} ms  p95 {per['p95'] * 1000:6.1f} ms"
                if per
                else f"{'(no tenant upgraded)':<30}"
            )
            line = f"  {name:<58} {row['wall_seconds']:>7.1f} s  {timing}  failed {row['failed']}"
            if "no_op_rerun" in row:
                line += f"  no-op {row['no_op_rerun']['wall_seconds']:.2f} s"
            print(line)
    for row in (result.get("cli") or {}).values():
        print(f"  {row['command']}: {row['wall_seconds']:.1f} s (exit {row['exit']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and its tenants (top up only)"
    )
    parser.add_argument("--database", default=SCALE_DB, help="the scratch database (dropped unless --reuse)")
    parser.add_argument(
        "--provision-concurrency", type=int, default=2, help="sign-ups at once in the bulk phase"
    )
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[4], help="e.g. 1,4,8"
    )
    parser.add_argument("--legacy", action="store_true", help="also time the runner as it was before (slow)")
    parser.add_argument("--skip-provisioning", action="store_true")
    parser.add_argument("--skip-migrations", action="store_true")
    args = parser.parse_args()
    if args.skip_provisioning:
        args.reuse = True
    result = asyncio.run(run(args))
    path = write_result("tenants_at_scale", result)
    report(result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
