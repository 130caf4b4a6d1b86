"""Memory of one server under distinct large GraphQL documents (issue 6, item 5).

The probe sent 40 distinct queries carrying a 4 MB comment and the server grew from 207 to 514 MB:
the parser and validation caches kept every text, source and AST. This starts a real server
(``dealercrm serve``, one uvicorn process) on a free port against the bench database, as an
integrator with the admin's (李静) token on the small tenant ``bench-memory``, and reads the
server's resident memory (RSS) before and after:

1. the probe's attack: 40 distinct queries with a 4 MB comment (now refused with a 413 before parsing);
2. 1,000 distinct queries each just under the query-size limit (``GRAPHQL_MAX_QUERY_BYTES``,
   64 KB): accepted, parsed, validated and cached, so the cache's byte bound is what keeps the
   memory flat.

Target: RSS after within 50 MB of before.

    .venv/bin/python bench/graphql_memory.py [--queries 1000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import time
from typing import Any

import httpx
import psutil
from common import RESULTS_DIR, api_token, bench_app, demo_tenant, write_result
from graphql_list import free_port, start_server, wait_until_up

SLUG = "bench-memory"
TENANT_NAME = "内存基准（基准测试）"
TARGET_MB = 50
MB = 1024 * 1024


async def prepare() -> str:
    """The tenant with the demo staff (no customers needed) and the admin's token."""
    from app.demo.generator import STAFF

    async with bench_app() as app:
        tenant, _ = await demo_tenant(app, SLUG, TENANT_NAME)
        return await api_token(app, tenant.schema_name, SLUG, STAFF[1]["email"])


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and any children, in MB."""
    process = psutil.Process(pid)
    total = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    return round(total / MB, 1)


async def send(url: str, token: str, queries: list[str], concurrency: int) -> dict[int, int]:
    """Post every query (``concurrency`` at a time); status codes counted."""
    host = f"{SLUG}.localhost:{url.rsplit(':', 1)[-1]}"
    headers = {"Authorization": f"Bearer {token}", "Host": host}
    statuses: dict[int, int] = {}
    pending = iter(queries)

    async def worker(client: httpx.AsyncClient) -> None:
        for query in pending:
            response = await client.post("/graphql", json={"query": query})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60.0) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return statuses


def run(queries: int, concurrency: int) -> dict[str, Any]:
    from app.settings import get_settings

    token = asyncio.run(prepare())
    limit = get_settings().graphql_max_query_bytes
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = start_server(port, RESULTS_DIR / "graphql_memory-server.log")
    try:
        wait_until_up(url, server)
        # Warm up: imports, pools, the ordinary operations cached.
        asyncio.run(send(url, token, ["{ viewer { name email } }"] * 50, concurrency))
        time.sleep(1)
        before = rss_mb(server.pid)
        huge = [f"{{ viewer {{ name }} }}\n# {i} " + "x" * (4 * MB) for i in range(40)]
        huge_statuses = asyncio.run(send(url, token, huge, concurrency))
        after_huge = rss_mb(server.pid)
        near_limit = [f"{{ viewer {{ name }} }}\n# {i} " + "x" * (limit - 200) for i in range(queries)]
        started = time.perf_counter()
        large_statuses = asyncio.run(send(url, token, near_limit, concurrency))
        seconds = time.perf_counter() - started
        time.sleep(1)
        after = rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "server": "dealercrm serve (1 uvicorn process)",
        "query_limit_bytes": limit,
        "cache_bytes": get_settings().graphql_cache_bytes,
        "rss_mb_before": before,
        "huge_queries": {
            "count": 40,
            "bytes_each": 4 * MB,
            "statuses": huge_statuses,
            "rss_mb_after": after_huge,
        },
        "large_queries": {
            "count": queries,
            "bytes_each": limit - 200,
            "statuses": large_statuses,
            "seconds": round(seconds, 1),
            "rss_mb_after": after,
        },
        "rss_mb_growth": round(after - before, 1),
        "target_mb": TARGET_MB,
        "within_target": after - before <= TARGET_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    result = run(args.queries, args.concurrency)
    print(
        f"graphql_memory: RSS {result['rss_mb_before']} MB before; "
        f"{result['huge_queries']['rss_mb_after']} MB after 40 × 4 MB queries "
        f"{result['huge_queries']['statuses']}; "
        f"{result['large_queries']['rss_mb_after']} MB after {args.queries:,} distinct "
        f"{result['large_queries']['bytes_each'] // 1024} KB queries {result['large_queries']['statuses']} "
        f"({result['large_queries']['seconds']} s); growth {result['rss_mb_growth']} MB "
        f"(target ≤ {TARGET_MB} MB: {'met' if result['within_target'] else 'MISSED'})"
    )
    write_result("graphql_memory", result)
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
