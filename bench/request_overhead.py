"""Per-request overhead with 10 tenants and with 2,000 tenants in the database.

Two requests, each timed inside the server (the ASGI app's own time for the request, in-process,
one request at a time, after a warm-up):

- **GraphQL** ``{ viewer { id } }`` with the owner's personal access token (made with
  ``app.accounts.service.create_api_token``);
- **admin page** ``GET /customers`` with the owner's session cookie (a session opened the way a
  successful login opens one, without paying argon2 for each of thousands of owners).

Each in two variants:

- **one tenant**: every request to the same tenant (``scale-00000``);
- **random tenant**: every request to a tenant drawn at random from all of the database's tenants,
  so the per-tenant caches are exercised across many tenants: asyncpg's prepared statements
  (a statement names its tenant's schema, so each tenant has its own), SQLAlchemy's compiled
  cache under ``schema_translate_map``, the ``TenantEngines`` LRU, and PostgreSQL's own
  per-connection catalog caches.

The database with 10 tenants is ``dcrm_scale_10`` (made here); the one with 2,000 is
``dcrm_scale`` from ``bench/tenants_at_scale.py`` (topped up here, without argon2, if it has
fewer). Reported per database, request and variant: p50, p95 in ms, SQL statements per request
and the time spent in them, and the ratio 2,000/10 of the medians.

    .venv/bin/python bench/request_overhead.py [--iterations 500] [--large 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import random
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import RESULTS_DIR, summary, warn_if_busy, write_partial, write_result
from sqlalchemy import event, text
from tenants_at_scale import SCALE_DB, open_scale_database, provision_range

SMALL_DB = "dcrm_scale_10"
VIEWER = "{ viewer { id } }"
WARMUP = 50
SEED = 20261123


@dataclass
class Tenant:
    slug: str
    schema: str
    token: str  # personal access token of the owner
    session: str  # session cookie of the owner


# -- the database and the app -----------------------------------------------------------------------


async def ensure_tenants(db: Any, count: int) -> None:
    """Top the database up to ``count`` tenants (the fast path: no argon2, one at a time)."""
    from tenants_at_scale import ProvisioningTimes, tenant_schemas

    have = len(await tenant_schemas(db))
    if have < count:
        print(f"  provisioning tenants {have}..{count - 1} (without argon2)", flush=True)
        numbers = list(range(have, count))
        await provision_range(
            db, numbers, concurrency=1, times=ProvisioningTimes(), label="top up", without_argon2=numbers
        )


@asynccontextmanager
async def web_app(
    database: str, tenants: int, recreate: bool, statement_cache_size: int | None = None
) -> AsyncIterator[Any]:
    """The web app (web.main.create_web_app, services entered as tests/conftest.py does) on the
    scratch database ``database`` holding at least ``tenants`` tenants."""
    from app.factory import services
    from app.settings import get_settings
    from web.main import create_web_app

    db = await open_scale_database(database, recreate=recreate)
    try:
        await ensure_tenants(db, tenants)
    finally:
        await db.dispose()
    settings = dataclasses.replace(get_settings())  # this database's URL, kept by this app
    if statement_cache_size is not None:
        settings = dataclasses.replace(settings, db_statement_cache_size=statement_cache_size)
    application = create_web_app(settings)
    logging.getLogger().setLevel(logging.WARNING)
    async with services(settings) as found:
        for key, value in found.items():
            application.state[key] = value
        yield application


async def credentials(app: Any, database: str, concurrency: int = 4) -> list[Tenant]:
    """A token and a session cookie for the owner of every tenant.

    Made through an engine of their own (disposed afterwards), so that the measured app's
    connections have not seen the tenants yet, ``concurrency`` tenants at a time, one transaction
    each (a bounded number of locks, and the set-up connections are replaced as they serve
    tenants, like the app's). Both are then marked as used an hour from now: the once-a-minute
    ``last_used_at`` / ``last_seen_at`` write on a credential's first use would otherwise land on
    most random-tenant requests with thousands of tenants and few with 10. Kept in
    ``bench/results/credentials-<database>.json`` and reused by the next run while they still work
    (a rerun at 10,000 tenants starts in seconds)."""
    from app.db import Database

    cache = RESULTS_DIR / f"credentials-{database}.json"
    async with app.state.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT slug, schema_name FROM public.tenants ORDER BY slug"))).all()
    known: dict[str, Tenant] = {}
    if cache.exists():
        known = {t["slug"]: Tenant(**t) for t in json.loads(cache.read_text())}
    out: list[Tenant] = [known[slug] for slug, _ in rows if slug in known]
    todo = [(slug, schema) for slug, schema in rows if slug not in known]
    if out and not await _still_valid(app, out[0]):
        out, todo = [], list(rows)
    if not todo:
        return out
    print(f"  credentials for {len(todo)} tenants ({len(out)} reused)", flush=True)
    db = Database(app.state.urls.database_url, pool_size=concurrency)
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(slug: str, schema: str) -> None:
        async with gate:
            out.append(await _credential(db, slug, schema))
            if len(out) % 500 == 0:
                rate = len(out) / (time.perf_counter() - started)
                print(f"    {len(out)}/{len(rows)} ({rate:.0f}/s)", flush=True)
                _save(cache, out)

    try:
        await asyncio.gather(*(one(slug, schema) for slug, schema in todo))
    finally:
        _save(cache, out)
        await db.dispose()
    out.sort(key=lambda t: t.slug)
    return out


async def _credential(db: Any, slug: str, schema: str) -> Tenant:
    from app.accounts import repository as accounts_repo
    from app.accounts import service as accounts
    from app.tenant_settings.service import security_policy
    from tenancy.migrate import quote_ident

    async with db.tenant_session(schema) as session:
        user = await accounts_repo.user_by_email(session, f"owner@{slug}.example")
        assert user is not None, slug
        token, _ = await accounts.create_api_token(session, user, tenant_slug=slug, name="bench")
        policy = await security_policy(session)
        cookie, _ = accounts._open_session(
            session, user, policy, accounts.STAGE_ACTIVE, "127.0.0.1", "bench/request_overhead"
        )
        await session.commit()
    async with db.engine.begin() as conn:
        s = quote_ident(schema)
        later = "now() + interval '1 hour'"
        await conn.execute(text(f"UPDATE {s}.api_tokens SET last_used_at = {later} WHERE name = 'bench'"))
        await conn.execute(text(f"UPDATE {s}.user_sessions SET last_seen_at = {later}"))
    return Tenant(slug, schema, token, cookie)


async def _still_valid(app: Any, tenant: Tenant) -> bool:
    """Whether a cached token and cookie still open their tenant (sessions and tokens expire)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport) as client:
        for kind in KINDS:
            if (await request(client, kind, tenant)).status_code != 200:
                return False
    return True


