"""The kanban board of a pipeline with 5,000 open opportunities: server time p95 (target under 150 ms).

Tenant ``bench-kanban``: the demo staff, 500 customers and 5,000 open deals spread over the four open
stages and the salespeople, written in bulk (the shape the service writes). Timed on a fresh tenant
session each time, as the board page runs it (``OpportunityService.board`` with 50 cards per column,
then the customers' names of the cards shown):

- ``owner``: data scope all (every deal counted and summed per stage);
- ``sales``: a salesperson, data scope own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common import actor_of, bench_app, demo_tenant, machine, summary, write_result
from sqlalchemy import text

SLUG, NAME = "bench-kanban", "看板家电（基准测试）"
DEALS, CUSTOMERS = 5000, 500
OPEN = ("qualify", "needs", "proposal", "negotiation")


async def seed(app: Any, schema: str, users: dict[str, uuid.UUID], staff: list[dict[str, Any]]) -> None:
    from app.demo import seed as demo

    db = app.state.db
    async with db.tenant_session(schema) as session:
        if await session.scalar(text(f"SELECT count(*) FROM {schema}.opportunities")) >= DEALS:
            return
    owners = demo.weighted_owners(users, staff)
    await demo.top_up_customers(
        db, schema, CUSTOMERS, owners, seed=11, created_by=users[staff[0]["email"]], echo=lambda line: None
    )
    rng = random.Random(3)
    now = datetime.now(UTC)
    async with db.tenant_session(schema) as session:
        customers = list(
            (
                await session.execute(
                    text(f"SELECT id, owner_id FROM {schema}.customers WHERE owner_id IS NOT NULL")
                )
            ).all()
        )
        rows = []
        for i in range(DEALS):
            customer, owner = rng.choice(customers)
            rows.append(
                {
                    "name": f"商机{i}",
                    "t": f"商机{i}",
                    "c": customer,
                    "o": owner,
                    "s": rng.choice(OPEN),
                    "a": rng.randrange(2_000, 90_000, 100),
                    "e": date.today() + timedelta(days=rng.randint(1, 120)),
                    "at": now - timedelta(minutes=rng.randrange(60 * 24 * 90)),
                }
            )
        await session.execute(
            text(
                f"INSERT INTO {schema}.opportunities (name, customer_id, owner_id, stage, amount, "
                "expected_close, stage_entered_at, search_grams, search_text, version, custom, "
                "created_at, updated_at) "
                "VALUES (:name, :c, :o, :s, :a, :e, :at, '{}', :t, 1, '{}', :at, :at)"
            ),
            rows,
        )
        await session.execute(text(f"ANALYZE {schema}.opportunities"))
        await session.commit()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    from app.demo.generator import STAFF
    from app.opportunities.service import OpportunityService

    async with bench_app() as app:
        db = app.state.db
        tenant, users = await demo_tenant(app, SLUG, NAME)
        schema = tenant.schema_name
        await seed(app, schema, users, list(STAFF))
        sales_email = next(s["email"] for s in STAFF if s["role"] == "sales")
        viewers = {
            "owner": await actor_of(app, schema, STAFF[0]["email"]),
            "sales": await actor_of(app, schema, sales_email),
        }
        timings: dict[str, list[float]] = {k: [] for k in viewers}
        shown: dict[str, int] = {}
        for _run in range(args.runs):
            for kind, actor in viewers.items():
                async with db.tenant_session(schema) as session:
                    t0 = time.perf_counter()
                    service = OpportunityService(session, actor)
                    columns = await service.board()
                    await service.names([d for c in columns for d in c.deals])
                    timings[kind].append((time.perf_counter() - t0) * 1000)
                    shown[kind] = sum(c.count for c in columns)
        result: dict[str, Any] = {"deals": DEALS, "counted": shown, "machine": machine()}
        for kind, values in timings.items():
            result[f"{kind}_ms"] = summary(values[5:])  # the first few warm the statement cache
            print(f"{kind} ({shown[kind]} deals): {summary(values[5:])}", flush=True)
        write_result("kanban", result)


if __name__ == "__main__":
    asyncio.run(main())
