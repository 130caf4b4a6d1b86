"""An ERP's stock sync through ``upsert_stock_levels``, as the GraphQL mutation calls it: the first
batch sets every level through the ledger; the same batch again changes nothing at all (no ledger
line, no event, no audit record, every row "unchanged"); a later batch moves only the levels that
differ; bad rows are reported on their own while the rest go through; two rows of one batch for the
same level apply in order."""

from __future__ import annotations

import uuid
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.catalog.service import ProductService
from app.erp.upserts import upsert_products, upsert_stock_levels
from app.events.models import OutboxEvent
from app.inventory.models import StockLevel, StockMovement
from app.inventory.service import WarehouseService


async def _erp_catalog(app: Litestar, kit: TenantKit, products: int = 6) -> tuple[list[str], list[str]]:
    """``products`` counted products synced from the ERP and two warehouses, with unique ids."""
    tag = uuid.uuid4().hex[:6].upper()
    owner = await actor(app, kit, "owner")
    externals = [f"K3-{tag}-{n}" for n in range(products)]
    async with app.state.db.tenant_session(kit.schema) as session:
        done = await upsert_products(
            session,
            owner,
            [{"external_id": e, "sku": f"SKU-{e}", "name": f"同步商品{n}"} for n, e in enumerate(externals)],
        )
        assert {o.status for o in done} == {"created"}
        codes = [f"W{tag}{n}" for n in range(2)]
        for code in codes:
            await WarehouseService(session, owner).create(
                {"code": code, "name": f"仓库{code}", "kind": "shop"}
            )
    return externals, codes


async def _footprint(app: Litestar, kit: TenantKit) -> tuple[int, int, int]:
    """Ledger lines, outbox events and audit records of the tenant."""
    async with app.state.db.tenant_session(kit.schema) as session:
        return (
            int(await session.scalar(select(func.count()).select_from(StockMovement)) or 0),
            int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditRecord)) or 0),
        )


async def _sync(app: Litestar, kit: TenantKit, rows: list[dict[str, Any]]) -> list[str]:
    async with app.state.db.tenant_session(kit.schema) as session:
        outcomes = await upsert_stock_levels(session, await actor(app, kit, "owner"), rows)
    return [o.status for o in outcomes]


async def _on_hand(app: Litestar, kit: TenantKit) -> dict[tuple[str, str], int]:
    from app.erp.models import ExternalRef
    from app.inventory.models import Warehouse

    async with app.state.db.tenant_session(kit.schema) as session:
        rows = await session.execute(
            select(ExternalRef.external_id, Warehouse.code, StockLevel.on_hand)
            .join(StockLevel, StockLevel.product_id == ExternalRef.record_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(ExternalRef.entity == "product")
        )
        return {(e, c): n for e, c, n in rows.all()}


async def test_a_second_sync_of_the_same_levels_changes_nothing(app: Litestar, tenant: TenantKit) -> None:
    externals, codes = await _erp_catalog(app, tenant)
    rows: list[dict[str, Any]] = [
        {"product_external_id": e, "warehouse_code": c, "on_hand": 3 * n + w + 1}
        for n, e in enumerate(externals)
        for w, c in enumerate(codes)
    ]
    assert await _sync(app, tenant, rows) == ["updated"] * len(rows)
    after_first = await _footprint(app, tenant)
    levels = await _on_hand(app, tenant)
    assert all(levels[(r["product_external_id"], r["warehouse_code"])] == r["on_hand"] for r in rows)

    assert await _sync(app, tenant, rows) == ["unchanged"] * len(rows)
    assert await _footprint(app, tenant) == after_first  # no ledger line, event or audit record
    assert await _on_hand(app, tenant) == levels

    # A later batch: one level up, one down, the rest as they were: only those two move.
    changed = [dict(r) for r in rows]
    changed[0]["on_hand"] += 5
    changed[3]["on_hand"] = 0
    statuses = await _sync(app, tenant, changed)
    assert statuses == ["updated", "unchanged", "unchanged", "updated"] + ["unchanged"] * (len(rows) - 4)
    ledger, _, _ = await _footprint(app, tenant)
    assert ledger == after_first[0] + 2
    now = await _on_hand(app, tenant)
    assert now[(rows[0]["product_external_id"], codes[0])] == rows[0]["on_hand"] + 5
    assert now[(rows[3]["product_external_id"], codes[1])] == 0


async def test_bad_rows_are_reported_on_their_own_and_repeated_levels_apply_in_order(
    app: Litestar, tenant: TenantKit
) -> None:
    externals, codes = await _erp_catalog(app, tenant, products=2)
    rows: list[dict[str, Any]] = [
        {"product_external_id": externals[0], "warehouse_code": codes[0], "on_hand": 7},
        {"product_external_id": "NO-SUCH-ID", "warehouse_code": codes[0], "on_hand": 1},
        {"product_external_id": externals[1], "warehouse_code": "NOWHERE", "on_hand": 1},
        {"product_external_id": externals[1], "warehouse_code": codes[1], "on_hand": -2},
        {
            "product_external_id": externals[0],
            "warehouse_code": codes[0],
            "on_hand": 4,
        },  # the ERP's later count
        {"product_external_id": externals[0], "warehouse_code": codes[0], "on_hand": 4},
    ]
    async with app.state.db.tenant_session(tenant.schema) as session:
        outcomes = await upsert_stock_levels(session, await actor(app, tenant, "owner"), rows)
    assert [o.status for o in outcomes] == ["updated", "error", "error", "error", "updated", "unchanged"]
    assert [e.code for e in outcomes[1].errors] == ["unknown_product"]
    assert [e.code for e in outcomes[2].errors] == ["unknown_warehouse"]
    assert [e.code for e in outcomes[3].errors] == ["out_of_range"]
    assert (await _on_hand(app, tenant))[(externals[0], codes[0])] == 4
    # Without the repeated level, the batch again: the good row unchanged, the bad ones still reported.
    again = rows[1:]
    assert await _sync(app, tenant, again) == ["error", "error", "error", "unchanged", "unchanged"]


async def test_a_product_deleted_in_the_crm_is_unknown_to_the_stock_sync(
    app: Litestar, tenant: TenantKit
) -> None:
    externals, codes = await _erp_catalog(app, tenant, products=1)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        from app.erp.models import ExternalRef

        ref = await session.get(ExternalRef, ("product", externals[0]))
        assert ref is not None
        await ProductService(session, owner).delete(ref.record_id)
    statuses = await _sync(
        app, tenant, [{"product_external_id": externals[0], "warehouse_code": codes[0], "on_hand": 2}]
    )
    assert statuses == ["error"]