def _save(cache: Path, tenants: list[Tenant]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([dataclasses.asdict(t) for t in tenants]))


# -- timing -----------------------------------------------------------------------------------------


class Timed:
    """The app with a stopwatch: of the last request, from the ASGI call to its end, ``seconds``
    (wall) and ``cpu`` (this thread's CPU time: the app's own work, hardly changed by other
    processes competing for the cores; requests run one at a time)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0
        self.cpu = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds = time.perf_counter() - started
            self.cpu = time.thread_time() - cpu


class Statements:
    """SQL statements and their execution time, counted on the app's engine."""

    def __init__(self, engines: list[Any]) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        self.count += 1
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        started = self._started.pop(id(cursor), None)
        if started is not None:
            self.seconds += time.perf_counter() - started

    def take(self) -> tuple[int, float]:
        taken = (self.count, self.seconds)
        self.count, self.seconds = 0, 0.0
        return taken


async def request(client: httpx.AsyncClient, kind: str, tenant: Tenant) -> httpx.Response:
    host = f"{tenant.slug}.localhost"
    if kind == "graphql":
        response = await client.post(
            f"http://{host}/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {tenant.token}"},
        )
    else:
        response = await client.get(
            f"http://{host}/customers", headers={"Cookie": f"dcrm_session={tenant.session}"}
        )
    # The requests carry their own credentials. Kept, the cookies the pages set (one host per
    # tenant) would pile up in the client's jar, which httpx walks on every request: at 10,000
    # tenants the client spent most of its time there, and an untimed pass over every tenant
    # slowed from 16 to under 7 tenants/s.
    client.cookies.clear()
    return response


