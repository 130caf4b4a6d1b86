"""GraphQL list of customers with owner and tags: SQL statements per request, and requests per second.

Two measurements on the 200,000-customer tenant ``bench-search`` (seeded by ``bench/search.py`` or
here on first use), as an integrator with the admin's (李静) personal access token:

1. Statements per request for ``customers(first: N)`` with N = 10, 50, 100, counted in-process
   with a ``before_cursor_execute`` listener on the app's engine. Owners and tags must come from
   batched loaders, so the count must not grow with N (no N+1).
2. Throughput for N = 50: a real server (``dealercrm serve``, one uvicorn process) on a free port,
   driven by an async httpx load generator in a separate process (this file with ``--load``)
   holding 8 concurrent connections for 10 seconds after a 2-second warm-up. On this 2-core
   machine the server and the load generator share the cores, as they would not in production.

    .venv/bin/python bench/graphql_list.py [--seconds 10] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import (
    RESULTS_DIR,
    SEARCH_CUSTOMERS,
    SEARCH_SLUG,
    api_token,
    bench_app,
    ensure_search_tenant,
    postgres_version,
    query_has_field,
    summary,
    write_result,
)
from sqlalchemy import event

ADMIN = "admin@demo.example"
PAGE_SIZES = (10, 50, 100)
LOAD_PAGE_SIZE = 50
CPU_SAMPLES = 20
GQL_LIST = """
query CustomerList($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node { id name mobile owner { name } tags } }
  }
}
"""


# -- 1. statements per request ---------------------------------------------------------------------


async def count_statements(app: Any, token: str) -> dict[str, Any]:
    """SQL statements the app sends for one list request, per page size (after a warm-up request)."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append(" ".join(statement.split())[:120])

    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5000)),
        base_url=f"http://{SEARCH_SLUG}.localhost",
        headers={"Authorization": f"Bearer {token}"},
    )
    engine = app.state.db.engine.sync_engine
    payload: dict[str, Any] = {"query": GQL_LIST}
    per_size: dict[int, int] = {}
    repeats: dict[int, list[int]] = {}
    cpu_ms: dict[int, float] = {}
    statements: dict[int, list[str]] = {}
    try:
        for first in PAGE_SIZES:
            payload["variables"] = {"first": first}
            counts: list[int] = []
            for _ in range(3):  # the first request of a size warms caches; the repeats must agree
                seen.clear()
                event.listen(engine, "before_cursor_execute", count)
                try:
                    response = await client.post("/graphql", json=payload)
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"GraphQL list failed: {response.status_code} {body}")
                edges = body["data"]["customers"]["edges"]
                assert len(edges) == first, (first, len(edges))
                counts.append(len(seen))
            per_size[first], repeats[first], statements[first] = counts[-1], counts, list(seen)
            # CPU time of this process per request (app and in-process client), which does not
            # depend on other work competing for the cores the way wall-clock time does.
            started = time.process_time()
            for _ in range(CPU_SAMPLES):
                await client.post("/graphql", json=payload)
            cpu_ms[first] = round((time.process_time() - started) / CPU_SAMPLES * 1000, 2)
    finally:
        await client.aclose()
    return {
        "statements_per_request": per_size,
        "statements_per_repeat": repeats,
        # The first request of each size may warm a cache (one more read); the repeats may not differ.
        "grows_with_page_size": len({n for counts in repeats.values() for n in counts[1:]}) > 1,
        "statements_for_50": statements[LOAD_PAGE_SIZE],
        "app_cpu_ms_per_request": cpu_ms,
    }


# -- 2. requests per second --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost", "SENTRY_DSN": ""}
    log = log_path.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start in time")


def run_load(url: str, token: str, concurrency: int, seconds: float, warmup: float) -> dict[str, Any]:
    """Run this file's load generator in its own process and return what it measured."""
    command = [
        sys.executable,
        __file__,
        "--load",
        url,
        "--token",
        token,
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + warmup + 120)
    return json.loads(done.stdout.strip().splitlines()[-1])


