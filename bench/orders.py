"""Concurrent order approvals on a hot product: approvals per second and zero oversell.

    .venv/bin/python bench/orders.py [--clients 20] [--orders 300] [--stock 100] [--keep]

Builds its own database (``dcrm_bench_orders``, dropped afterwards unless ``--keep``) with one
tenant signed up as new tenants are, a shop holding ``--stock`` units of one fridge, and ``--orders``
submitted orders of one fridge each for it (more orders than fridges). ``--clients`` approvers, each
on its own session and connection, take orders off a shared queue and approve them through
``OrderService.transition`` (lock the order, guards, the ledger's reserve, history, audit, commit).
Reported: approvals per second (wall time over every attempt, won or refused), the latency of each
attempt, how many won, and the invariants: exactly ``--stock`` approvals won, the level's reserved
equals its ledger and never exceeds on hand (``reports.check_levels`` finds no difference).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import common
from common import actor_of, summary, write_result

common.BENCH_DB = "dcrm_bench_orders"
SLUG = "bench-orders"
COMPANY = "订单基准家电"
OWNER = "owner@bench-orders.example"


async def _shop(app: Any, schema: str, owner: Any, orders: int, stock: int) -> tuple[Any, Any, list[Any]]:
    from app.catalog.service import ProductService
    from app.customers.service import CustomerService
    from app.inventory.service import WarehouseService
    from app.inventory.stock import StockService
    from app.orders.service import OrderService

    async with app.state.db.tenant_session(schema) as session:
        stamp = str(int(time.time()))
        product = await ProductService(session, owner).create(
            {"sku": f"HOT-{stamp}", "name": "爆款冰箱", "list_price": "3999"}
        )
        shop = await WarehouseService(session, owner).create(
            {"code": f"S{stamp}", "name": "基准门店", "kind": "shop"}
        )
        await StockService(session, owner).receive(
            product_id=product.id, warehouse_id=shop.id, quantity=stock
        )
        customer = await CustomerService(session, owner).create({"name": "基准客户"})
        service = OrderService(session, owner)
        ids = []
        for _ in range(orders):
            order = await service.create(
                {"customer_id": customer.id, "warehouse_id": shop.id, "lines": [{"product_id": product.id}]}
            )
            order = await service.transition(order.id, "submitted", order.version)
            ids.append((order.id, order.version))
    return product, shop, ids


async def run(clients: int, orders: int, stock: int) -> dict[str, Any]:
    from app.domain import ValidationFailed
    from app.inventory import reports
    from app.inventory.models import StockLevel
    from app.orders.service import OrderService

    async with common.bench_app() as app:
        tenant = await common.signed_up_tenant(app, SLUG, COMPANY, OWNER)
        schema = tenant.schema_name
        owner = await actor_of(app, schema, OWNER)
        product, shop, ids = await _shop(app, schema, owner, orders, stock)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for item in ids:
            queue.put_nowait(item)
        latencies: list[float] = []
        outcomes: dict[str, int] = {}

        async def approver() -> None:
            async with app.state.db.tenant_session(schema) as session:
                service = OrderService(session, owner)
                while True:
                    try:
                        order_id, version = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    started = time.perf_counter()
                    try:
                        await service.transition(order_id, "approved", version)
                        outcome = "approved"
                    except ValidationFailed as exc:
                        outcome = exc.errors[0].code
                    latencies.append(time.perf_counter() - started)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*[approver() for _ in range(clients)])
        wall = time.perf_counter() - started
        async with app.state.db.tenant_session(schema) as session:
            level = await session.get(StockLevel, (product.id, shop.id))
            differences = await reports.check_levels(session)
    assert level is not None
    return {
        "clients": clients,
        "orders": orders,
        "stock": stock,
        "wall_s": round(wall, 3),
        "attempts_per_s": round(orders / wall, 1),
        "approved_per_s": round(outcomes.get("approved", 0) / wall, 1),
        "outcomes": outcomes,
        "attempt_ms": summary(latencies, 1000),
        "level": {"on_hand": level.on_hand, "reserved": level.reserved},
        "ledger_differences": len(differences),
        "oversold": max(0, level.reserved - level.on_hand) + max(0, outcomes.get("approved", 0) - stock),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_orders database")
    args = parser.parse_args()

    async def go() -> dict[str, Any]:
        try:
            return await run(args.clients, args.orders, args.stock)
        finally:
            if not args.keep:
                await common.drop_bench_database()

    result = asyncio.run(go())
    path = write_result("orders", result)
    print(
        f"orders: {args.clients} clients, {args.orders} orders for {args.stock} units: "
        f"{result['attempts_per_s']} attempts/s ({result['approved_per_s']} approvals/s), "
        f"p95 {result['attempt_ms']['p95']} ms, outcomes {result['outcomes']}, "
        f"level {result['level']}, oversold {result['oversold']}, ledger differences "
        f"{result['ledger_differences']} → {path}"
    )


if __name__ == "__main__":
    main()
