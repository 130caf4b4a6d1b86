"""The order list at a million orders: p50/p95/max of each way it is asked (target: p95 under 50 ms).

    .venv/bin/python bench/orders_list.py [--orders 1000000] [--customers 20000] [--queries 60] [--keep]

Builds its own database (``dcrm_bench_orders_list``, kept for the next run with ``--keep``; dropped
otherwise) with one tenant signed up as new tenants are, four salespeople, ``--customers`` customers
(the demo seed's bulk path) and ``--orders`` orders with one to three lines each, written by COPY in
the shape ``OrderService`` writes them: a number ``SO-<day>-<6 hex>`` on the order's day, the owner
being the customer's, stages spread over the order workflow (most completed), totals equal to the
lines, the search text and grams of ``OrderService.index``; three years of orders. The secondary
indexes and the last-activity trigger are off for the load (the customers' ``last_activity_at`` set
once after it), the indexes built again, then ``VACUUM ANALYZE``.

Timed, ``--queries`` times each, interleaved, as the owner (data scope all) and as a salesperson
(own orders only):

- **service**: what the admin list (``/orders``) runs: the stages, ``OrderService.page`` (the page and
  the capped count) and the names of the page's customers and warehouses;
- **graphql**: ``orders(first: 20, filter, after) { totalCount edges { node { ... lines } } }`` with the
  person's API token through the whole app in-process (ASGI, auth, strawberry).

Cases: the default list (newest first), a stage filter (``completed``: most orders; ``draft``: few),
one customer's orders, a search by a whole order number and by the six hex digits of one, and page 2
by the cursor of page 1.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import common
import httpx
from common import actor_of, api_token, summary, warn_if_busy, write_result
from sqlalchemy import event

common.BENCH_DB = "dcrm_bench_orders_list"
SLUG = "bench-orders-list"
OWNER = "owner@bench-orders-list.example"
PASSWORD = "bench-password-9"
SALES = [f"sales{n}@bench-orders-list.example" for n in range(1, 5)]
# The order workflow's stages, weighted as a dealer's book of three years would be.
STAGES = [
    ("completed", 70),
    ("delivered", 6),
    ("shipped", 4),
    ("approved", 4),
    ("submitted", 3),
    ("draft", 2),
    ("cancelled", 8),
    ("returned", 3),
]
GQL = """query($first: Int!, $after: String, $filter: OrderFilter) {
  orders(first: $first, after: $after, filter: $filter) {
    totalCount totalCountIsCapped
    pageInfo { hasNextPage endCursor }
    edges { node { id number status customerId ownerId total paid owed createdAt
                   lines { productId quantity unitPrice amount } } }
  }
}"""


async def _tenant(app: Any) -> Any:
    from app.platform.service import SignUp, sign_up
    from tenancy import registry

    async with app.state.db.engine.connect() as conn:
        existing = await registry.get_tenant(conn, SLUG)
    if existing is not None:
        return existing
    return await sign_up(
        app.state.db.engine,
        SignUp(
            company_name="百万订单家电",
            slug=SLUG,
            admin_email=OWNER,
            admin_password=PASSWORD,
            admin_name="王建国",
        ),
    )


async def _people(app: Any, schema: str) -> list[uuid.UUID]:
    from sqlalchemy import select

    from app import security
    from app.accounts import service as accounts
    from app.accounts.models import User

    shared = security.hash_password(PASSWORD)
    people = []
    async with app.state.db.tenant_session(schema) as session:
        for n, email in enumerate(SALES, 1):
            found = await session.scalar(select(User.id).where(User.email == email))
            if found is None:
                user = await accounts.create_user(
                    session,
                    email=email,
                    name=f"销售{n}",
                    password=PASSWORD,
                    role_key="sales",
                    password_hash=shared,
                )
                found = user.id
            people.append(found)
        await session.commit()
    return people


async def _load(
    app: Any, schema: str, orders: int, customers: int, people: list[uuid.UUID]
) -> dict[str, Any]:
    """Customers by the seed path, products and warehouses by SQL, orders and lines by COPY."""
    from app.demo.seed import top_up_customers
    from app.search.grams import build_document

    q = '"' + schema + '"'
    conn = await common.raw_connection()
    timings: dict[str, Any] = {}
    try:
        have = await conn.fetchval(f"SELECT count(*) FROM {q}.orders")
        if have >= orders:
            return {"reused": True, "orders": have}
        started = time.perf_counter()
        await top_up_customers(app.state.db, schema, customers, people, seed=11, echo=lambda _line: None)
        timings["customers_s"] = round(time.perf_counter() - started, 1)
        if not await conn.fetchval(f"SELECT count(*) FROM {q}.products WHERE sku LIKE 'OL-%'"):
            await conn.execute(
                f"INSERT INTO {q}.products (sku, name, kind, unit, serial_tracked, list_price, version, "
                "custom, search_grams, search_text) SELECT 'OL-' || lpad(g::text, 4, '0'), '基准商品' || g, "
                "'appliance', '台', false, 999 + g * 10, 1, '{}', '{}', '' FROM generate_series(1, 200) g"
            )
            await conn.execute(
                f"INSERT INTO {q}.warehouses (code, name, kind, version, custom) "
                "SELECT 'OLW' || g, '基准门店' || g, 'shop', 1, '{}' FROM generate_series(1, 5) g"
            )
        products = [
            (r["id"], Decimal(r["list_price"]))
            for r in await conn.fetch(f"SELECT id, list_price FROM {q}.products WHERE sku LIKE 'OL-%'")
        ]
        warehouses = [
            r["id"] for r in await conn.fetch(f"SELECT id FROM {q}.warehouses WHERE code LIKE 'OLW%'")
        ]
        book = [
            (r["id"], r["owner_id"])
            for r in await conn.fetch(f"SELECT id, owner_id FROM {q}.customers WHERE deleted_at IS NULL")
        ]
        # The secondary indexes go for the load and come back after it (a bulk load's usual way).
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 "
            "AND tablename IN ('orders', 'order_lines') AND indexname NOT LIKE 'pk_%'",
            schema,
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX {q}."{row["indexname"]}"')
        # Each COPY would recompute its customers' last activity (app.leads.activity) against an
        # orders table without its indexes: the trigger is off for the load and the column is set
        # once after it, to what the trigger gives (these customers have no follow-ups or claims).
        await conn.execute(f"ALTER TABLE {q}.orders DISABLE TRIGGER customer_activity_insert")
        started = time.perf_counter()
        rng = random.Random(orders)
        stage_keys = [k for k, _ in STAGES]
        stage_weights = [w for _, w in STAGES]
        now = datetime.now(UTC)
        span = timedelta(days=3 * 365).total_seconds()
        chunk = 50_000
        order_columns = [
            "id", "number", "customer_id", "warehouse_id", "status", "total", "max_discount", "paid",
            "stock", "invoice_type", "invoice_title", "note", "owner_id", "search_grams", "search_text",
            "version", "custom", "created_at", "created_by", "updated_at", "updated_by",
        ]  # fmt: skip
        line_columns = [
            "id", "order_id", "position", "kind", "product_id", "description", "quantity", "unit_price",
            "discount", "amount", "serial_numbers",
        ]  # fmt: skip
        numbers: set[str] = set()
        made = 0
        while made < orders:
            order_rows = []
            line_rows = []
            for _ in range(min(chunk, orders - made)):
                at = now - timedelta(seconds=rng.random() * span)
                number = f"SO-{at:%Y%m%d}-{rng.getrandbits(24):06X}"
                while number in numbers:
                    number = f"SO-{at:%Y%m%d}-{rng.getrandbits(24):06X}"
                numbers.add(number)
                customer, owner = book[rng.randrange(len(book))]
                status = rng.choices(stage_keys, stage_weights)[0]
                order_id = uuid.uuid4()
                total = Decimal("0.00")
                for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
                    product, price = products[rng.randrange(len(products))]
                    quantity = rng.choice((1, 1, 1, 2))
                    amount = price * quantity
                    total += amount
                    line_rows.append(
                        (uuid.uuid4(), order_id, position, "product", product, None, quantity, price,
                         Decimal("0.00"), amount, [])
                    )  # fmt: skip
                paid = total if status in ("completed", "delivered") else Decimal("0.00")
                doc = build_document([number, None, None])
                order_rows.append(
                    (order_id, number, customer, rng.choice(warehouses), status, total, Decimal("0.00"), paid,
                     "none", "none", None, None, owner, doc.grams, doc.text, 1, "{}", at, owner, at, owner)
                )  # fmt: skip
            await conn.copy_records_to_table(
                "orders", schema_name=schema, records=order_rows, columns=order_columns
            )
            await conn.copy_records_to_table(
                "order_lines", schema_name=schema, records=line_rows, columns=line_columns
            )
            made += len(order_rows)
            print(f"  {made:,} orders loaded", flush=True)
        timings["orders_copy_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute(f"ALTER TABLE {q}.orders ENABLE TRIGGER customer_activity_insert")
        await conn.execute(
            f"UPDATE {q}.customers c SET last_activity_at = o.at FROM (SELECT customer_id, "
            f"max(created_at) AS at FROM {q}.orders GROUP BY customer_id) o WHERE c.id = o.customer_id"
        )
        timings["indexes_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for table in ("orders", "order_lines", "customers"):
            await conn.execute(f"VACUUM ANALYZE {q}.{table}")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        timings["orders"] = await conn.fetchval(f"SELECT count(*) FROM {q}.orders")
        timings["order_lines"] = await conn.fetchval(f"SELECT count(*) FROM {q}.order_lines")
    finally:
        await conn.close()
    return timings


async def _samples(schema: str, salesperson: uuid.UUID) -> dict[str, Any]:
    """A busy customer of the salesperson, order numbers to search for (theirs), a rare stage."""
    q = '"' + schema + '"'
    conn = await common.raw_connection()
    try:
        customer = await conn.fetchval(
            f"SELECT customer_id FROM {q}.orders WHERE owner_id = $1 GROUP BY customer_id "
            "ORDER BY count(*) DESC LIMIT 1",
            salesperson,
        )
        numbers = [
            r["number"]
            for r in await conn.fetch(
                f"SELECT number FROM {q}.orders WHERE owner_id = $1 ORDER BY random() LIMIT 50", salesperson
            )
        ]
    finally:
        await conn.close()
    return {"customer": customer, "numbers": numbers}


def _cases(samples: dict[str, Any]) -> dict[str, Any]:
    """Name → a function of the query number giving (filter, whether to ask for page 2)."""
    numbers = samples["numbers"]
    customer = str(samples["customer"])
    return {
        "default": lambda i: ({}, False),
        "status_completed": lambda i: ({"status": "completed"}, False),
        "status_draft": lambda i: ({"status": "draft"}, False),
        "customer": lambda i: ({"customerId": customer}, False),
        "search_number": lambda i: ({"search": numbers[i % len(numbers)]}, False),
        "search_hex": lambda i: ({"search": numbers[i % len(numbers)][-6:]}, False),
        "page_2": lambda i: ({}, True),
    }


async def _service_call(app: Any, schema: str, who: Any, given: dict[str, Any], second: bool) -> int:
    """The admin list's work: stages, the page with its capped count, the page's names."""
    from app.orders.service import OrderService, order_conditions

    async with app.state.db.tenant_session(schema) as session:
        service = OrderService(session, who)
        await service.stages()
        conditions = order_conditions(
            customer_id=uuid.UUID(given["customerId"]) if "customerId" in given else None,
            status=given.get("status"),
            search=given.get("search"),
        )
        page = await service.page(conditions, first=20)
        if second and page.end_cursor:
            page = await service.page(conditions, first=20, after=page.end_cursor)
        await service.names(page.items)
        return len(page.items)


async def _graphql_call(client: httpx.AsyncClient, given: dict[str, Any], second: bool) -> int:
    variables: dict[str, Any] = {"first": 20, "filter": given}
    body = (await client.post("/graphql", json={"query": GQL, "variables": variables})).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    if second:
        variables["after"] = body["data"]["orders"]["pageInfo"]["endCursor"]
        body = (await client.post("/graphql", json={"query": GQL, "variables": variables})).json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
    return len(body["data"]["orders"]["edges"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"orders": args.orders, "customers": args.customers, "queries": args.queries}
    async with common.bench_app() as app:
        tenant = await _tenant(app)
        schema = tenant.schema_name
        people = await _people(app, schema)
        result["load"] = await _load(app, schema, args.orders, args.customers, people)
        print(f"  loaded: {result['load']}", flush=True)
        samples = await _samples(schema, people[0])
        cases = _cases(samples)
        roles = {"owner": OWNER, "sales": SALES[0]}
        actors = {role: await actor_of(app, schema, email) for role, email in roles.items()}
        clients = {
            role: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5000)),
                base_url=f"http://{SLUG}.localhost",
                headers={"Authorization": f"Bearer {await api_token(app, schema, SLUG, email)}"},
            )
            for role, email in roles.items()
        }
        timings: dict[str, list[float]] = {}
        rows: dict[str, int] = {}
        # For the service calls, also the time PostgreSQL took (each statement's execute, summed)
        # and this process's CPU time: on a loaded machine the wall time mostly measures the wait
        # for a core, these two show what the call itself costs.
        sql_spent: list[float] = []

        def before(conn: Any, *args: Any) -> None:
            conn.info["h7_started"] = time.perf_counter()

        def after(conn: Any, *args: Any) -> None:
            sql_spent.append(time.perf_counter() - conn.info.pop("h7_started", time.perf_counter()))

        engine = app.state.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            for i in range(args.queries + 3):  # three warm-up rounds, not counted
                for name, case in cases.items():
                    given, second = case(i)
                    for role in roles:
                        for way in ("service", "graphql"):
                            sql_spent.clear()
                            cpu = time.process_time()
                            started = time.perf_counter()
                            if way == "service":
                                found = await _service_call(app, schema, actors[role], given, second)
                            else:
                                found = await _graphql_call(clients[role], given, second)
                            elapsed = time.perf_counter() - started
                            key = f"{way}/{role}/{name}"
                            rows[key] = found
                            if i >= 3:
                                timings.setdefault(key, []).append(elapsed)
                                if way == "service":
                                    timings.setdefault(f"sql/{role}/{name}", []).append(sum(sql_spent))
                                    timings.setdefault(f"cpu/{role}/{name}", []).append(
                                        time.process_time() - cpu
                                    )
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
            for client in clients.values():
                await client.aclose()
        result["ms"] = {key: summary(values, 1000) for key, values in timings.items()}
        result["rows_on_page"] = rows
        for way in ("service", "graphql", "sql", "cpu"):
            every = [v for key, values in timings.items() if key.startswith(way + "/") for v in values]
            result[f"{way}_overall_ms"] = summary(every, 1000)
            result[f"{way}_worst_p95"] = max(
                (s["p95"], key) for key, s in result["ms"].items() if key.startswith(way + "/")
            )
        result["postgres"] = await common.postgres_version()
    return result


async def _drop_database() -> None:
    admin = await common._connect(common._with_database(common.server_url(), "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{common.BENCH_DB}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_orders_list database")
    args = parser.parse_args()
    warn_if_busy()

    async def go() -> dict[str, Any]:
        try:
            return await run(args)
        finally:
            if not args.keep:
                await _drop_database()

    result = asyncio.run(go())
    path = write_result("orders_list", result)
    print(f"{'case':42} {'p50':>8} {'p95':>8} {'max':>8}")
    for key, s in sorted(result["ms"].items()):
        print(f"{key:42} {s['p50']:8.1f} {s['p95']:8.1f} {s['max']:8.1f}")
    for way in ("service", "graphql", "sql", "cpu"):
        print(f"{way}: worst p95 {result[f'{way}_worst_p95']}; overall {result[f'{way}_overall_ms']}")
    print(f"→ {path}")


if __name__ == "__main__":
    main()