async def load(url: str, token: str, concurrency: int, seconds: float, warmup: float) -> dict[str, Any]:
    """``concurrency`` clients posting the list query back to back; latencies of the timed window."""
    host = f"{SEARCH_SLUG}.localhost:{url.rsplit(':', 1)[-1]}"
    payload = {"query": GQL_LIST, "variables": {"first": LOAD_PAGE_SIZE}}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    window: dict[str, float] = {}

    async def client_loop(client: httpx.AsyncClient, stop_at: float, record: bool) -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", json=payload)
                ok = response.status_code == 200 and "errors" not in response.json()
                reason = "" if ok else f"HTTP {response.status_code}: {response.text[:120]}"
            except httpx.HTTPError as exc:
                ok, reason = False, type(exc).__name__
            if record:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[reason] = errors.get(reason, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}", "Host": host}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0) as client:
        stop = time.perf_counter() + warmup
        await asyncio.gather(*(client_loop(client, stop, False) for _ in range(concurrency)))
        window["start"] = time.perf_counter()
        stop = window["start"] + seconds
        await asyncio.gather(*(client_loop(client, stop, True) for _ in range(concurrency)))
        window["end"] = time.perf_counter()
    elapsed = window["end"] - window["start"]
    return {
        "page_size": LOAD_PAGE_SIZE,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": summary(latencies, 1000) if latencies else None,
    }


# -- the benchmark -------------------------------------------------------------------------------------


async def prepare() -> dict[str, Any]:
    """Seed or reuse the tenant, count statements in-process, and mint the load generator's token."""
    async with bench_app() as app:
        if not query_has_field("customers"):
            return {"skipped": "Query.customers is not in the GraphQL schema yet"}
        print(f"graphql_list: tenant {SEARCH_SLUG} with {SEARCH_CUSTOMERS:,} customers (seeded on first use)")
        built = await ensure_search_tenant(app)
        schema = built["tenant"].schema_name
        token = await api_token(app, schema, SEARCH_SLUG, ADMIN)
        counted = await count_statements(app, token)
        async with app.state.db.engine.connect() as conn:
            customers = int(
                (await conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}".customers')).scalar_one()
            )
        return {"token": token, "customers": customers, **counted, "postgres": await postgres_version()}


def run(concurrency: int, seconds: float, warmup: float) -> dict[str, Any]:
    prepared = asyncio.run(prepare())
    if "skipped" in prepared:
        return prepared
    token = prepared.pop("token")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = start_server(port, RESULTS_DIR / "graphql_list-server.log")
    try:
        wait_until_up(url, server)
        measured = run_load(url, token, concurrency, seconds, warmup)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {**prepared, "load": measured, "server": "dealercrm serve (1 uvicorn process)"}


def report(result: dict[str, Any]) -> None:
    if "skipped" in result:
        print(f"graphql_list: skipped: {result['skipped']}")
        return
    per_size = result["statements_per_request"]
    sizes = "  ".join(f"N={n}: {count}" for n, count in per_size.items())
    verdict = "GROWS with N" if result["grows_with_page_size"] else "constant"
    print(f"graphql_list: SQL statements per request  {sizes}  ({verdict})")
    cpu = "  ".join(f"N={n}: {ms:.1f}" for n, ms in result["app_cpu_ms_per_request"].items())
    print(f"  app CPU ms per request (in-process)  {cpu}")
    done = result["load"]
    latency = done["latency_ms"] or {}
    print(
        f"  N={done['page_size']}, {done['concurrency']} connections, {done['seconds']} s: "
        f"{done['requests_per_second']} requests/s  p50 {latency.get('p50', float('nan')):.1f} ms  "
        f"p95 {latency.get('p95', float('nan')):.1f} ms  errors {sum(done['errors'].values())}"
    )
    for reason, times in done["errors"].items():
        print(f"    {times} x {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the load generator process
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(
            json.dumps(asyncio.run(load(args.load, args.token, args.concurrency, args.seconds, args.warmup)))
        )
        return
    result = run(args.concurrency, args.seconds, args.warmup)
    path = write_result("graphql_list", result)
    report(result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
