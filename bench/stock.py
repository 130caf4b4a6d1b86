"""Stock levels for 10,000 products x 5 warehouses: p95 of the reads, the ledger check, and
concurrent issues of a hot product (issues/s, zero oversell).

    .venv/bin/python bench/stock.py [--products 10000] [--warehouses 5] [--clients 20] [--keep]

Builds its own database (``dcrm_bench_stock``, dropped afterwards unless ``--keep``) with one tenant
signed up as new tenants are, ``--products`` products and ``--warehouses`` warehouses, and one
receipt ledger line per product and warehouse (levels maintained as the service does), a fifth of
them with a low-stock threshold and a few weeks of shipments for the replenishment demand. Loaded
by SQL in bulk (the verbs' cost is the hot-product part below). Measured through the services:

- ``levels`` of one warehouse, 50 a page, walking pages by cursor (the admin's stock page);
- ``levels`` of one product across warehouses (the product page, GraphQL ``stockLevels``);
- the low-stock list of one warehouse; replenishment suggestions of one warehouse;
- ``check_levels`` over the whole tenant (``dealercrm stock check``);
- ``--clients`` clerks issuing one unit each of a product with 100 in stock, 300 attempts: issues/s,
  exactly 100 won, the level equals its ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

import common
from common import actor_of, summary, write_result

common.BENCH_DB = "dcrm_bench_stock"
SLUG = "bench-stock"
COMPANY = "库存基准家电"
OWNER = "owner@bench-stock.example"


async def _load(app: Any, schema: str, products: int, warehouses: int) -> list[uuid.UUID]:
    """Products, warehouses, one receipt per level and some shipments, in bulk SQL."""
    from sqlalchemy import text

    q = '"' + schema + '"'
    async with app.state.db.engine.begin() as conn:
        have = (await conn.execute(text(f"SELECT count(*) FROM {q}.products WHERE sku LIKE 'B-%'"))).scalar()
        if have and have >= products:
            rows = await conn.execute(
                text(f"SELECT id FROM {q}.warehouses WHERE code LIKE 'BW%' ORDER BY code")
            )
            return [r[0] for r in rows]
        await conn.execute(
            text(
                f"INSERT INTO {q}.products (sku, name, kind, unit, serial_tracked, version, custom, "
                "search_grams, search_text) SELECT 'B-' || lpad(g::text, 6, '0'), '基准商品' || g, "
                "'appliance', "
                "'台', false, 1, '{}', '{}', '' FROM generate_series(1, :n) g"
            ),
            {"n": products},
        )
        await conn.execute(
            text(
                f"INSERT INTO {q}.warehouses (code, name, kind, version, custom) "
                "SELECT 'BW' || g, '基准仓库' || g, CASE WHEN g = 1 THEN 'central' ELSE 'shop' END, 1, '{}' "
                "FROM generate_series(1, :n) g"
            ),
            {"n": warehouses},
        )
        # One receipt per level (10..59 units), then shipments over the last 30 days.
        await conn.execute(
            text(
                f"INSERT INTO {q}.stock_movements (batch_id, kind, product_id, warehouse_id, on_hand_delta, "
                "reserved_delta) SELECT gen_random_uuid(), 'receive', p.id, w.id, "
                "10 + (hashtext(p.sku || w.code) "
                f"& 49), 0 FROM {q}.products p CROSS JOIN {q}.warehouses w WHERE p.sku LIKE 'B-%'"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO {q}.stock_movements (batch_id, at, kind, product_id, warehouse_id, "
                "on_hand_delta, reserved_delta) SELECT gen_random_uuid(), now() - (s || ' days')::interval, "
                "'ship', p.id, w.id, "
                f"-1, 0 FROM {q}.products p CROSS JOIN {q}.warehouses w CROSS JOIN generate_series(1, 6) s "
                "WHERE p.sku LIKE 'B-%' AND (hashtext(p.sku) & 3) = 0"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO {q}.stock_levels (product_id, warehouse_id, on_hand, reserved, "
                "low_stock_threshold) "
                "SELECT product_id, warehouse_id, sum(on_hand_delta), sum(reserved_delta), "
                "CASE WHEN (hashtext(product_id::text) % 5) = 0 THEN 40 END "
                f"FROM {q}.stock_movements GROUP BY product_id, warehouse_id"
            )
        )
        await conn.execute(text(f"ANALYZE {q}.stock_levels"))
        await conn.execute(text(f"ANALYZE {q}.stock_movements"))
        await conn.execute(text(f"ANALYZE {q}.products"))
        rows = await conn.execute(text(f"SELECT id FROM {q}.warehouses WHERE code LIKE 'BW%' ORDER BY code"))
        return [r[0] for r in rows]


async def _timed(fn: Any, times: int) -> dict[str, float]:
    latencies = []
    for _ in range(times):
        started = time.perf_counter()
        await fn()
        latencies.append(time.perf_counter() - started)
    return summary(latencies, 1000)


async def run(products: int, warehouses: int, clients: int) -> dict[str, Any]:
    from sqlalchemy import select

    from app.catalog.models import Product
    from app.catalog.service import ProductService
    from app.domain import ValidationFailed
    from app.inventory import reports
    from app.inventory.models import StockLevel
    from app.inventory.stock import StockService

    result: dict[str, Any] = {"products": products, "warehouses": warehouses}
    async with common.bench_app() as app:
        tenant = await common.signed_up_tenant(app, SLUG, COMPANY, OWNER)
        schema = tenant.schema_name
        owner = await actor_of(app, schema, OWNER)
        started = time.perf_counter()
        stores = await _load(app, schema, products, warehouses)
        result["load_s"] = round(time.perf_counter() - started, 1)
        async with app.state.db.tenant_session(schema) as session:
            sample = list(
                (
                    await session.scalars(
                        select(Product.id).where(Product.sku.like("B-%")).order_by(Product.sku)
                    )
                ).all()
            )[:: max(1, products // 200)]
            shop = stores[-1]
            cursors: list[str | None] = [None]

            async def warehouse_page() -> None:
                page = await reports.levels(session, owner, warehouse_id=shop, first=50, after=cursors[-1])
                cursors.append(page.end_cursor if page.has_next else None)

            result["levels_of_a_warehouse_page_ms"] = await _timed(warehouse_page, 200)
            it = iter(sample * 2)

            async def product_levels() -> None:
                await reports.levels(session, owner, product_id=next(it), first=50)

            result["levels_of_a_product_ms"] = await _timed(product_levels, 200)

            async def low() -> None:
                await reports.low_stock(session, owner, warehouse_id=shop)

            result["low_stock_list_ms"] = await _timed(low, 30)

            async def replenish() -> None:
                await reports.replenishment(session, owner, warehouse_id=shop)

            result["replenishment_one_warehouse_ms"] = await _timed(replenish, 10)
            started = time.perf_counter()
            differences = await reports.check_levels(session)
            result["check_levels_s"] = round(time.perf_counter() - started, 2)
            result["check_differences"] = len(differences)

        # The hot product: 100 in stock, 300 issue attempts from --clients clerks.
        async with app.state.db.tenant_session(schema) as session:
            stamp = str(int(time.time()))
            hot = await ProductService(session, owner).create({"sku": f"HOT-{stamp}", "name": "爆款滤芯"})
            hot_id = hot.id
            await StockService(session, owner).receive(product_id=hot_id, warehouse_id=shop, quantity=100)
        attempts = asyncio.Queue[int]()
        for i in range(300):
            attempts.put_nowait(i)
        outcomes: dict[str, int] = {}
        latencies: list[float] = []

        async def clerk() -> None:
            async with app.state.db.tenant_session(schema) as session:
                service = StockService(session, owner)
                while True:
                    try:
                        attempts.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    began = time.perf_counter()
                    try:
                        await service.issue(product_id=hot_id, warehouse_id=shop, quantity=1)
                        outcome = "issued"
                    except ValidationFailed as exc:
                        outcome = exc.errors[0].code
                    latencies.append(time.perf_counter() - began)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*[clerk() for _ in range(clients)])
        wall = time.perf_counter() - began
        async with app.state.db.tenant_session(schema) as session:
            level = await session.get(StockLevel, (hot_id, shop))
            assert level is not None
            after = await reports.check_levels(session)
        result["hot_product"] = {
            "clients": clients,
            "attempts": 300,
            "stock": 100,
            "wall_s": round(wall, 3),
            "attempts_per_s": round(300 / wall, 1),
            "issues_per_s": round(outcomes.get("issued", 0) / wall, 1),
            "attempt_ms": summary(latencies, 1000),
            "outcomes": outcomes,
            "on_hand_after": level.on_hand,
            "oversold": max(0, outcomes.get("issued", 0) - 100),
            "ledger_differences": len(after),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--warehouses", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_stock database")
    args = parser.parse_args()

    async def go() -> dict[str, Any]:
        try:
            return await run(args.products, args.warehouses, args.clients)
        finally:
            if not args.keep:
                await common.drop_bench_database()

    result = asyncio.run(go())
    path = write_result("stock", result)
    hot = result["hot_product"]
    print(
        f"stock: {args.products} products x {args.warehouses} warehouses (loaded in {result['load_s']} s); "
        f"warehouse page p95 {result['levels_of_a_warehouse_page_ms']['p95']} ms, product levels p95 "
        f"{result['levels_of_a_product_ms']['p95']} ms, low-stock list p95 "
        f"{result['low_stock_list_ms']['p95']} ms, replenishment p95 "
        f"{result['replenishment_one_warehouse_ms']['p95']} ms, check {result['check_levels_s']} s "
        f"({result['check_differences']} differences); hot product: {hot['issues_per_s']} issues/s, "
        f"{hot['attempts_per_s']} attempts/s, p95 {hot['attempt_ms']['p95']} ms, {hot['outcomes']}, "
        f"oversold {hot['oversold']}, ledger differences {hot['ledger_differences']} → {path}"
    )


if __name__ == "__main__":
    main()
