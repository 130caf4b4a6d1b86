"""What every benchmark shares: the scratch database, the app, the big tenant, statistics, results.

Benchmarks run against their own database ``dcrm_bench`` on the PostgreSQL server of
``DATABASE_URL`` (or the embedded one when it is unset), never the application's database. The
200,000-customer tenant ``bench-search`` is built once and reused by later runs.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar

BENCH_DB = "dcrm_bench"
RESULTS_DIR = Path(__file__).parent / "results"
SEARCH_SLUG = "bench-search"
SEARCH_TENANT_NAME = "百万家电（基准测试）"
SEARCH_CUSTOMERS = 200_000
SEARCH_SEED = 200_000


# -- the scratch database -------------------------------------------------------------------------


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    head, sep, query = url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + (sep + query if sep else "")


async def _connect(url: str) -> asyncpg.Connection:
    head, _, query = _plain(url).partition("?")
    host = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("host")
    return await (asyncpg.connect(head, host=host) if host else asyncpg.connect(head))


def server_url() -> str:
    """The configured PostgreSQL server (any database on it), starting the embedded one if unset."""
    from app.runtime import resolve_service_urls
    from app.settings import Settings

    return resolve_service_urls(Settings()).database_url


async def prepare_environment() -> str:
    """Create ``dcrm_bench`` if needed and point this process's settings at it; returns its URL."""
    from app.runtime import resolve_service_urls
    from app.settings import Settings, get_settings

    urls = resolve_service_urls(Settings())
    bench_url = _with_database(urls.database_url, BENCH_DB)
    if urls.database_url.rsplit("/", 1)[-1].split("?")[0] == BENCH_DB:
        bench_url = urls.database_url
    admin = await _connect(urls.database_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", BENCH_DB)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await admin.close()
    os.environ.update(
        DATABASE_URL=bench_url,
        REDIS_URL=urls.redis_url,
        BASE_DOMAIN="localhost",
        SECURE_COOKIES="0",
        SENTRY_DSN="",
    )
    # The GraphQL limit on objects per client per minute stays on (its Redis counter is part of a
    # request's cost) but high enough that a benchmark measures the server, not the limit.
    os.environ.setdefault("API_OBJECTS_PER_MINUTE", str(10**9))
    get_settings.cache_clear()
    return bench_url


async def drop_bench_database() -> None:
    """Drop this benchmark's own scratch database (``BENCH_DB``, set by the benchmark), sessions and all."""
    admin = await _connect(_with_database(server_url(), "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    finally:
        await admin.close()


async def signed_up_tenant(
    app: Litestar,
    slug: str,
    company_name: str,
    owner_email: str,
    *,
    password: str = "bench-password-9",
    owner_name: str = "王建国",
) -> Any:
    """The tenant ``slug``, signed up as every new dealer is (its owner ``owner_email``); a kept
    database's tenant is reused as it is."""
    from app.platform.service import SignUp, sign_up
    from tenancy import registry

    async with app.state.db.engine.connect() as conn:
        existing = await registry.get_tenant(conn, slug)
    if existing is not None:
        return existing
    return await sign_up(
        app.state.db.engine,
        SignUp(
            company_name=company_name,
            slug=slug,
            admin_email=owner_email,
            admin_password=password,
            admin_name=owner_name,
        ),
    )


async def raw_connection() -> asyncpg.Connection:
    """A plain asyncpg connection to ``dcrm_bench`` (after ``prepare_environment``)."""
    return await _connect(os.environ["DATABASE_URL"])


@asynccontextmanager
async def bench_app() -> AsyncIterator[Litestar]:
    """The web app as ``dealercrm serve`` builds it, with its services running, platform migrated."""
    import logging

    from app.factory import services
    from app.settings import get_settings
    from tenancy.migrate import upgrade_platform
    from web.main import create_web_app

    await prepare_environment()
    warn_if_busy()
    application = create_web_app()
    # The JSON access log would time its own printing; benchmarks report their own numbers.
    logging.getLogger().setLevel(logging.WARNING)
    async with services(get_settings()) as found:
        for key, value in found.items():
            application.state[key] = value
        await upgrade_platform(application.state.db.engine)
        yield application


# -- the 200,000-customer tenant -------------------------------------------------------------------


async def demo_tenant(
    app: Litestar, slug: str, name: str, staff: Sequence[dict[str, Any]] | None = None, echo: Any = None
) -> tuple[Any, dict[str, uuid.UUID]]:
    """The tenant ``slug`` with the demo staff (``staff``: some of them; all by default) as the demo
    seed makes them, and their ids by email; an existing one is reused. ``echo`` prints progress."""
    from app.demo import seed
    from app.demo.generator import STAFF

    quiet = _Echo()
    tenant = await seed.ensure_tenant(app.state.db, slug, name, STAFF[0], echo=echo or quiet)
    users = await seed.ensure_staff(app.state.db, tenant, STAFF if staff is None else staff, echo=quiet)
    return tenant, users


async def ensure_search_tenant(app: Litestar, customers: int = SEARCH_CUSTOMERS) -> dict[str, Any]:
    """The tenant ``bench-search`` with the demo staff and ``customers`` customers, built by the seed path.

    Returns the tenant, the staff ids by email, and how long topping up took (0 when reused).
    """
    from app.demo import seed
    from app.demo.generator import STAFF

    db = app.state.db
    tenant, users = await demo_tenant(app, SEARCH_SLUG, SEARCH_TENANT_NAME)
    owners = seed.weighted_owners(users, STAFF)
    result = await seed.top_up_customers(
        db,
        tenant.schema_name,
        customers,
        owners,
        seed=SEARCH_SEED,
        created_by=users[STAFF[0]["email"]],
        echo=_Echo(every=25),
    )
    if result.added:
        await settle(tenant.schema_name, "customers")
    return {"tenant": tenant, "users": users, "seed": result}


async def settle(schema: str, *tables: str) -> None:
    """VACUUM ANALYZE freshly bulk-loaded tables, as autovacuum soon would on a live server: the
    planner gets statistics and index-only scans stop visiting every heap page."""
    connection = await raw_connection()
    try:
        for table in tables:
            await connection.execute(f'VACUUM ANALYZE "{schema}"."{table}"')
    finally:
        await connection.close()


class _Echo:
    """Print every ``every``-th progress line (a 200,000-row seed prints 40)."""

    def __init__(self, every: int = 0) -> None:
        self.every = every
        self.seen = 0

    def __call__(self, line: str) -> None:
        self.seen += 1
        if self.every and (self.seen % self.every == 0 or "none to add" in line):
            print(f"  {line}", flush=True)


async def api_token(app: Litestar, schema: str, slug: str, email: str) -> str:
    """A fresh personal access token for a staff member (an integrator's credentials)."""
    from app.accounts import repository as accounts_repo
    from app.accounts.service import create_api_token

    async with app.state.db.tenant_session(schema) as session:
        user = await accounts_repo.user_by_email(session, email)
        assert user is not None, email
        plaintext, _ = await create_api_token(session, user, tenant_slug=slug, name="bench")
    return plaintext


async def actor_of(app: Litestar, schema: str, email: str) -> Any:
    from app.accounts import repository as accounts_repo
    from app.accounts.service import actor_for

    async with app.state.db.tenant_session(schema) as session:
        user = await accounts_repo.user_by_email(session, email)
        assert user is not None, email
        return actor_for(user, ip="127.0.0.1", request_id="bench")


def query_has_field(name: str) -> bool:
    """Whether the GraphQL schema in the code has the root field ``Query.name`` (the API is growing)."""
    from app.graphql.schema import schema

    query_type = schema._schema.query_type
    return query_type is not None and name in query_type.fields


# -- statistics and results ------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linearly interpolated, of a non-empty sample."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """n, p50, p95, p99, mean, min, max of a sample, multiplied by ``scale`` (1000: seconds → ms)."""
    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * scale, 3),
        "p95": round(percentile(values, 95) * scale, 3),
        "p99": round(percentile(values, 99) * scale, 3),
        "mean": round(statistics.fmean(values) * scale, 3),
        "min": round(min(values) * scale, 3),
        "max": round(max(values) * scale, 3),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def warn_if_busy() -> None:
    """Say so when other work competes for the CPUs: the numbers would measure the contention."""
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(
            f"  note: load average {load:.1f} on {os.cpu_count()} CPUs; other work is competing", flush=True
        )


async def postgres_version() -> str:
    conn = await raw_connection()
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>-<UTC time>.json`` and ``<name>-latest.json``; returns the former."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {"benchmark": name, "at": stamp, "machine": machine(), **data}
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(text)
    (RESULTS_DIR / f"{name}-latest.json").write_text(text)
    return path


def write_partial(name: str, data: dict[str, Any]) -> Path:
    """Write what a long benchmark has measured so far to ``bench/results/<name>-partial.json``
    (rewritten at each step), so an interrupted run still leaves its numbers."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "partial": True, "machine": machine(), **data}
    path = RESULTS_DIR / f"{name}-partial.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    tmp.replace(path)
    return path


def read_latest(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}-latest.json"
    return json.loads(path.read_text()) if path.exists() else None


def run_id() -> str:
    return uuid.uuid4().hex[:6]


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
