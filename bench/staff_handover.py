"""A leaver's deactivation with handover (离职交接) of 5,000 customers: wall time.

    .venv/bin/python bench/staff_handover.py [--customers 5000] [--rounds 3] [--keep]

Builds its own database (``dcrm_bench_handover``, dropped afterwards unless ``--keep``) with one
tenant signed up as new tenants are, and two salespeople, 张伟 and 王芳. The demo seed's bulk path
(``app.demo.seed.top_up_customers``: search grams as the service writes them) makes
``--others`` + ``--customers`` customers (default 20,000 + 5,000); 张伟 owns ``--customers`` of them
and the owner the rest, so the handover has to find the leaver's rows among many.

Each round times ``app.staff.service.deactivate`` end to end as the owner would run it (lock the
leaver, refusals, owned counts, sessions and tokens ended, every owned entity handed over with one
UPDATE and one audit row per record, the leaver's audit record, commit); between rounds the
leaver is reactivated (not timed) and the customers go back the other way, so every round moves
``--customers`` rows.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import common
from common import actor_of, summary, write_result

common.BENCH_DB = "dcrm_bench_handover"
SLUG = "bench-handover"
COMPANY = "交接基准家电"
OWNER = "owner@bench-handover.example"
PEOPLE = (("zhang.wei@bench-handover.example", "张伟"), ("wang.fang@bench-handover.example", "王芳"))


async def _people(app: Any, schema: str) -> list[Any]:
    from app.accounts import repository as accounts_repo
    from app.accounts import service as accounts

    found = []
    async with app.state.db.tenant_session(schema) as session:
        for email, name in PEOPLE:
            user = await accounts_repo.user_by_email(session, email)
            if user is None:
                user = await accounts.create_user(
                    session, email=email, name=name, password="bench-password-9", role_key="sales"
                )
            user.is_active = True
            found.append(user.id)
        await session.commit()
    return found


async def run(customers: int, others: int, rounds: int) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    from app.customers.models import Customer
    from app.demo import seed
    from app.staff import service as staff

    async with common.bench_app() as app:
        tenant = await common.signed_up_tenant(app, SLUG, COMPANY, OWNER)
        schema = tenant.schema_name
        owner = await actor_of(app, schema, OWNER)
        zhang, wang = await _people(app, schema)
        db = app.state.db
        quiet: Any = lambda _line: None  # noqa: E731
        await seed.top_up_customers(db, schema, others + customers, [owner.user_id], seed=7, echo=quiet)
        async with db.tenant_session(schema) as session:
            # Arranging the benchmark, not measuring it: the leaver owns exactly ``customers``.
            await session.execute(update(Customer).values(owner_id=owner.user_id))
            chosen = select(Customer.id).order_by(Customer.id).limit(customers).scalar_subquery()
            await session.execute(update(Customer).where(Customer.id.in_(chosen)).values(owner_id=zhang))
            await session.commit()
            held = await session.scalar(select(func.count()).where(Customer.owner_id.in_([zhang, wang])))
        assert held == customers, f"{held} customers on the salespeople, expected {customers}"

        times: list[float] = []
        leaver, colleague = zhang, wang
        for _ in range(rounds):
            async with db.tenant_session(schema) as session:
                started = time.perf_counter()
                done = await staff.deactivate(session, owner, leaver, handover_to=colleague)
                times.append(time.perf_counter() - started)
            assert done.handed_over == {"customer": customers}, done.handed_over
            async with db.tenant_session(schema) as session:
                await staff.reactivate(session, owner, leaver)
            leaver, colleague = colleague, leaver
            print(f"  handed over {customers:,} customers in {times[-1] * 1000:.0f} ms", flush=True)
    return {
        "customers_handed_over": customers,
        "other_customers": others,
        "rounds": rounds,
        "ms": summary(times, 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--others", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_handover database")
    args = parser.parse_args()
    try:
        result = asyncio.run(run(args.customers, args.others, args.rounds))
    finally:
        if not args.keep:
            asyncio.run(common.drop_bench_database())
    path = write_result("staff_handover", result)
    ms = result["ms"]
    print(f"deactivation with handover of {args.customers:,} customers: {ms}  ({path.name})")


if __name__ == "__main__":
    main()
