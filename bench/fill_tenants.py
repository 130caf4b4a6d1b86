"""Fill ``dcrm_scale`` with tenants quickly, as the set-up for issue 12's measurements at 10,000.

Not a measurement: it only brings the database to ``--tenants`` tenants, each made exactly as
``tenants_at_scale.provisioners`` makes the no-argon2 tenants (``tenancy.registry.provision_tenant``
with the sign-up's seed and one precomputed password hash), ``--workers`` processes at once, each
creating tenants one at a time on its own connection (numbers ``i`` with ``i % workers == k``).
Those already there are skipped, so an interrupted fill resumes.

Creating a tenant schema is some 250 relations of DDL, and PostgreSQL fsyncs every B-tree index
it builds: on this machine's disk that is most of the 0.5-1 s a tenant costs. ``--no-fsync`` turns
``fsync`` off on the server (``ALTER SYSTEM`` + reload) for the fill and back on at the end, even
when the fill fails: the catalog that results is the same, only written without waiting for the
disk. Use it only on a scratch server, and measure (``provisioning_at_scale.py``,
``tenants_at_scale.py``, ``request_overhead.py``) with it back on.

    .venv/bin/python bench/fill_tenants.py --tenants 10000 [--workers 2] [--no-fsync]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from typing import Any

from common import _connect, server_url, write_partial
from tenants_at_scale import SCALE_DB, open_scale_database, provisioners, slug_of, tenant_schemas


async def _set_fsync(on: bool) -> None:
    admin = await _connect(server_url())
    try:
        await admin.execute(f"ALTER SYSTEM SET fsync = {'on' if on else 'off'}")
        await admin.execute("SELECT pg_reload_conf()")
    finally:
        await admin.close()


async def _worker(k: int, workers: int, target: int, database: str, progress: Any) -> None:
    from app import security

    db = await open_scale_database(database, recreate=False)
    shared_hash = security.hash_password("scale-owner-pw-1")
    security.hash_password = lambda _password: shared_hash  # one process, one hash for every owner
    try:
        have = {slug for slug, _ in await tenant_schemas(db)}
        _, without_hash = provisioners(db)
        for i in range(k, target, workers):
            if slug_of(i) in have:
                continue
            await without_hash(i)
            with progress.get_lock():
                progress.value += 1
    finally:
        await db.dispose()


def _run_worker(k: int, workers: int, target: int, database: str, progress: Any) -> None:
    asyncio.run(_worker(k, workers, target, database, progress))


async def _count(database: str) -> int:
    db = await open_scale_database(database, recreate=False)
    try:
        return len(await tenant_schemas(db))
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=SCALE_DB)
    parser.add_argument("--no-fsync", action="store_true", help="fsync off on the server during the fill")
    args = parser.parse_args()
    before = asyncio.run(_count(args.database))
    print(f"{before} tenants in {args.database}; filling to {args.tenants} with {args.workers} workers")
    if args.no_fsync:
        asyncio.run(_set_fsync(False))
    progress = multiprocessing.Value("i", 0)
    procs = [
        multiprocessing.Process(
            target=_run_worker, args=(k, args.workers, args.tenants, args.database, progress)
        )
        for k in range(args.workers)
    ]
    started = last = time.perf_counter()
    last_count = 0
    try:
        for p in procs:
            p.start()
        while any(p.is_alive() for p in procs):
            time.sleep(5)
            now = time.perf_counter()
            if now - last >= 60:
                done = progress.value
                rate = (done - last_count) / (now - last)
                print(f"  {before + done} tenants, {now - started:.0f} s, {rate:.2f}/s", flush=True)
                write_partial("fill_tenants", {"tenants": before + done, "per_second": round(rate, 2)})
                last, last_count = now, done
    finally:
        for p in procs:
            p.join()
        if args.no_fsync:
            asyncio.run(_set_fsync(True))
    after = asyncio.run(_count(args.database))
    print(f"{after} tenants after {time.perf_counter() - started:.0f} s")
    if any(p.exitcode for p in procs):
        raise SystemExit("a worker failed")


if __name__ == "__main__":
    main()