def check(response: httpx.Response, kind: str, tenant: Tenant) -> None:
    ok = response.status_code == 200
    if ok and kind == "graphql":
        body = response.json()
        ok = not body.get("errors") and bool(body["data"]["viewer"]["id"])
    if not ok:
        raise SystemExit(f"{kind} on {tenant.slug}: {response.status_code} {response.text[:300]}")


KINDS = ("graphql", "page")
RATIOS = (("ms", "p50"), ("ms", "p95"), ("cpu_ms", "p50"), ("sql_ms", "p50"))
VARIANTS = ("one tenant", "random tenant", "random tenant, steady")


def beside(variant: str) -> str:
    """The one tenant's requests made in turn with ``variant``'s random ones (issue 12's ratio)."""
    return f"one tenant, beside {variant}"


REPORTED = (*VARIANTS, *(beside(v) for v in VARIANTS[1:]))


@dataclass
class Side:
    """One database's app, its tenants and what was measured on it."""

    name: str
    app: Any
    tenants: list[Tenant]
    client: httpx.AsyncClient
    timed: Timed
    statements: Statements
    touched: set[str] = dataclasses.field(default_factory=set)
    memory: dict[str, Any] = dataclasses.field(default_factory=dict)
    samples: dict[tuple[str, str], dict[str, list[float]]] = dataclasses.field(default_factory=dict)

    def record(self, variant: str, kind: str, cold: bool) -> None:
        n, sql = self.statements.take()
        row = self.samples.setdefault(
            (variant, kind),
            {"ms": [], "cpu_ms": [], "statements": [], "sql_ms": [], "cold_ms": [], "warm_ms": []},
        )
        row["ms"].append(self.timed.seconds)
        row["cpu_ms"].append(self.timed.cpu)
        row["statements"].append(n)
        row["sql_ms"].append(sql)
        row["cold_ms" if cold else "warm_ms"].append(self.timed.seconds)

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tenants": len(self.tenants), "backend_memory": self.memory}
        for (variant, kind), row in self.samples.items():
            out.setdefault(variant, {})[kind] = {
                "ms": summary(row["ms"], 1000),
                "cpu_ms": summary(row["cpu_ms"], 1000),
                "statements_per_request": summary(row["statements"]),
                "sql_ms": summary(row["sql_ms"], 1000),
                # random tenant: a tenant's first request in this process, and the ones after
                "first_touch_ms": summary(row["cold_ms"], 1000) if row["cold_ms"] else None,
                "repeat_touch_ms": summary(row["warm_ms"], 1000) if row["warm_ms"] else None,
            }
        return out


async def fresh_api_quota(side: Side) -> None:
    """Today's API calls of the one tenant forgotten: its plan allows 10,000 a day, and a few
    runs of this benchmark in one day make more than that with it alone."""
    from app.platform.quotas import api_calls_key

    await side.app.state.redis.delete(api_calls_key(side.tenants[0].slug))


async def measure(sides: list[Side], iterations: int, steady_warmup: int, on_variant: Any = None) -> None:
    """Both databases interleaved, request by request, in a random order each time: whatever else
    the machine is doing hits both alike, so their ratio holds even when the times do not.

    - one tenant: after a warm-up on it;
    - random tenant: on fresh pooled connections (the pool is emptied first), so most requests
      with thousands of tenants are a tenant's first on its connection;
    - random tenant, steady: after ``steady_warmup`` untimed random requests (at most 20 per
      tenant), the steady state of a process serving random tenants for a while. (It replaces
      "all seen", an untimed pass over every tenant that took most of an hour at 10,000 tenants
      and that bounded connections no longer keep in cache anyway.)"""
    rng = random.Random(SEED)
    for side in sides:
        await fresh_api_quota(side)
        first = side.tenants[0]
        side.touched.add(first.slug)
        for _ in range(WARMUP):
            for kind in KINDS:
                check(await request(side.client, kind, first), kind, first)
        side.statements.take()
    for variant in VARIANTS:
        started = time.perf_counter()
        for side in sides:
            await fresh_api_quota(side)
            if variant == "random tenant":
                await side.app.state.db.dispose()  # every pool (and pool slice) emptied
            if variant == "random tenant, steady":
                if steady_warmup < 0:  # every tenant once, in a random order
                    warmup = rng.sample(side.tenants, len(side.tenants))
                else:
                    draws = min(steady_warmup, 20 * len(side.tenants)) // len(KINDS)
                    warmup = [rng.choice(side.tenants) for _ in range(draws)]
                await warm_up(side, warmup)
                side.statements.take()
        for _ in range(iterations):
            for kind in KINDS:
                for side in rng.sample(sides, len(sides)):
                    if variant == "one tenant":
                        pairs = [(variant, side.tenants[0])]
                    else:  # the one tenant beside it, in a random order: drift hits both alike
                        pairs = [(variant, rng.choice(side.tenants)), (beside(variant), side.tenants[0])]
                        rng.shuffle(pairs)
                    for recorded_as, tenant in pairs:
                        cold = tenant.slug not in side.touched
                        side.touched.add(tenant.slug)
                        response = await request(side.client, kind, tenant)
                        side.record(recorded_as, kind, cold)
                        check(response, kind, tenant)
        for side in sides:
            side.memory[variant] = await backend_memory(side.app)
        print(f"  {variant}: {time.perf_counter() - started:.0f} s", flush=True)
        if on_variant:
            on_variant()


