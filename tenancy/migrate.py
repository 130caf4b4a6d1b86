"""Alembic for the platform and for every tenant schema, in-process.

A new tenant is created at head from metadata and stamped (no history replayed). Upgrading many
tenants: current revisions are read in batches, up-to-date tenants are skipped, the rest are
upgraded with bounded parallelism, one transaction per tenant, each failure reported without
stopping the others. Re-running continues where a stopped run left off, because each tenant's
revision is committed with its own changes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.util
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tenancy import passes
from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER, note_schemas, recycle_after_schemas
from tenancy.migrations.common import configure_kwargs, load_metadata, tenant_connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
METADATA_SPECS = {"platform": "app.models:platform_metadata", "tenant": "app.models:tenant_metadata"}


def alembic_config(env: str, script_location: str | Path | None = None) -> Config:
    """A Config for ``platform`` or ``tenant`` that needs no alembic.ini (works from an installed wheel).

    ``script_location`` replaces the packaged migrations folder of ``env`` with another one (a copy
    with an extra revision, for a rehearsal or a benchmark); ``None`` means the packaged one.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or MIGRATIONS_DIR / env))
    cfg.set_main_option("target_metadata", METADATA_SPECS[env])
    return cfg


@lru_cache(maxsize=8)
def script_directory(env: str, script_location: str | Path | None = None) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(env, script_location))


def head_revision(env: str = "tenant", script_location: str | Path | None = None) -> str:
    head = script_directory(env, script_location).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {env}")
    return head


# Relations a read of one tenant's ``alembic_version`` locks: the table and its primary key.
VERSION_TABLE_LOCKS = 2
# Connections reading tenants' revisions at once (each transaction within the lock budget).
REVISION_READERS = 4


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- provisioning ---------------------------------------------------------------------------------


async def create_schema_at_head(conn: AsyncConnection, schema: str, metadata: MetaData) -> None:
    """Create a tenant schema from metadata and stamp it at head, inside the caller's transaction.

    The DDL is the metadata's ``create_all`` (tables, indexes, constraints and the ``after_create``
    listeners' functions and triggers), rendered once per process and metadata (``_ddl_script``)
    and sent as one script: a sign-up spends its time in the database, not in compiling the same
    600-odd statements again.
    """
    note_schemas(conn, [schema])
    script = await _ddl_script(conn, metadata)
    raw = await conn.get_raw_connection()
    await raw.driver_connection.execute(  # type: ignore[union-attr]
        f"CREATE SCHEMA {quote_ident(schema)};\n" + script.replace(_DDL_TOKEN, quote_ident(schema))
    )
    head = head_revision("tenant")
    await conn.execute(
        text(
            f"CREATE TABLE {quote_ident(schema)}.alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    await conn.execute(
        text(f"INSERT INTO {quote_ident(schema)}.alembic_version (version_num) VALUES (:v)"), {"v": head}
    )


def _create_tables(sync_conn: Connection, schema: str, metadata: MetaData) -> None:
    bound = sync_conn.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})
    metadata.create_all(bound, checkfirst=False)


# The schema the DDL is rendered for, inside a savepoint that is rolled back; every occurrence of
# it, quoted, in the captured statements is then the tenant's schema.
_DDL_TEMPLATE_SCHEMA = "dcrm_ddl_template"
_DDL_TOKEN = quote_ident(_DDL_TEMPLATE_SCHEMA)
_DDL_SCRIPTS: dict[int, tuple[MetaData, str]] = {}


