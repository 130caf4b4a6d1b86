"""A customer's timeline with 5,000 events: one page (first=20), p95 (target under 50 ms).

Tenant ``bench-timeline``: one customer of the demo staff with 5,000 events spread over two years:
2,000 quick notes, 2,500 audited edits of the customer, 400 stage moves and 100 audited changes to
a contact, written in bulk (the shapes the services write). Timed as the admin (data scope all), on
a fresh tenant session each time, as a request runs it:

- ``first``: the newest page;
- ``deep``: a page after a cursor taken at a random depth (up to the 4,900th entry);
- ``notes``: the newest page of notes only (the kind filter).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from common import actor_of, bench_app, demo_tenant, machine, summary, write_result
from sqlalchemy import text

SLUG, NAME = "bench-timeline", "时间线家电（基准测试）"
EVENTS = {"note": 2000, "record": 2500, "stage": 400, "contact": 100}


async def seed(app: Any, schema: str, owner_id: uuid.UUID, label: str, email: str) -> uuid.UUID:
    """The customer with its 5,000 events (reused when it is there)."""
    db = app.state.db
    async with db.tenant_session(schema) as session:
        found = await session.scalar(
            text(f"SELECT id FROM {schema}.customers WHERE name = '时间线客户' LIMIT 1")
        )
        if found is not None:
            return found  # type: ignore[no-any-return]
    from app.customers import service as customers
    from app.customers.validation import CustomerInput

    actor = await actor_of(app, schema, email)
    async with db.tenant_session(schema) as session:
        customer = await customers.create_customer(
            session, actor, CustomerInput(name="时间线客户", kind="company")
        )
        contact_id = uuid.uuid4()
        await session.execute(
            text(
                f"INSERT INTO {schema}.contacts (id, customer_id, name, is_primary, version, custom) "
                "VALUES (:id, :c, '赵经理', true, 1, '{}')"
            ),
            {"id": contact_id, "c": customer.id},
        )
        rng = random.Random(5)
        start = datetime.now(UTC) - timedelta(days=730)

        def at() -> datetime:
            return start + timedelta(seconds=rng.randrange(730 * 86400))

        await session.execute(
            text(
                f"INSERT INTO {schema}.customer_notes (customer_id, body, mentions, attachments, version, "
                "custom, created_at, updated_at, created_by) "
                "VALUES (:c, :b, '{}', '[]', 1, '{}', :at, :at, :u)"
            ),
            [
                {"c": customer.id, "b": f"第{i}次回访：客户考虑换新空调", "at": at(), "u": owner_id}
                for i in range(EVENTS["note"])
            ],
        )
        audit = f"INSERT INTO {schema}.audit_log (at, actor_id, actor_label, entity, entity_id, action, "
        audit += "before, after) "
        audit += "VALUES (:at, :u, :l, :e, :id, :a, CAST(:b AS jsonb), CAST(:af AS jsonb))"
        rows = [
            {
                "at": at(),
                "u": owner_id,
                "l": label,
                "e": "customer",
                "id": str(customer.id),
                "a": "update",
                "b": json.dumps({"notes": f"旧{i}", "version": i}),
                "af": json.dumps({"notes": f"新{i}", "version": i + 1}),
            }
            for i in range(EVENTS["record"])
        ]
        rows += [
            {
                "at": at(),
                "u": owner_id,
                "l": label,
                "e": "contact",
                "id": str(contact_id),
                "a": "update",
                "b": json.dumps({"name": "赵经理", "title": f"旧{i}"}),
                "af": json.dumps({"name": "赵经理", "title": f"新{i}"}),
            }
            for i in range(EVENTS["contact"])
        ]
        await session.execute(text(audit), rows)
        await session.execute(
            text(
                f"INSERT INTO {schema}.stage_history (entity, record_id, workflow_version, from_state, "
                "to_state, actor_id, actor_label, at) "
                "VALUES ('customer', :c, 1, 'lead', 'interested', :u, :l, :at)"
            ),
            [{"c": customer.id, "u": owner_id, "l": label, "at": at()} for _ in range(EVENTS["stage"])],
        )
        await session.commit()
        return customer.id


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    from app.demo.generator import STAFF
    from app.timeline.service import customer_timeline

    async with bench_app() as app:
        db = app.state.db
        tenant, users = await demo_tenant(app, SLUG, NAME, STAFF[:1])
        schema, email = tenant.schema_name, STAFF[0]["email"]
        customer_id = await seed(app, schema, users[email], f"{STAFF[0]['name']} <{email}>", email)
        admin = await actor_of(app, schema, email)
        async with db.tenant_session(schema) as session:
            for table in ("customer_notes", "audit_log", "stage_history", "contacts"):
                await session.execute(text(f"ANALYZE {schema}.{table}"))
            await session.commit()
        cursors: list[str] = []
        async with db.tenant_session(schema) as session:
            after = None
            while True:
                page = await customer_timeline(session, admin, customer_id, first=100, after=after)
                if not page.has_next or len(cursors) >= 49:
                    total = page.total
                    break
                after = page.end_cursor
                cursors.append(after or "")
        rng = random.Random(7)
        timings: dict[str, list[float]] = {"first": [], "deep": [], "notes": []}
        for _run in range(args.runs):
            for kind in timings:
                async with db.tenant_session(schema) as session:
                    t0 = time.perf_counter()
                    if kind == "first":
                        await customer_timeline(session, admin, customer_id, first=20)
                    elif kind == "deep":
                        await customer_timeline(
                            session, admin, customer_id, first=20, after=rng.choice(cursors)
                        )
                    else:
                        await customer_timeline(session, admin, customer_id, first=20, kinds_wanted=["note"])
                    timings[kind].append((time.perf_counter() - t0) * 1000)
        result = {"events": sum(EVENTS.values()), "counted": total, "machine": machine()}
        for kind, values in timings.items():
            result[f"{kind}_ms"] = summary(values[10:])  # the first few warm the statement cache
            print(f"{kind}: {summary(values[10:])}", flush=True)
        write_result("timeline", result)


if __name__ == "__main__":
    asyncio.run(main())