async def warm_up(side: Side, tenants: list[Tenant], lanes: int = 4) -> None:
    """Both requests for each of ``tenants``, untimed. With pool slices, ``lanes`` at once, each
    lane taking the tenants of its own slices in order, so no slice ever serves two at a time
    (its one connection takes them all; a second would be an overflow connection, warmed and
    then closed); with one pool, one at a time, as the timed requests run."""
    slices = side.app.state.db.tenants
    lanes = min(lanes, len(slices.slices))
    started = time.perf_counter()
    done = 0

    async def lane(mine: list[Tenant]) -> None:
        nonlocal done
        for tenant in mine:
            for kind in KINDS:
                check(await request(side.client, kind, tenant), kind, tenant)
            side.touched.add(tenant.slug)
            done += 1
            if done % 1000 == 0 or done == len(tenants):
                spent = time.perf_counter() - started
                print(
                    f"  {side.name}: warm-up {done}/{len(tenants)} tenants, {spent:.0f} s, "
                    f"{done / spent:.1f} tenants/s",
                    flush=True,
                )

    by_lane: list[list[Tenant]] = [[] for _ in range(lanes)]
    for tenant in tenants:
        by_lane[slices.slice_of(tenant.schema) % lanes].append(tenant)
    await asyncio.gather(*(lane(mine) for mine in by_lane))


async def soak(side: Side, seconds: float, every: float, on_sample: Any = None) -> list[dict[str, Any]]:
    """Random-tenant requests (both kinds) for ``seconds`` on one side; the largest pooled
    backend's memory every ``every`` seconds, with how many requests and distinct tenants so far."""
    rng = random.Random(SEED + 1)
    samples: list[dict[str, Any]] = []
    started = last = time.perf_counter()
    served: set[str] = set()
    requests = 0
    while (now := time.perf_counter()) - started < seconds:
        tenant = rng.choice(side.tenants)
        for kind in KINDS:
            check(await request(side.client, kind, tenant), kind, tenant)
            requests += 1
        served.add(tenant.slug)
        if now - last >= every:
            last = now
            memory = await backend_memory(side.app)
            samples.append(
                {
                    "seconds": round(now - started),
                    "requests": requests,
                    "tenants_served": len(served),
                    **memory,
                }
            )
            print(
                f"  soak {now - started:4.0f} s: {requests} requests over {len(served)} tenants, "
                f"largest backend {memory['total_mb']} MB",
                flush=True,
            )
            if on_sample:
                on_sample(samples)
    side.statements.take()
    return samples