async def _ddl_script(conn: AsyncConnection, metadata: MetaData) -> str:
    """``create_all`` of ``metadata`` as one script for the schema ``_DDL_TOKEN``: run for real once
    in a savepoint (so listeners that execute SQL of their own are captured too), every statement
    recorded, then rolled back."""
    cached = _DDL_SCRIPTS.get(id(metadata))
    if cached is not None and cached[0] is metadata:
        return cached[1]
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if parameters:
            raise RuntimeError(f"tenant DDL with parameters cannot be replayed: {statement[:80]}")
        statements.append(statement)

    savepoint = await conn.begin_nested()
    try:
        await conn.execute(text(f"CREATE SCHEMA {_DDL_TOKEN}"))
        event.listen(conn.sync_connection, "before_cursor_execute", capture)
        try:
            await conn.run_sync(_create_tables, _DDL_TEMPLATE_SCHEMA, metadata)
        finally:
            event.remove(conn.sync_connection, "before_cursor_execute", capture)
    finally:
        await savepoint.rollback()
    script = ";\n".join(s.replace(f"{_DDL_TEMPLATE_SCHEMA}.", f"{_DDL_TOKEN}.") for s in statements)
    if _DDL_TEMPLATE_SCHEMA in script.replace(_DDL_TOKEN, ""):
        raise RuntimeError("tenant DDL names its schema in a way that cannot be replaced")
    _DDL_SCRIPTS[id(metadata)] = (metadata, script)
    return script


async def drop_schema(conn: AsyncConnection, schema: str) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE"))


# -- upgrades -------------------------------------------------------------------------------------

# Worker processes cost a second or two to start (the fork server imports SQLAlchemy, Alembic and
# the models once), about what 50-100 light tenant upgrades take in this process; so one worker is
# started per this many tenants to upgrade, and a handful run here one after another.
MIN_TENANTS_PER_WORKER = 20
WORKER_SCHEMAS_PER_CONNECTION = 200


async def upgrade_platform(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_run_upgrade, "platform", None)
        await conn.commit()


def _run_upgrade(
    sync_conn: Connection, env: str, schema: str | None, script_location: str | Path | None = None
) -> None:
    """``alembic upgrade head`` through the environment's env.py, as the command line runs it."""
    cfg = alembic_config(env, script_location)
    cfg.attributes["connection"] = sync_conn
    if schema:
        cfg.attributes["schema"] = schema
    command.upgrade(cfg, "head")


