"""Customer tier rules over order history: the nightly recompute's wall time and exactly-once.

One tenant ``bench-tiers`` in its own scratch database ``dcrm_bench_tiers`` with ``--customers``
customers (default 20,000; the issue's size is 200,000) and ``--orders`` orders (default 100,000; the
issue's 1,000,000), loaded by SQL (``generate_series``) spread over the last two years, 80 %
completed, 10 % cancelled, 10 % returned. Rules: silver ¥5,000 in 12 months; gold ¥20,000 and 3
orders in 12 months; vip ¥50,000, 6 orders in 12 months and the last within 60 days. Timed, with the
code the worker's cron runs (``app.tiers.service``):

1. **preview**: the counts per tier (one statement over every customer);
2. **first pass**: every customer re-rated (chunks of ``--chunk``, one transaction each; one audit
   record per change, one for the pass);
3. **same day again**: claimed already, nothing runs (exactly once per day);
4. **next day**: a full pass that changes nothing (the cost of a quiet night).

    .venv/bin/python bench/tiers.py [--customers 20000] [--orders 100000] [--chunk 5000] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import common
from common import bench_app, drop_bench_database, postgres_version, settle, signed_up_tenant, write_result

common.BENCH_DB = "dcrm_bench_tiers"
SLUG = "bench-tiers"
RULES: dict[str, Any] = {
    "silver": {"amount": "5000", "amount_months": 12},
    "gold": {"amount": "20000", "amount_months": 12, "orders": 3, "orders_months": 12},
    "vip": {"amount": "50000", "amount_months": 12, "orders": 6, "orders_months": 12, "within_days": 60},
}


async def fill(schema: str, customers: int, orders: int) -> dict[str, float]:
    conn = await common.raw_connection()
    s = '"' + schema + '"'
    timings: dict[str, float] = {}
    try:
        have = await conn.fetchval(f"SELECT count(*) FROM {s}.customers")
        if have >= customers:
            return timings
        started = time.perf_counter()
        warehouse = await conn.fetchval(
            f"INSERT INTO {s}.warehouses (id, code, name, kind, version) "
            "VALUES (gen_random_uuid(), 'BW', '基准仓', 'central', 1) RETURNING id"
        )
        await conn.execute(
            f"INSERT INTO {s}.customers (id, name, kind, status, search_grams, search_text, version, "
            "created_at) SELECT gen_random_uuid(), '客户' || g, 'individual', 'won', '{}', '', 1, "
            "now() - interval '3 years' "
            "FROM generate_series(1, $1) g",
            customers,
        )
        timings["customers_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        # Each order goes to a random customer; a skewed amount so the tiers fill unevenly.
        await conn.execute(
            f"""
            WITH c AS (SELECT id, row_number() OVER () AS n FROM {s}.customers)
            INSERT INTO {s}.orders (id, number, customer_id, warehouse_id, status, total, max_discount, paid,
                                    stock, invoice_type, search_grams, search_text, version, created_at)
            SELECT gen_random_uuid(), 'BO' || g, c.id, $2,
                   CASE WHEN g % 10 = 0 THEN 'cancelled' WHEN g % 10 = 1 THEN 'returned' ELSE 'completed' END,
                   round((500 + random() * random() * 20000)::numeric, 2), 0, 0, 'none', 'none', '{{}}', '',
                   1, now() - (random() * interval '730 days')
            FROM generate_series(1, $1) g
            JOIN c ON c.n = 1 + (hashint4(g) & 2147483647) % $3
            """,
            orders,
            warehouse,
            customers,
        )
        timings["orders_s"] = round(time.perf_counter() - started, 1)
    finally:
        await conn.close()
    await settle(schema, "customers", "orders")
    return timings


async def main(args: argparse.Namespace) -> None:
    from sqlalchemy import update

    from app.accounts.permissions import SETTINGS_MANAGE
    from app.tiers.models import TierRules
    from app.tiers.service import SYSTEM, TierService, nightly_pass

    async with bench_app() as app:
        tenant = await signed_up_tenant(app, SLUG, "等级基准家电", f"owner@{SLUG}.example")
        schema = tenant.schema_name
        loaded = await fill(schema, args.customers, args.orders)
        db = app.state.db
        admin = dataclasses.replace(SYSTEM, permissions=frozenset({SETTINGS_MANAGE}))
        result: dict[str, Any] = {
            "customers": args.customers,
            "orders": args.orders,
            "chunk": args.chunk,
            "postgres": await postgres_version(),
            "load": loaded,
        }
        async with db.tenant_session(schema) as session:
            # Rules saved switched off (nothing re-rated yet), then switched on for the night.
            await TierService(session, admin).save({"enabled": False, "rules": RULES})
            await session.execute(update(TierRules).values(enabled=True, run_on=None, run_finished_at=None))
            await session.commit()
            started = time.perf_counter()
            preview = await TierService(session, admin).preview(RULES)
            result["preview_s"] = round(time.perf_counter() - started, 2)
            result["preview"] = {p.tier: p.customers for p in preview}
        night = datetime.now(UTC)
        started = time.perf_counter()
        first = await nightly_pass(db, schema, now=night, chunk=args.chunk)
        result["first_pass_s"] = round(time.perf_counter() - started, 2)
        assert first is not None
        result["first_pass"] = {
            "customers": first.customers,
            "changed": first.changed,
            "by_tier": first.by_tier,
        }
        started = time.perf_counter()
        again = await nightly_pass(db, schema, now=night + timedelta(minutes=1), chunk=args.chunk)
        result["same_day_again"] = {"ran": again is not None, "s": round(time.perf_counter() - started, 3)}
        started = time.perf_counter()
        quiet = await nightly_pass(db, schema, now=night + timedelta(days=1), chunk=args.chunk)
        result["next_day_pass_s"] = round(time.perf_counter() - started, 2)
        assert quiet is not None
        result["next_day_changed"] = quiet.changed
        print(result, flush=True)
        print(write_result("tiers", result))
    if not args.keep:
        await drop_bench_database()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep dcrm_bench_tiers for another run")
    asyncio.run(main(parser.parse_args()))
