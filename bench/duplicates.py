"""Duplicate control (撞单) at 200,000 customers: the likely-duplicates scan and the check a create runs.

- ``scan``: ``app.duplicates.scan.duplicate_candidates`` (same mobile, same name in the same district,
  same company name without 有限公司/brackets/spaces) as the admin (data scope all), first=100, wall time
  of each of five runs, and the same for one reason at a time;
- ``check``: the duplicate check one create or edit runs (``app.kit.duplicates.find_matches`` with the
  customer's rules: mobile incl. contacts' and addresses' phones, e-mail, company name), for 300
  mobiles and company names sampled from the table, p50/p95 in ms.

Runs on the ``bench-search`` tenant (200,000 customers, seeded on first use), brought to the head
migration first (migration 0013 adds the indexes the check reads; 0023 the covering indexes of live
customers the scan reads index-only), then ``VACUUM ANALYZE``d as autovacuum would have done after
the seed: index-only scans need the visibility map.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from common import actor_of, bench_app, ensure_search_tenant, machine, summary, write_result
from sqlalchemy import select

RUNS = 5


async def main() -> None:
    from app.customers.models import Customer
    from app.customers.service import CustomerService
    from app.demo.generator import STAFF
    from app.duplicates import scan
    from app.kit.duplicates import find_matches
    from tenancy.migrate import upgrade_tenants

    async with bench_app() as app:
        db = app.state.db
        found = await ensure_search_tenant(app)
        schema = found["tenant"].schema_name
        report = await upgrade_tenants(db.engine, [schema])
        assert report.ok, report.failed
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(f'VACUUM ANALYZE "{schema}".customers')
        admin = await actor_of(app, schema, STAFF[0]["email"])
        result: dict[str, Any] = {"customers": 200_000, "machine": machine()}

        async def timed_scan(reasons: list[str] | None) -> tuple[float, Any]:
            async with db.tenant_session(schema) as session:
                t0 = time.perf_counter()
                got = await scan.duplicate_candidates(session, admin, reasons=reasons, first=100)
                return time.perf_counter() - t0, got

        for label, reasons in (("all", None), *((r.value, [r.value]) for r in scan.DuplicateReason)):
            times, got = [], None
            for _ in range(RUNS):
                seconds, got = await timed_scan(reasons)
                times.append(seconds)
            result[f"scan_{label}_seconds"] = summary(times)
            result[f"scan_{label}_groups"] = got.groups if got else 0
            print(f"scan {label}: groups={got.groups if got else 0} seconds={summary(times)}", flush=True)

        async with db.tenant_session(schema) as session:
            sample = (
                await session.execute(
                    select(Customer.mobile, Customer.name, Customer.kind)
                    .where(Customer.mobile.is_not(None))
                    .limit(5000)
                )
            ).all()
        rng = random.Random(13)
        picks = rng.sample(sample, 300)
        check_ms = []
        for mobile, name, kind in picks:
            async with db.tenant_session(schema) as session:
                service = CustomerService(session, admin)
                values = {"mobile": mobile, "name": name, "kind": kind, "email": None}
                t0 = time.perf_counter()
                await find_matches(
                    session,
                    service.duplicate_rules,
                    values,
                    None,
                    await service.owners(),
                    service.spec.title_of,
                    Customer,
                )
                check_ms.append((time.perf_counter() - t0) * 1000)
        result["check_ms"] = summary(check_ms)
        print(f"check on create: ms={summary(check_ms)}", flush=True)
        write_result("duplicates", result)


if __name__ == "__main__":
    asyncio.run(main())
