"""ERP stock sync of 50,000 rows: wall time and rows/s, then the same rows again (nothing changes).

    .venv/bin/python bench/erp_sync.py [--products 10000] [--warehouses 5] [--batch 500] [--keep]

Builds its own database (``dcrm_bench_erp``, dropped afterwards unless ``--keep``) with one tenant
signed up as new tenants are, ``--products`` counted products known by their ERP ids (products and
their ``external_refs`` loaded by SQL, as ``upsertProducts`` would have left them) and
``--warehouses`` warehouses: products x warehouses stock rows (50,000 by default). Timed, as an
integrator sends them, ``--batch`` rows per call (at most 500):

1. **graphql, first sync**: ``upsertStockLevels`` with the owner's API token through the whole app
   in-process (ASGI, auth, strawberry); every level is new, so each call's rows are one batch
   adjustment (``StockService.set_levels``: a ledger line and the level per row, one audit record
   and one event per call);
2. **graphql, same rows again**: every row "unchanged"; counted before and after: ledger lines,
   outbox events, audit records, which must not move;
3. **service, every level changed** (+1): ``app.erp.upserts.upsert_stock_levels`` called directly,
   a batch per session, as the worker's file sync does;
4. **service, same rows again**: nothing changes, as in 2.

``--first-rows N`` sends only N rows through the first sync (1) and the changed one (3), the other
levels being set beforehand by SQL as those adjustments leave them (a ledger line and the level
each); the unchanged re-sends (2, 4) still carry every row. (Needed before the batch adjustment, when
each row was its own adjustment; 0, every row, is the default.)

Reported per run: wall seconds, the process's CPU seconds (the app's Python; the rest of the wall
time is PostgreSQL and, on a loaded box, the wait for a core), rows/s, per-call p50/p95 ms, the
outcomes and the footprint deltas.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

import common
import httpx
from common import actor_of, api_token, summary, warn_if_busy, write_result

common.BENCH_DB = "dcrm_bench_erp"
SLUG = "bench-erp"
OWNER = "owner@bench-erp.example"
GQL = """mutation($rows: [StockLevelUpsertInput!]!) {
  upsertStockLevels(input: $rows) {
    __typename
    ... on UpsertPayload { created updated unchanged failed }
    ... on ValidationError { fields { path code } }
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
            company_name="同步基准家电",
            slug=SLUG,
            admin_email=OWNER,
            admin_password="bench-password-9",
            admin_name="王建国",
        ),
    )


async def _load(schema: str, products: int, warehouses: int) -> tuple[list[str], list[str]]:
    """Products with their ERP ids and warehouses, by SQL; returns the ERP ids and the codes."""
    q = '"' + schema + '"'
    conn = await common.raw_connection()
    try:
        if not await conn.fetchval(f"SELECT count(*) FROM {q}.products WHERE sku LIKE 'ERP-%'"):
            await conn.execute(
                f"INSERT INTO {q}.products (sku, name, kind, unit, serial_tracked, version, custom, "
                "search_grams, search_text) SELECT 'ERP-' || lpad(g::text, 6, '0'), '同步商品' || g, "
                "'appliance', '台', false, 1, '{}', '{}', '' FROM generate_series(1, $1) g",
                products,
            )
            await conn.execute(
                f"INSERT INTO {q}.external_refs (entity, external_id, record_id, digest) "
                f"SELECT 'product', 'K3-' || substr(sku, 5), id, '' FROM {q}.products WHERE sku LIKE 'ERP-%'"
            )
            await conn.execute(
                f"INSERT INTO {q}.warehouses (code, name, kind, version, custom) "
                "SELECT 'E' || g, '同步仓库' || g, 'shop', 1, '{}' FROM generate_series(1, $1) g",
                warehouses,
            )
            for table in ("products", "external_refs", "warehouses"):
                await conn.execute(f"VACUUM ANALYZE {q}.{table}")
        externals = [
            r["external_id"]
            for r in await conn.fetch(
                f"SELECT external_id FROM {q}.external_refs WHERE external_id LIKE 'K3-%' "
                "ORDER BY external_id LIMIT $1",
                products,
            )
        ]
        codes = [
            r["code"]
            for r in await conn.fetch(
                f"SELECT code FROM {q}.warehouses WHERE code LIKE 'E%' ORDER BY code LIMIT $1", warehouses
            )
        ]
    finally:
        await conn.close()
    return externals, codes


async def _preload(schema: str, rows: list[dict[str, Any]]) -> None:
    """Levels set by SQL as the sync's adjustments leave them (one ledger line and the level each):
    the rows a loaded machine has no time to push through the API one adjustment at a time."""
    q = '"' + schema + '"'
    conn = await common.raw_connection()
    try:
        await conn.execute(
            f"CREATE TEMP TABLE preload AS SELECT p.id AS product_id, w.id AS warehouse_id, x.on_hand "
            "FROM unnest($1::text[], $2::text[], $3::int[]) AS x(external_id, code, on_hand) "
            f"JOIN {q}.external_refs r ON r.entity = 'product' AND r.external_id = x.external_id "
            f"JOIN {q}.products p ON p.id = r.record_id JOIN {q}.warehouses w ON w.code = x.code",
            [r["product_external_id"] for r in rows],
            [r["warehouse_code"] for r in rows],
            [r["on_hand"] for r in rows],
        )
        await conn.execute(
            f"INSERT INTO {q}.stock_movements (batch_id, kind, product_id, warehouse_id, on_hand_delta, "
            "reserved_delta) SELECT gen_random_uuid(), 'adjust', product_id, warehouse_id, on_hand, 0 "
            "FROM preload"
        )
        await conn.execute(
            f"INSERT INTO {q}.stock_levels (product_id, warehouse_id, on_hand, reserved) "
            "SELECT product_id, warehouse_id, on_hand, 0 FROM preload"
        )
        for table in ("stock_movements", "stock_levels"):
            await conn.execute(f"VACUUM ANALYZE {q}.{table}")
    finally:
        await conn.close()


