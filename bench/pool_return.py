"""The pool's return rule over many customers: wall time of one sweep and exactly-once.

One tenant ``bench-pool`` with ``--customers`` customers (default 20,000; the issue's number is
200,000) owned by four salespeople, loaded by the demo seed's bulk path (COPY) and then aged: 90 %
last touched 40 days ago (due to return under a 30-day rule), 5 % 28 days ago (due for the 3-day
warning), 5 % recently; half of them touched by a follow-up at that time (one bulk INSERT: the
triggers that keep ``customers.last_activity_at`` run once for the statement, timed), the rest only
by their creation. One general pool. An existing tenant is first migrated to head. Timed, with the
code the worker's cron job runs (``app.leads.sweeps.sweep_tenant``):

1. **one sweep**: warnings written, idle customers returned (batches of ``--batch``, one transaction
   each, every return audited and its owner notified);
2. **again**: nothing more to do (exactly-once: counts unchanged, returns 0, warnings 0).

Counted afterwards: customers without an owner, return audit records, warning and return
notifications (distinct causes). Runs in the scratch database ``dcrm_bench``.

    .venv/bin/python bench/pool_return.py [--customers 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

from common import postgres_version, prepare_environment, settle, warn_if_busy, write_result
from sqlalchemy import select, text

SLUG = "bench-pool"
PASSWORD = "bench-password-9"


async def ensure_tenant(app: Any, customers: int) -> tuple[str, list[Any], Any]:
    from app import security
    from app.accounts import service as accounts
    from app.accounts.models import User
    from app.demo.seed import top_up_customers
    from app.platform.service import SignUp, sign_up
    from tenancy.migrate import upgrade_tenants
    from tenancy.registry import get_tenant

    db = app.state.db
    async with db.engine.connect() as conn:
        tenant = await get_tenant(conn, SLUG)
    if tenant is None:
        tenant = await sign_up(
            db.engine,
            SignUp(company_name="公海基准家电", slug=SLUG, admin_email=f"owner@{SLUG}.example",
                   admin_password=PASSWORD, admin_name="王建国"),
        )  # fmt: skip
    schema = tenant.schema_name
    report = await upgrade_tenants(db.engine, [schema], concurrency=1)
    assert report.ok, report.failed
    shared = security.hash_password(PASSWORD)
    async with db.tenant_session(schema) as session:
        people = []
        for n in range(1, 5):
            email = f"sales{n}@{SLUG}.example"
            found = await session.scalar(select(User.id).where(User.email == email))
            if found is None:
                found = (
                    await accounts.create_user(
                        session,
                        email=email,
                        name=f"销售{n}",
                        password=PASSWORD,
                        role_key="sales",
                        password_hash=shared,
                    )
                ).id
            people.append(found)
        await session.commit()
    await top_up_customers(db, schema, customers, people, seed=7, echo=lambda _line: None)
    owner = await session_owner(app, schema)
    return schema, people, owner


async def session_owner(app: Any, schema: str) -> Any:
    from app.accounts import repository as accounts_repo
    from app.accounts.service import actor_for

    async with app.state.db.tenant_session(schema) as session:
        user = await accounts_repo.user_by_email(session, f"owner@{SLUG}.example")
        return actor_for(user, ip="127.0.0.1", request_id="bench")


async def arrange(app: Any, schema: str, people: list[Any], owner: Any) -> dict[str, float]:
    """Every customer owned again, aged, the pool and the rule set, no earlier sweep's traces;
    returns how long the bulk follow-ups (and their trigger) took."""
    from app.leads.pools import PoolService
    from app.leads.settings import update_lead_settings

    q = '"' + schema + '"'
    async with app.state.db.tenant_session(schema) as session:
        await session.execute(text(f"DELETE FROM {q}.pool_entries"))
        await session.execute(text(f"DELETE FROM {q}.notifications WHERE kind LIKE 'pool.%'"))
        ids = list(people)
        await session.execute(
            text(
                f"UPDATE {q}.customers "
                "SET owner_id = (CAST(:ids AS uuid[]))[1 + abs(hashtext(id::text)) % 4], "
                "created_at = now() - CASE abs(hashtext(id::text || 'a')) % 20 "
                "WHEN 0 THEN interval '2 days' WHEN 1 THEN interval '28 days' ELSE interval '40 days' END"
            ),
            {"ids": ids},
        )
        await session.execute(text(f"DELETE FROM {q}.follow_ups WHERE summary = '基准回访'"))
        await session.commit()
        started = time.perf_counter()
        added = await session.execute(
            text(
                f"INSERT INTO {q}.follow_ups (customer_id, owner_id, channel, summary, happened_at, "
                "version, custom, created_at, updated_at) "
                "SELECT id, owner_id, 'call', '基准回访', created_at, 1, '{}', now(), now() "
                f"FROM {q}.customers WHERE deleted_at IS NULL AND abs(hashtext(id::text || 'f')) % 2 = 0"
            )
        )
        await session.commit()
        timing = {"follow_ups_inserted": added.rowcount, "follow_ups_insert_s": time.perf_counter() - started}
        if not await session.scalar(text(f"SELECT count(*) FROM {q}.pools")):
            await PoolService(session, owner).create_pool("总公海")
        await update_lead_settings(session, owner, {"return_days": 30, "warn_days": 3})
    return timing


async def counts(app: Any, schema: str) -> dict[str, int]:
    q = '"' + schema + '"'
    async with app.state.db.tenant_session(schema) as session:
        row = (
            await session.execute(
                text(
                    f"SELECT (SELECT count(*) FROM {q}.customers WHERE owner_id IS NULL),"
                    f" (SELECT count(*) FROM {q}.audit_log WHERE action = 'return_to_pool'),"
                    f" (SELECT count(*) FROM {q}.notifications WHERE kind = 'pool.returned'),"
                    " (SELECT count(DISTINCT dedupe_key)"
                    f" FROM {q}.notifications WHERE kind = 'pool.returned'),"
                    f" (SELECT count(*) FROM {q}.notifications WHERE kind = 'pool.warning')"
                )
            )
        ).one()
    return dict(
        zip(("unowned", "return_audits", "returned_notes", "distinct_causes", "warnings"), row, strict=True)
    )


class _State:
    """What the sweep needs of an app: its database (no web app: only the worker's code runs)."""

    def __init__(self, found: dict[str, Any]) -> None:
        self.state = type("S", (), found)()


@contextlib.asynccontextmanager
async def services_only() -> Any:
    from app.factory import services
    from app.settings import get_settings
    from tenancy.migrate import upgrade_platform

    await prepare_environment()
    async with services(get_settings()) as found:
        await upgrade_platform(found["db"].engine)
        yield _State(found)


async def main(args: argparse.Namespace) -> None:
    warn_if_busy()
    from app.leads.sweeps import sweep_tenant

    async with services_only() as app:
        schema, people, owner = await ensure_tenant(app, args.customers)
        arranged = await arrange(app, schema, people, owner)
        await settle(schema, "customers", "follow_ups", "pool_entries")  # as autovacuum soon would
        before = await counts(app, schema)
        started = time.perf_counter()
        first = await sweep_tenant(app.state.db, schema, batch=args.batch)
        first_s = time.perf_counter() - started
        after_first = await counts(app, schema)
        started = time.perf_counter()
        again = await sweep_tenant(app.state.db, schema, batch=args.batch)
        again_s = time.perf_counter() - started
        after_again = await counts(app, schema)
        result = {
            "customers": args.customers,
            "batch": args.batch,
            "postgres": await postgres_version(),
            "arrange": {k: round(v, 2) for k, v in arranged.items()},
            "first_sweep": {"seconds": round(first_s, 2), "returned": first.returned, "warned": first.warned},
            "second_sweep": {
                "seconds": round(again_s, 2),
                "returned": again.returned,
                "warned": again.warned,
            },
            "counts_after_first": after_first,
            "counts_after_second": after_again,
            "returns_per_second": round(first.returned / first_s, 1) if first_s else None,
        }
        result["exactly_once"] = (
            again.returned == 0 and again.warned == 0 and after_first == after_again
            and after_first["return_audits"] - before["return_audits"] == first.returned
            and after_first["distinct_causes"] == after_first["returned_notes"]
        )  # fmt: skip
        print(result)
        write_result("pool_return", result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
