"""A batch owner change of many customers (issue #9 item 7) and its undo: wall time.

    .venv/bin/python bench/batch_owner.py [--customers 2000] [--keep]

Builds its own database (``dcrm_bench_batch``, dropped afterwards unless ``--keep``) with one tenant
signed up as new tenants are and the salesperson 王芳. The demo seed's bulk path makes
``--customers`` customers owned by the owner. The owner then gives all of them to 王芳 in one
batch (``app.batches``: the job and its items, then each customer through the customer service's
update: scope, owner check, audit record, event, version), run as the worker runs it (a chunk of
500 per transaction), and undoes it the same way. The issue's size is ``--customers 50000``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import common
from common import actor_of, write_result

common.BENCH_DB = "dcrm_bench_batch"
SLUG = "bench-batch"
COMPANY = "批量基准家电"
OWNER = "owner@bench-batch.example"
SALES = "wang.fang@bench-batch.example"


async def run(customers: int) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    import app.entities  # noqa: F401  (the customers' batch target)
    from app.accounts import repository as accounts_repo
    from app.accounts import service as accounts
    from app.batches import service as batches
    from app.customers.models import Customer
    from app.demo import seed

    async with common.bench_app() as application:
        tenant = await common.signed_up_tenant(application, SLUG, COMPANY, OWNER)
        schema = tenant.schema_name
        db = application.state.db
        owner = await actor_of(application, schema, OWNER)
        async with db.tenant_session(schema) as session:
            wang = await accounts_repo.user_by_email(session, SALES)
            if wang is None:
                wang = await accounts.create_user(
                    session, email=SALES, name="王芳", password="bench-password-9", role_key="sales"
                )
            await session.commit()
            wang_id = wang.id
        quiet: Any = lambda _line: None  # noqa: E731
        await seed.top_up_customers(db, schema, customers, [owner.user_id], seed=11, echo=quiet)
        async with db.tenant_session(schema) as session:
            await session.execute(update(Customer).values(owner_id=owner.user_id))
            await session.commit()
            ids = list(
                (await session.scalars(select(Customer.id).order_by(Customer.id).limit(customers))).all()
            )

        started = time.perf_counter()
        async with db.tenant_session(schema) as session:
            job = await batches.start(
                session, owner, "customer", batches.Change("owner", owner_id=wang_id), ids=ids
            )
        recorded = time.perf_counter() - started
        async with db.tenant_session(schema) as session:
            job = await batches.run_chunks(session, owner, job.id)
        changed = time.perf_counter() - started
        assert job.done == len(ids) and not job.refused, (job.done, job.refused)
        print(f"  batch of {len(ids):,}: recorded in {recorded:.1f} s, done in {changed:.1f} s", flush=True)

        started = time.perf_counter()
        async with db.tenant_session(schema) as session:
            job = await batches.begin_undo(session, owner, job.id)
            job = await batches.run_chunks(session, owner, job.id)
        undone = time.perf_counter() - started
        assert job.undo_done == len(ids), job.undo_done
        async with db.tenant_session(schema) as session:
            back = await session.scalar(select(func.count()).where(Customer.owner_id == owner.user_id))
        assert back == len(ids), back
        print(f"  undo of {len(ids):,}: {undone:.1f} s", flush=True)
    return {
        "customers": len(ids),
        "batch_seconds": round(changed, 2),
        "batch_recorded_seconds": round(recorded, 2),
        "undo_seconds": round(undone, 2),
        "per_customer_ms": round(changed / len(ids) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_batch database")
    args = parser.parse_args()
    try:
        result = asyncio.run(run(args.customers))
    finally:
        if not args.keep:
            asyncio.run(common.drop_bench_database())
    path = write_result("batch_owner", result)
    print(
        f"batch owner change of {result['customers']:,} customers: {result['batch_seconds']} s, "
        f"undo {result['undo_seconds']} s  ({path.name})"
    )


if __name__ == "__main__":
    main()