async def backend_memory(app: Any) -> dict[str, Any]:
    """Memory of the app's pooled PostgreSQL connections (every pool slice's), in MB: all of it,
    the relation and catalog caches (CacheMemoryContext and the "index info" of each cached
    index), and the prepared statements' plans; the largest connection's, and all of them added."""
    query = text(
        "SELECT sum(total_bytes), "
        "sum(total_bytes) FILTER (WHERE name IN ('CacheMemoryContext', 'index info', 'Relcache by OID')), "
        "sum(total_bytes) FILTER (WHERE name IN ('CachedPlanSource', 'CachedPlanQuery', 'CachedPlan')), "
        "(SELECT count(*) FROM pg_prepared_statements) "
        "FROM pg_backend_memory_contexts"
    )
    rows = []
    for engine in app.state.db.engines:
        pooled = engine.pool.checkedin()
        async with AsyncExitStack() as stack:
            for _ in range(pooled):
                conn = await stack.enter_async_context(engine.connect())
                rows.append((await conn.execute(query)).one())
    if not rows:
        return {
            "pooled_connections": 0,
            "total_mb": 0.0,
            "relation_caches_mb": 0.0,
            "prepared_plans_mb": 0.0,
            "prepared_statements": 0,
            "all_connections_mb": 0.0,
        }
    top = max(rows, key=lambda r: r[0] or 0)
    mb = 2**20
    return {
        "pooled_connections": len(rows),
        "total_mb": round(float(top[0] or 0) / mb, 1),
        "relation_caches_mb": round(float(top[1] or 0) / mb, 1),
        "prepared_plans_mb": round(float(top[2] or 0) / mb, 1),
        "prepared_statements": int(top[3] or 0),
        "all_connections_mb": round(sum(float(r[0] or 0) for r in rows) / mb, 1),
    }


# -- main -------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    warn_if_busy()
    result: dict[str, Any] = {
        "iterations": args.iterations,
        "warmup": WARMUP,
        "statement_cache_size": args.statement_cache_size,
        "schemas_per_connection": os.environ.get("DB_SCHEMAS_PER_CONNECTION", "default (200)"),
        "steady_warmup": args.steady_warmup,
        "pool_slices": os.environ.get("DB_POOL_SLICES", "default (1)"),
        "pool_recycle_seconds": os.environ.get("DB_POOL_RECYCLE_SECONDS", "default (1800)"),
        "databases": {},
    }
    async with AsyncExitStack() as stack:
        sides: list[Side] = []
        for database, tenants, recreate in (
            (SMALL_DB, args.small, not args.reuse),
            (args.large_db, args.large, False),
        ):
            print(f"{database}: {tenants} tenants", flush=True)
            app = await stack.enter_async_context(
                web_app(database, tenants, recreate, args.statement_cache_size)
            )
            creds = await credentials(app, database)
            print(f"  {len(creds)} tenants with a token and a session", flush=True)
            timed = Timed(app)
            transport = httpx.ASGITransport(app=timed, client=("127.0.0.1", 5000))
            client = await stack.enter_async_context(httpx.AsyncClient(transport=transport))
            sides.append(Side(database, app, creds, client, timed, Statements(app.state.db.engines)))

        def partial(*_: Any) -> None:
            write_partial(
                "request_overhead", {**result, "so_far": {side.name: side.results() for side in sides}}
            )

        await measure(sides, args.iterations, args.steady_warmup, on_variant=partial)
        for side in sides:
            async with side.app.state.db.engine.connect() as conn:
                relations = await conn.scalar(text("SELECT count(*) FROM pg_class"))
            result["databases"][side.name] = {**side.results(), "relations": relations}
        if args.soak_seconds > 0:
            print(f"soak: random tenants of {sides[-1].name} for {args.soak_seconds:.0f} s", flush=True)
            result["soak"] = await soak(
                sides[-1],
                args.soak_seconds,
                args.soak_every,
                on_sample=lambda samples: write_partial("request_overhead", {**result, "soak": samples}),
            )
    small, large = result["databases"][SMALL_DB], result["databases"][args.large_db]
    result["tenants"] = {"small": small["tenants"], "large": large["tenants"]}
    # Issue 12's measure: what a random tenant's request costs against the same database's one
    # tenant, requested in turn with it (the "one tenant" phase ran minutes earlier, and the
    # machine drifts: in one run it was 8 % slower than the same requests later on).
    result["ratios_random_to_one_tenant"] = {
        name: {
            variant: {
                kind: {
                    f"{measure}_{q}": round(
                        data[variant][kind][measure][q] / data[beside(variant)][kind][measure][q], 2
                    )
                    for measure, q in RATIOS
                }
                for kind in KINDS
            }
            for variant in VARIANTS[1:]
        }
        for name, data in result["databases"].items()
    }
    result["ratios_large_to_small"] = {
        variant: {
            kind: {
                f"{measure}_{q}": round(
                    large[variant][kind][measure][q] / small[variant][kind][measure][q], 2
                )
                for measure, q in RATIOS
            }
            for kind in KINDS
        }
        for variant in VARIANTS
    }
    return result


