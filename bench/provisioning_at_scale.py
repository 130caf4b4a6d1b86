"""Provisioning throughput as schemas accumulate, with and without replacing the provisioning
connection after it has served ``DB_SCHEMAS_PER_CONNECTION`` schemas (issue 12, item 3).

A PostgreSQL backend keeps catalog caches for every relation it has created or touched; the
backend that provisions tenants creates ~50 relations per tenant, so without a bound its caches
grow with every sign-up and each sign-up gets slower (7.15/s at ~1,000 schemas, 4.02/s at ~9,000
before the fix). Here tenants are created one at a time, alternately through two engines on the
same database: **bounded** (the app's engine: its connection is replaced after serving
``--schemas-per-connection`` schemas) and **unbounded** (the same engine with that off, only the
30-minute recycle, as before). Both see the same catalog and the same machine load at every
moment, so their difference is the connection's own caches. Tenants go through
``tenancy.registry.provision_tenant`` with the sign-up's seed and a password hash computed once
(``tenants_at_scale.provisioners``: argon2 is a constant ~0.1-0.3 s of CPU per sign-up that would
only hide the database's share). Reported per window of ``--window`` tenants: each engine's
tenants per second and median seconds, and the memory of its backend. Partial results are written
after every window to ``bench/results/provisioning_at_scale-partial.json``.

The tenants are those of ``tenants_at_scale.py`` (``scale-00000``...), in ``--database``, so
``request_overhead.py --large-db`` can use them afterwards.

    .venv/bin/python bench/provisioning_at_scale.py [--tenants 2500] [--database dcrm_scale] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from common import summary, warn_if_busy, write_partial, write_result
from sqlalchemy import text
from tenants_at_scale import SCALE_DB, open_scale_database, provisioners, tenant_schemas

MEMORY = text("SELECT sum(total_bytes) FROM pg_backend_memory_contexts")


async def backend_mb(db: Any) -> float:
    async with db.engine.connect() as conn:
        return round(float(await conn.scalar(MEMORY) or 0) / 2**20, 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from app.db import Database

    warn_if_busy()
    bounded = await open_scale_database(args.database, recreate=not args.reuse)
    unbounded = Database(
        bounded.engine.url.render_as_string(hide_password=False), pool_size=2, schemas_per_connection=0
    )
    await bounded.dispose()
    bounded = Database(
        unbounded.engine.url.render_as_string(hide_password=False),
        pool_size=2,
        schemas_per_connection=args.schemas_per_connection,
    )
    engines = {"bounded": bounded, "unbounded": unbounded}
    makers = {name: provisioners(db)[1] for name, db in engines.items()}
    have = len(await tenant_schemas(bounded))
    result: dict[str, Any] = {
        "database": args.database,
        "tenants_before": have,
        "schemas_per_connection": args.schemas_per_connection,
        "windows": [],
    }
    print(f"provisioning {have} -> {args.tenants}, alternating bounded / unbounded", flush=True)
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    started = time.perf_counter()
    try:
        for i in range(have, args.tenants):
            name = "bounded" if i % 2 == 0 else "unbounded"
            t0 = time.perf_counter()
            await makers[name](i)
            seconds[name].append(time.perf_counter() - t0)
            if (i + 1 - have) % args.window == 0 or i + 1 == args.tenants:
                row: dict[str, Any] = {"tenants_after": i + 1}
                for engine_name, db in engines.items():
                    sample = seconds[engine_name]
                    row[engine_name] = {
                        "tenants_per_second": round(1 / statistics.fmean(sample), 2) if sample else None,
                        "seconds": summary(sample) if sample else None,
                        "backend_mb": await backend_mb(db),
                    }
                    seconds[engine_name] = []
                result["windows"].append(row)
                write_partial("provisioning_at_scale", result)
                b, u = row["bounded"], row["unbounded"]
                print(
                    f"  {i + 1:>6} tenants, {time.perf_counter() - started:5.0f} s: bounded "
                    f"{b['tenants_per_second']}/s ({b['backend_mb']} MB), unbounded "
                    f"{u['tenants_per_second']}/s ({u['backend_mb']} MB)",
                    flush=True,
                )
    finally:
        for db in engines.values():
            await db.dispose()
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    windows = result["windows"]
    if len(windows) >= 2:
        first, last = windows[0], windows[-1]
        result["last_to_first_window"] = {
            name: round(last[name]["tenants_per_second"] / first[name]["tenants_per_second"], 2)
            for name in engines
            if first[name]["tenants_per_second"] and last[name]["tenants_per_second"]
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2500)
    parser.add_argument("--database", default=SCALE_DB)
    parser.add_argument("--reuse", action="store_true", help="keep the database's tenants and top up")
    parser.add_argument("--window", type=int, default=250)
    parser.add_argument("--schemas-per-connection", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    path = write_result("provisioning_at_scale", result)
    print(f"last window / first window, tenants per second: {result.get('last_to_first_window')}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
