"""Tenant provisioning: seconds per sign-up, as a dealer signing up at the base domain waits for it.

Each sign-up is ``app.platform.service.sign_up``: the registry row, a new schema created at head
from metadata and stamped, the default roles and the owner (an argon2 hash), in one transaction.
One warm-up sign-up (metadata compilation, first connections) is timed but not counted. The
tenants are dropped afterwards unless ``--keep``.

    .venv/bin/python bench/provisioning.py [--count 50] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from common import bench_app, postgres_version, run_id, summary, write_result

TARGET_MEDIAN_SECONDS = 1.0


async def run(count: int, keep: bool) -> dict[str, Any]:
    from app.demo.seed import drop_tenant
    from app.platform.service import SignUp, sign_up

    async with bench_app() as app:
        db = app.state.db
        tag = run_id()
        slugs = [f"bp-{tag}-{i}" for i in range(count + 1)]
        seconds: list[float] = []
        for i, slug in enumerate(slugs):
            data = SignUp(
                company_name=f"基准家电{i}号店",
                slug=slug,
                admin_email=f"owner{i}@{slug}.example",
                admin_password="bench-password-1",
                admin_name="王建国",
            )
            started = time.perf_counter()
            await sign_up(db.engine, data)
            seconds.append(time.perf_counter() - started)
        async with db.engine.connect() as conn:
            tenants_in_db = int(
                (await conn.exec_driver_sql("SELECT count(*) FROM public.tenants")).scalar_one()
            )
        if not keep:
            for slug in slugs:
                await drop_tenant(db, slug)
        warmup, counted = seconds[0], seconds[1:]
        stats = summary(counted)
        return {
            "postgres": await postgres_version(),
            "sign_ups": count,
            "tenants_in_database_during_run": tenants_in_db,
            "warmup_seconds": round(warmup, 3),
            "seconds_per_tenant": stats,
            "target": {
                "median_seconds_below": TARGET_MEDIAN_SECONDS,
                "met": stats["p50"] < TARGET_MEDIAN_SECONDS,
            },
            "kept": keep,
        }


def report(result: dict[str, Any]) -> None:
    s = result["seconds_per_tenant"]
    print(
        f"provisioning: {result['sign_ups']} sign-ups  median {s['p50']:.3f} s  p95 {s['p95']:.3f} s  "
        f"mean {s['mean']:.3f} s  max {s['max']:.3f} s  (warm-up {result['warmup_seconds']:.3f} s)  "
        f"target median < {TARGET_MEDIAN_SECONDS:.0f} s: {'met' if result['target']['met'] else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="sign-ups to time (after one warm-up)")
    parser.add_argument("--keep", action="store_true", help="keep the tenants instead of dropping them")
    args = parser.parse_args()
    result = asyncio.run(run(args.count, args.keep))
    path = write_result("provisioning", result)
    report(result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