def report(result: dict[str, Any]) -> None:
    print()
    for data in result["databases"].values():
        for variant in REPORTED:
            for kind in KINDS:
                row = data[variant][kind]
                line = (
                    f"{data['tenants']:>5} tenants  {variant:<38} {kind:<8} p50 {row['ms']['p50']:6.2f} ms  "
                    f"p95 {row['ms']['p95']:6.2f} ms  cpu p50 {row['cpu_ms']['p50']:5.2f} ms  "
                    f"sql p50 {row['sql_ms']['p50']:5.2f} ms  "
                    f"statements {row['statements_per_request']['p50']:.0f}"
                )
                first = row["first_touch_ms"]
                if variant == "random tenant" and first:
                    line += f"  first touch p50 {first['p50']:.2f} ms (n={first['n']})"
                print(line)
            memory = data["backend_memory"].get(variant)
            if memory is None:
                continue
            print(
                f"{'':>7}after {variant}: a pooled PostgreSQL connection holds {memory['total_mb']} MB, "
                f"relation caches {memory['relation_caches_mb']} MB, "
                f"{memory['prepared_statements']} prepared statements {memory['prepared_plans_mb']} MB"
            )
    for name, variants in result["ratios_random_to_one_tenant"].items():
        for variant, kinds in variants.items():
            for kind, r in kinds.items():
                print(
                    f"{name}: {variant} / one tenant beside it, {kind:<8} p50 {r['ms_p50']:.2f}  "
                    f"p95 {r['ms_p95']:.2f}  cpu p50 {r['cpu_ms_p50']:.2f}  sql p50 {r['sql_ms_p50']:.2f}"
                )
    for sample in result.get("soak", [])[-1:]:
        print(
            f"soak: after {sample['seconds']} s, {sample['requests']} requests over "
            f"{sample['tenants_served']} tenants: largest backend {sample['total_mb']} MB "
            f"(relation caches {sample['relation_caches_mb']} MB)"
        )
    large, small = result["tenants"]["large"], result["tenants"]["small"]
    for variant, kinds in result["ratios_large_to_small"].items():
        for kind, r in kinds.items():
            print(
                f"ratio {large}/{small}, {variant:<24} {kind:<8} p50 {r['ms_p50']:.2f}  "
                f"p95 {r['ms_p95']:.2f}  cpu p50 {r['cpu_ms_p50']:.2f}  sql p50 {r['sql_ms_p50']:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500, help="timed requests of each kind per variant")
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument(
        "--large-db", default=SCALE_DB, help="the database with many tenants (kept, topped up)"
    )
    parser.add_argument("--reuse", action="store_true", help=f"keep {SMALL_DB} instead of recreating it")
    parser.add_argument(
        "--statement-cache-size",
        type=int,
        default=None,
        help="asyncpg prepared statements per connection (default: the app's setting, 500; 0: none)",
    )
    parser.add_argument(
        "--steady-warmup",
        type=int,
        default=2000,
        help="untimed random requests before 'steady' (-1: every tenant once)",
    )
    parser.add_argument(
        "--soak-seconds", type=float, default=0, help="then random tenants of the large database this long"
    )
    parser.add_argument("--soak-every", type=float, default=30, help="backend memory sampled this often")
    parser.add_argument(
        "--schemas-per-connection",
        type=int,
        default=None,
        help="DB_SCHEMAS_PER_CONNECTION for the measured apps (default: the app's, 200; 0: unbounded)",
    )
    parser.add_argument(
        "--pool-slices", type=int, default=None, help="DB_POOL_SLICES for the measured apps (default 1)"
    )
    args = parser.parse_args()
    if args.pool_slices is not None:
        os.environ["DB_POOL_SLICES"] = str(args.pool_slices)
    if args.schemas_per_connection is not None:
        os.environ["DB_SCHEMAS_PER_CONNECTION"] = str(args.schemas_per_connection)
    result = asyncio.run(run(args))
    path = write_result("request_overhead", result)
    report(result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