def _upgrade_schema(sync_conn: Connection, schema: str, script_location: str | Path | None = None) -> None:
    """Upgrade one tenant schema to head on this connection: what ``migrations/tenant/env.py`` does.

    The same configuration (``tenancy.migrations.common``), but without re-reading env.py and every
    revision file for each tenant: the ScriptDirectory is loaded once per process.
    """
    script = script_directory("tenant", script_location)
    cfg = alembic_config("tenant", script_location)

    def to_head(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs("head", rev)

    stamped = _lock_version(sync_conn, schema)
    with EnvironmentContext(cfg, script, fn=to_head, destination_rev="head") as env:
        env.configure(
            connection=tenant_connection(sync_conn, schema),
            target_metadata=load_metadata(cfg.get_main_option("target_metadata")),
            **configure_kwargs(schema),
        )
        if stamped is not None:
            # Alembic would find the version table by reflection and read it again: a third of a
            # light upgrade's time at 10,000 tenants. The row read (and locked) above is the same.
            context = env.get_context()
            context.get_current_heads = lambda: stamped  # type: ignore[method-assign]
        with env.begin_transaction():
            env.run_migrations()


def _lock_version(sync_conn: Connection, schema: str) -> tuple[str, ...] | None:
    """The schema's stamped revisions, their row locked until the caller's transaction ends (two
    runners on one tenant wait for each other, and the second finds it at head); ``None`` when
    the schema has no version table yet (Alembic creates it).

    The transaction commits asynchronously (``synchronous_commit`` off): if the server crashes
    right after, the tenant's whole transaction (its changes and its new revision together) may be
    lost, and the next run upgrades it again. Nothing is left half-done, and a run over many
    tenants does not wait for a WAL flush per tenant.
    """
    table = f"{quote_ident(schema)}.alembic_version"
    found = sync_conn.execute(
        text("SELECT set_config('synchronous_commit', 'off', true), to_regclass(:t)"), {"t": table}
    ).one()
    if found[1] is None:
        return None
    rows = sync_conn.execute(text(f"SELECT version_num FROM {table} FOR UPDATE")).scalars().all()
    return tuple(rows)


async def current_revisions(
    engine: AsyncEngine, schemas: Sequence[str], batch: int = 500
) -> dict[str, str | None]:
    """Each schema's stamped revision (None: no ``alembic_version`` table).

    A batch of schemas per query and one transaction per batch, sized by ``tenancy.passes``: a
    transaction keeps a lock on each ``alembic_version`` table (and its primary key) it read, so
    reading them all in one transaction ran the server's lock table out at ~6,650 tenants.
    """
    found: dict[str, str | None] = {s: None for s in schemas}
    async with engine.connect() as conn:
        # pg_catalog rather than information_schema.tables: the view checks privileges on every
        # table of every tenant, which grows with the number of tenants.
        existing = set(
            (
                await conn.execute(
                    text(
                        "SELECT n.nspname FROM pg_catalog.pg_class c "
                        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE c.relname = 'alembic_version' AND c.relkind IN ('r', 'p') "
                        "AND n.nspname = ANY(:s)"
                    ),
                    {"s": list(schemas)},
                )
            ).scalars()
        )
        size = passes.schemas_per_batch(await passes.lock_budget(conn), VERSION_TABLE_LOCKS, batch)
    present = [s for s in schemas if s in existing]
    gate = asyncio.Semaphore(REVISION_READERS)

    async def read(chunk: Sequence[str]) -> None:
        # A checkout per batch: the pool may replace a connection that has read many schemas.
        async with gate, engine.connect() as conn:
            note_schemas(conn, chunk)
            sql = " UNION ALL ".join(
                f"SELECT {quote_literal(s)} AS schema, version_num FROM {quote_ident(s)}.alembic_version"
                for s in chunk
            )
            for schema, rev in (await conn.execute(text(sql))).all():
                found[schema] = rev
            await conn.commit()  # read-only; ends the transaction and releases its locks

    # A few batches at once, each its own bounded transaction: the server opens the version
    # tables of one batch while the next batch's are read (the CPU work of 10,000 table opens).
    await asyncio.gather(*(read(chunk) for chunk in passes.batched(present, size)))
    return found


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def pending_revisions(
    current: str | None, env: str = "tenant", script_location: str | Path | None = None
) -> list[str]:
    """Revisions between ``current`` and head, oldest first."""
    script = script_directory(env, script_location)
    head = head_revision(env, script_location)
    if current == head:
        return []
    revs = list(script.iterate_revisions(head, current))
    return [r.revision for r in reversed(revs)]


@dataclass(frozen=True)
class TenantPlan:
    """What ``upgrade_tenants`` would do to one schema; ``problem`` says why it cannot."""

    current: str | None
    pending: tuple[str, ...] = ()
    problem: str | None = None


async def plan_upgrades(
    engine: AsyncEngine, schemas: Sequence[str], script_location: str | Path | None = None
) -> dict[str, TenantPlan]:
    """The dry run: each schema's revision and the revisions it lacks, changing nothing."""
    current = await current_revisions(engine, schemas)
    by_revision: dict[str | None, TenantPlan] = {}
    plans: dict[str, TenantPlan] = {}
    for schema in schemas:
        rev = current[schema]
        if rev not in by_revision:
            try:
                by_revision[rev] = TenantPlan(rev, tuple(pending_revisions(rev, "tenant", script_location)))
            except Exception as exc:  # a revision this code does not know (stamped by a newer release?)
                by_revision[rev] = TenantPlan(rev, problem=_describe(exc))
        plans[schema] = by_revision[rev]
    return plans


@dataclass
class MigrationReport:
    total: int = 0
    skipped: int = 0
    upgraded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    per_tenant_seconds: list[float] = field(default_factory=list)
    workers: int = 0  # worker processes used (0: upgraded in this process)

    @property
    def ok(self) -> bool:
        return not self.failed


ProgressFn = Callable[[int, int, str, str], None]  # done, total, schema, outcome


def _describe(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:500]


async def _upgrade_one(
    engine: AsyncEngine, schema: str, script_location: str | Path | None
) -> tuple[float, str | None]:
    """Upgrade one tenant in its own transaction: (seconds, None) or (seconds, the error)."""
    started = time.perf_counter()
    try:
        async with engine.connect() as conn:
            note_schemas(conn, [schema])
            await conn.run_sync(_upgrade_schema, schema, script_location)
            await conn.commit()
    except Exception as exc:  # one tenant's failure must not stop the others
        return time.perf_counter() - started, _describe(exc)
    return time.perf_counter() - started, None


async def upgrade_tenants(
    engine: AsyncEngine,
    schemas: Iterable[str],
    *,
    concurrency: int = 4,
    on_progress: ProgressFn | None = None,
    script_location: str | Path | None = None,
) -> MigrationReport:
    """Upgrade every schema not at head, each in its own transaction, at most ``concurrency`` at once.

    Parallel upgrades run in worker processes, one tenant at a time in each: Alembic installs its
    ``op`` and ``context`` proxies as module globals, so two migrations interleaved in one process
    (tasks on an event loop, or threads) would send one tenant's operations to another's connection.
    Processes are also what spreads the Python side of Alembic over the cores. A small batch (fewer
    than ``MIN_TENANTS_PER_WORKER`` tenants per worker) runs here, one tenant after another.
    ``script_location`` upgrades to the head of another copy of the tenant migrations folder.
    """
    started = time.perf_counter()
    schema_list = list(schemas)
    report = MigrationReport(total=len(schema_list))
    head = head_revision("tenant", script_location)
    current = await current_revisions(engine, schema_list)
    todo = [s for s in schema_list if current[s] != head]
    report.skipped = len(schema_list) - len(todo)
    done = report.skipped

    def record(schema: str, seconds: float, error: str | None) -> None:
        nonlocal done
        if error is None:
            report.upgraded.append(schema)
            report.per_tenant_seconds.append(seconds)
        else:
            report.failed[schema] = error
        done += 1
        if on_progress:
            on_progress(done, report.total, schema, "failed" if error else "upgraded")

    workers = min(max(1, concurrency), len(todo) // MIN_TENANTS_PER_WORKER)
    if workers <= 1:
        for schema in todo:
            record(schema, *await _upgrade_one(engine, schema, script_location))
    else:
        report.workers = workers
        location = str(script_location) if script_location else None
        pool = ProcessPoolExecutor(
            workers,
            mp_context=_worker_context(),
            initializer=_worker_start,
            initargs=(engine.url.render_as_string(hide_password=False), location),
        )

        async def one(schema: str) -> None:
            try:
                seconds, error = await asyncio.wrap_future(pool.submit(_worker_upgrade, schema))
            except Exception as exc:  # the worker process died (killed, out of memory): its batch fails
                seconds, error = 0.0, f"worker process failed: {_describe(exc)}"
            record(schema, seconds, error)

        try:
            await asyncio.gather(*(one(s) for s in todo))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    return report


# -- worker processes -------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _worker_context() -> Any:
    """Fork workers from a fresh server process that has imported Alembic and the models once
    (a worker then starts in milliseconds); spawn them (a whole interpreter each) where there is
    no fork. Never fork this process itself: it has an event loop, threads and open connections."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, METADATA_SPECS["tenant"].partition(":")[0]])
    return context


def _worker_start(url: str, script_location: str | None) -> None:
    """In a worker process: one event loop and one connection, kept for every tenant it upgrades."""
    loop = asyncio.new_event_loop()
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    # One worker upgrades thousands of schemas on its connection: replace it every so often, or
    # the backend's catalog caches grow with every schema it migrated.
    recycle_after_schemas(engine, WORKER_SCHEMAS_PER_CONNECTION)
    _worker.update(loop=loop, engine=engine, script_location=script_location)
    multiprocessing.util.Finalize(None, _worker_stop, exitpriority=10)
    script_directory("tenant", script_location).revision_map.get_current_head()  # read the revisions now


def _worker_upgrade(schema: str) -> tuple[float, str | None]:
    return _worker["loop"].run_until_complete(
        _upgrade_one(_worker["engine"], schema, _worker["script_location"])
    )


def _worker_stop() -> None:
    loop = _worker.pop("loop", None)
    engine = _worker.pop("engine", None)
    if loop is not None and engine is not None:
        loop.run_until_complete(engine.dispose())
        loop.close()
