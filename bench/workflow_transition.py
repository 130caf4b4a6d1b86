"""A workflow transition: SQL statements and time, through the service and through GraphQL.

    .venv/bin/python bench/workflow_transition.py [--moves 300] [--keep]

Builds its own database (``dcrm_bench_wf``, dropped afterwards unless ``--keep``) with one tenant
signed up as new tenants are (default customer workflow seeded), its owner and ``--moves``
customers in 意向 (interested). The customer workflow gets a guard on 意向 → 成交 (mobile required,
and above 50,000 a manager) and two actions on entering 成交 (tier VIP, a notification), so a move
does what a configured tenant's does.

Measured, after a warm-up, one customer per move (no cache helps a later move):
- ``service``: ``transition_customer`` as the owner (lock the customer, scope, workflow, guards,
  actions, history, audit, events, commit): statements and time;
- ``graphql``: the ``transitionCustomer`` mutation of graphql/operations/TransitionCustomer.graphql
  sent by an integrator's token over ASGI (authentication, rate limit, the move, the payload with
  the stage and its history): statements and server time.
Statements are counted with SQLAlchemy's ``before_cursor_execute`` on the app's engine (BEGIN and
COMMIT are not cursor executions and are not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import common
import httpx
from common import actor_of, api_token, summary, write_result
from sqlalchemy import event

common.BENCH_DB = "dcrm_bench_wf"
SLUG = "bench-wf"
COMPANY = "流程基准家电"
OWNER = "owner@bench-wf.example"
OPERATION = (
    Path(__file__).resolve().parents[1] / "graphql" / "operations" / "TransitionCustomer.graphql"
).read_text(encoding="utf-8")


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.on = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.on:
            self.statements.append(statement)


async def _configure(app: Any, schema: str, owner: Any) -> None:
    """Guards on 意向 → 成交 and actions on entering 成交, as a tenant would set them."""
    from app.workflows import service as workflows

    async with app.state.db.tenant_session(schema) as session:
        current = await workflows.current(session, "customer")
        document = current.definition.as_json()
        for move in document["transitions"]:
            if (move["from"], move["to"]) == ("interested", "won"):
                move["guards"] = [
                    {"kind": "required", "field": "mobile"},
                    {
                        "kind": "role",
                        "role": "manager",
                        "when": {"field": "amount", "op": ">", "value": 50000},
                    },
                ]
        for state in document["states"]:
            if state["key"] == "won":
                state["on_enter"] = [
                    {"kind": "set_field", "field": "tier", "value": "vip"},
                    {"kind": "notify", "to": "owner", "text": "成交了"},
                ]
        await workflows.update_workflow(session, owner, "customer", document, current.version)


async def _customers(app: Any, schema: str, owner: Any, n: int) -> list[uuid.UUID]:
    from app.customers import service as customers
    from app.customers.validation import CustomerInput

    ids = []
    async with app.state.db.tenant_session(schema) as session:
        for i in range(n):
            created = await customers.create_customer(
                session, owner, CustomerInput(name=f"流程客户{i}", mobile=f"139{i:08d}", status="interested")
            )
            ids.append(created.id)
    return ids


async def run(moves: int) -> dict[str, Any]:
    from app.customers import service as customers

    async with common.bench_app() as app:
        tenant = await common.signed_up_tenant(app, SLUG, COMPANY, OWNER)
        schema = tenant.schema_name
        owner = await actor_of(app, schema, OWNER)
        await _configure(app, schema, owner)
        warmup = 10
        ids = await _customers(app, schema, owner, 2 * (moves + warmup))
        service_ids, graphql_ids = ids[: moves + warmup], ids[moves + warmup :]

        counter = Counter()
        engine = app.state.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            service_times, service_counts = [], []
            for n, customer_id in enumerate(service_ids):
                counter.statements.clear()
                counter.on = True
                started = time.perf_counter()
                async with app.state.db.tenant_session(schema) as session:
                    await customers.transition_customer(session, owner, customer_id, "won", 1)
                elapsed = time.perf_counter() - started
                counter.on = False
                if n >= warmup:
                    service_times.append(elapsed)
                    service_counts.append(len(counter.statements))
            service_sample = list(counter.statements)

            token = await api_token(app, schema, SLUG, OWNER)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5000)),
                base_url=f"http://{SLUG}.localhost",
                headers={"Authorization": f"Bearer {token}"},
            )
            graphql_times, graphql_counts = [], []
            for n, customer_id in enumerate(graphql_ids):
                counter.statements.clear()
                counter.on = True
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={
                        "query": OPERATION,
                        "variables": {"id": str(customer_id), "to": "won", "version": 1},
                    },
                )
                elapsed = time.perf_counter() - started
                counter.on = False
                result = response.json()["data"]["transitionCustomer"]
                assert result["__typename"] == "CustomerPayload", result
                if n >= warmup:
                    graphql_times.append(elapsed)
                    graphql_counts.append(len(counter.statements))
            graphql_sample = list(counter.statements)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
    return {
        "moves": moves,
        "service": {
            "statements": max(service_counts),
            "statements_min": min(service_counts),
            "ms": summary(service_times, 1000),
            "sample": [s.split("\n")[0][:160] for s in service_sample],
        },
        "graphql": {
            "statements": max(graphql_counts),
            "statements_min": min(graphql_counts),
            "ms": summary(graphql_times, 1000),
            "sample": [s.split("\n")[0][:160] for s in graphql_sample],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_wf database")
    args = parser.parse_args()
    asyncio.run(common.prepare_environment())
    result = asyncio.run(run(args.moves))
    path = write_result("workflow_transition", result)
    for face in ("service", "graphql"):
        r = result[face]
        print(
            f"{face:8} statements per transition: {r['statements']} (min {r['statements_min']}); "
            f"p50 {r['ms']['p50']} ms, p95 {r['ms']['p95']} ms (n={r['ms']['n']})"
        )
    print("service statements:")
    for s in result["service"]["sample"]:
        print("   ", s)
    print("graphql statements:")
    for s in result["graphql"]["sample"]:
        print("   ", s)
    print(f"written {path}")
    if not args.keep:
        asyncio.run(common.drop_bench_database())


if __name__ == "__main__":
    main()