async def _footprint(schema: str) -> dict[str, int]:
    q = '"' + schema + '"'
    conn = await common.raw_connection()
    try:
        row = await conn.fetchrow(
            f"SELECT (SELECT count(*) FROM {q}.stock_movements) AS ledger_lines, "
            f"(SELECT count(*) FROM {q}.outbox) AS events, "
            f"(SELECT count(*) FROM {q}.audit_log) AS audit_records"
        )
    finally:
        await conn.close()
    return dict(row)


def _batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


async def _graphql_run(client: httpx.AsyncClient, rows: list[dict[str, Any]], size: int) -> dict[str, Any]:
    outcomes = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    calls: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in _batches(rows, size):
        variables = {
            "rows": [
                {
                    "productExternalId": r["product_external_id"],
                    "warehouseCode": r["warehouse_code"],
                    "onHand": r["on_hand"],
                }
                for r in chunk
            ]
        }
        began = time.perf_counter()
        response = await client.post("/graphql", json={"query": GQL, "variables": variables})
        calls.append(time.perf_counter() - began)
        body = response.json()
        result = (body.get("data") or {}).get("upsertStockLevels") or {}
        if result.get("__typename") != "UpsertPayload":
            raise RuntimeError(f"upsertStockLevels failed: {response.status_code} {body}")
        for key in outcomes:
            outcomes[key] += result[key]
    wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 2),
        "process_cpu_s": round(time.process_time() - cpu, 2),
        "rows_per_s": round(len(rows) / wall, 1),
        "call_ms": summary(calls, 1000),
        "outcomes": outcomes,
    }


async def _service_run(
    app: Any, schema: str, owner: Any, rows: list[dict[str, Any]], size: int
) -> dict[str, Any]:
    from app.erp.upserts import upsert_stock_levels

    outcomes: dict[str, int] = {}
    calls: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in _batches(rows, size):
        began = time.perf_counter()
        async with app.state.db.tenant_session(schema) as session:
            for outcome in await upsert_stock_levels(session, owner, chunk):
                outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
        calls.append(time.perf_counter() - began)
    wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 2),
        "process_cpu_s": round(time.process_time() - cpu, 2),
        "rows_per_s": round(len(rows) / wall, 1),
        "call_ms": summary(calls, 1000),
        "outcomes": outcomes,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"products": args.products, "warehouses": args.warehouses, "batch": args.batch}
    async with common.bench_app() as app:
        tenant = await _tenant(app)
        schema = tenant.schema_name
        externals, codes = await _load(schema, args.products, args.warehouses)
        rng = random.Random(50_000)
        rows = [
            {"product_external_id": e, "warehouse_code": c, "on_hand": rng.randint(1, 60)}
            for e in externals
            for c in codes
        ]
        rng.shuffle(rows)  # an ERP's export is in its own order, not ours
        result["rows"] = len(rows)
        first = rows[: args.first_rows] if args.first_rows else rows
        rest = rows[len(first) :]
        result["first_sync_rows"] = len(first)
        if rest:
            await _preload(schema, rest)
        owner = await actor_of(app, schema, OWNER)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5000)),
            base_url=f"http://{SLUG}.localhost",
            headers={"Authorization": f"Bearer {await api_token(app, schema, SLUG, OWNER)}"},
            timeout=600,
        )
        runs: dict[str, Any] = {}
        try:
            bumped = [{**r, "on_hand": r["on_hand"] + 1} for r in first]
            for name, verb, batch_rows in (
                ("graphql_first", "graphql", first),
                ("graphql_again", "graphql", rows),
                ("service_changed", "service", bumped),
                ("service_again", "service", bumped + rest),
            ):
                before = await _footprint(schema)
                if verb == "graphql":
                    runs[name] = await _graphql_run(client, batch_rows, args.batch)
                else:
                    runs[name] = await _service_run(app, schema, owner, batch_rows, args.batch)
                after = await _footprint(schema)
                runs[name]["footprint_delta"] = {k: after[k] - before[k] for k in after}
                print(f"  {name}: {runs[name]}", flush=True)
        finally:
            await client.aclose()
        result["runs"] = runs
        result["second_run_changes_nothing"] = all(
            not any(runs[n]["footprint_delta"].values()) and runs[n]["outcomes"].get("unchanged") == len(rows)
            for n in ("graphql_again", "service_again")
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
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--warehouses", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--first-rows",
        type=int,
        default=0,
        help="send only this many rows in the first sync (the rest preloaded by SQL); 0: all",
    )
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_erp database")
    args = parser.parse_args()
    warn_if_busy()

    async def go() -> dict[str, Any]:
        try:
            return await run(args)
        finally:
            if not args.keep:
                await _drop_database()

    result = asyncio.run(go())
    path = write_result("erp_sync", result)
    for name, data in result["runs"].items():
        print(
            f"{name:16} {data['wall_s']:8.1f} s (cpu {data['process_cpu_s']:.1f} s) "
            f"{data['rows_per_s']:9.1f} rows/s  call p50 "
            f"{data['call_ms']['p50']:.0f} ms p95 {data['call_ms']['p95']:.0f} ms  {data['outcomes']} "
            f"footprint {data['footprint_delta']}"
        )
    print(f"second run changes nothing: {result['second_run_changes_nothing']} → {path}")


if __name__ == "__main__":
    main()
