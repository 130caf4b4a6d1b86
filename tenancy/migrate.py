"""Alembic for the platform and for every tenant schema, in-process.

A new tenant is created at head from metadata and stamped (no history replayed). Upgrading many
tenants: current revisions are read in batches, up-to-date tenants are skipped, the rest are
upgraded with bounded parallelism, one transaction per tenant, each failure reported without
stopping the others. Re-running continues where a stopped run left off, because each tenant's
revision is committed with its own changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
METADATA_SPECS = {"platform": "app.models:platform_metadata", "tenant": "app.models:tenant_metadata"}


def alembic_config(env: str) -> Config:
    """A Config for ``platform`` or ``tenant`` that needs no alembic.ini (works from an installed wheel)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR / env))
    cfg.set_main_option("target_metadata", METADATA_SPECS[env])
    return cfg


@lru_cache(maxsize=2)
def script_directory(env: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(env))


def head_revision(env: str = "tenant") -> str:
    head = script_directory(env).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {env}")
    return head


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- provisioning ---------------------------------------------------------------------------------


async def create_schema_at_head(conn: AsyncConnection, schema: str, metadata: MetaData) -> None:
    """Create a tenant schema from metadata and stamp it at head, inside the caller's transaction."""
    await conn.execute(text(f"CREATE SCHEMA {quote_ident(schema)}"))
    await conn.run_sync(_create_tables, schema, metadata)
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


async def drop_schema(conn: AsyncConnection, schema: str) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE"))


# -- upgrades -------------------------------------------------------------------------------------


async def upgrade_platform(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_run_upgrade, "platform", None)
        await conn.commit()


def _run_upgrade(sync_conn: Connection, env: str, schema: str | None) -> None:
    cfg = alembic_config(env)
    cfg.attributes["connection"] = sync_conn
    if schema:
        cfg.attributes["schema"] = schema
    command.upgrade(cfg, "head")


async def current_revisions(engine: AsyncEngine, schemas: Sequence[str], batch: int = 500) -> dict[str, str | None]:
    """Each schema's stamped revision, read a batch of schemas per query."""
    found: dict[str, str | None] = {s: None for s in schemas}
    async with engine.connect() as conn:
        existing = set(
            (await conn.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'alembic_version' AND table_schema = ANY(:s)"
                ),
                {"s": list(schemas)},
            )).scalars()
        )
        present = [s for s in schemas if s in existing]
        for i in range(0, len(present), batch):
            chunk = present[i : i + batch]
            sql = " UNION ALL ".join(
                f"SELECT '{s}' AS schema, version_num FROM {quote_ident(s)}.alembic_version" for s in chunk
            )
            for schema, rev in (await conn.execute(text(sql))).all():
                found[schema] = rev
    return found


def pending_revisions(current: str | None, env: str = "tenant") -> list[str]:
    """Revisions between ``current`` and head, oldest first."""
    script = script_directory(env)
    head = head_revision(env)
    if current == head:
        return []
    revs = list(script.iterate_revisions(head, current))
    return [r.revision for r in reversed(revs)]


@dataclass
class MigrationReport:
    total: int = 0
    skipped: int = 0
    upgraded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    per_tenant_seconds: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


ProgressFn = Callable[[int, int, str, str], None]  # done, total, schema, outcome


async def upgrade_tenants(
    engine: AsyncEngine,
    schemas: Iterable[str],
    *,
    concurrency: int = 4,
    on_progress: ProgressFn | None = None,
) -> MigrationReport:
    started = time.perf_counter()
    schema_list = list(schemas)
    report = MigrationReport(total=len(schema_list))
    head = head_revision("tenant")
    current = await current_revisions(engine, schema_list)
    todo = [s for s in schema_list if current[s] != head]
    report.skipped = len(schema_list) - len(todo)
    done = report.skipped
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(schema: str) -> None:
        nonlocal done
        async with gate:
            t0 = time.perf_counter()
            try:
                async with engine.connect() as conn:
                    await conn.run_sync(_run_upgrade, "tenant", schema)
                    await conn.commit()
            except Exception as exc:  # one tenant's failure must not stop the others
                report.failed[schema] = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
                outcome = "failed"
            else:
                report.upgraded.append(schema)
                report.per_tenant_seconds.append(time.perf_counter() - t0)
                outcome = "upgraded"
            done += 1
            if on_progress:
                on_progress(done, report.total, schema, outcome)

    await asyncio.gather(*(one(s) for s in todo))
    report.seconds = time.perf_counter() - started
    return report
