"""The stock moves with an order because its workflow's stages carry stock actions, not because of
what the stages are called: a dealer that replaces 已审批 with its own 已确认 stage keeps reserving
on approval, one that takes the action off a stage stops moving stock there. The stock is moved by
the system on behalf of the person moving the order, and the audit log says so.

The cast (crm_testkit, order_world): 张伟 sells from the 西湖门店 shop, 刘洋 approves, 李静 (admin)
edits the workflow.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from crm_testkit import TenantKit, actor
from litestar import Litestar
from order_world import fridge_order, level, open_shop, orders
from sqlalchemy import Connection, select, text

from app.audit.models import AuditRecord
from app.domain import ValidationFailed
from app.inventory.entity import INVENTORY_MOVE
from app.orders.entity import STOCK_ACTIONS, default_order_workflow
from app.workflows import service as workflows

MIGRATION = importlib.import_module("tenancy.migrations.tenant.versions.0017_workflow_entry_actions")


async def _edit_orders_workflow(
    app: Litestar, kit: TenantKit, change: Callable[[dict[str, Any]], None]
) -> int:
    """李静 (admin) saves the order workflow after ``change`` edits a copy; returns the new version."""
    async with app.state.db.tenant_session(kit.schema) as session:
        current = await workflows.current(session, "order")
        document = copy.deepcopy(current.definition.as_json())
        change(document)
        saved = await workflows.update_workflow(
            session, await actor(app, kit, "admin"), "order", document, current.version
        )
        return saved.version


def _state(document: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in document["states"] if s["key"] == key)


def _replace_approved_by_confirmed(document: dict[str, Any]) -> None:
    """The dealer's own stage 已确认 (key confirmed) takes the place of 已审批, with its moves and action."""
    approved = _state(document, "approved")
    approved.update(key="confirmed", label={"zh_CN": "已确认", "en": "Confirmed"})
    for move in document["transitions"]:
        for end in ("from", "to"):
            if move[end] == "approved":
                move[end] = "confirmed"


async def _through(sales: Any, order: Any, *stages: str) -> Any:
    for stage in stages:
        order = await sales.transition(order.id, stage, order.version)
    return order


async def test_the_default_order_workflow_carries_the_stock_actions_on_its_stages(
    app: Litestar, tenant: TenantKit
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        current = await workflows.current(session, "order")
    found = {
        s.key: stock
        for s in current.definition.states
        if (stock := [a.kind for a in s.on_enter if a.kind.startswith("stock.")])
    }
    assert found == {stage: [kind] for stage, kind in STOCK_ACTIONS.items()}


async def test_a_replaced_approval_stage_with_the_action_still_reserves(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001"])
    await _edit_orders_workflow(app, tenant, _replace_approved_by_confirmed)
    sales = await orders(app, tenant, "sales_a")
    order = await _through(sales, await sales.create(fridge_order(shop)), "submitted", "confirmed")
    assert (order.status, order.stock) == ("confirmed", "reserved")
    assert await level(app, tenant, shop.fridge, shop.shop) == (1, 1)
    order = await _through(sales, order, "shipped")
    assert (order.stock, await level(app, tenant, shop.fridge, shop.shop)) == ("shipped", (0, 0))
    await sales.session.close()


async def test_a_renamed_stage_keeps_its_stock_action(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, filters=5)
    await _edit_orders_workflow(
        app, tenant, lambda d: _state(d, "approved").update(label={"zh_CN": "主管已批", "en": "Signed off"})
    )
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.filters, "quantity": 2}]))
    order = await _through(sales, order, "submitted", "approved")
    assert (order.stock, await level(app, tenant, shop.filters, shop.shop)) == ("reserved", (5, 2))
    await sales.session.close()


async def test_without_the_reserve_action_approval_reserves_nothing_and_shipping_takes_from_the_shelf(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, filters=5)
    await _edit_orders_workflow(app, tenant, lambda d: _state(d, "approved").pop("on_enter"))
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.filters, "quantity": 2}]))
    order = await _through(sales, order, "submitted", "approved")
    assert (order.stock, await level(app, tenant, shop.filters, shop.shop)) == ("none", (5, 0))
    # Shipping still issues: straight from what is on hand, nothing having been reserved.
    order = await _through(sales, order, "shipped")
    assert (order.stock, await level(app, tenant, shop.filters, shop.shop)) == ("shipped", (3, 0))
    await sales.session.close()


async def test_without_any_stock_action_the_order_never_touches_stock(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant, filters=5)

    def strip(document: dict[str, Any]) -> None:
        for state in document["states"]:
            state.pop("on_enter", None)

    await _edit_orders_workflow(app, tenant, strip)
    sales = await orders(app, tenant, "sales_a")
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.filters, "quantity": 2}]))
    order = await _through(sales, order, "submitted", "approved", "shipped", "returned")
    assert (order.stock, await level(app, tenant, shop.filters, shop.shop)) == ("none", (5, 0))
    await sales.session.close()


async def test_the_stock_is_moved_by_the_system_on_the_salespersons_behalf(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 holds no inventory permission: the reservation his approval causes is the workflow's,
    recorded under his name as a system action."""
    shop = await open_shop(app, tenant, filters=5)
    sales = await orders(app, tenant, "sales_a")
    assert not sales.actor.can(INVENTORY_MOVE)
    order = await sales.create(fridge_order(shop, lines=[{"product_id": shop.filters, "quantity": 1}]))
    await _through(sales, order, "submitted", "approved")
    await sales.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        [reserved] = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.entity == "stock_movement", AuditRecord.action == "reserve"
                )
            )
        ).all()
        [moved] = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.entity == "order", AuditRecord.action == "transition")
            )
        ).all()[-1:]
    assert reserved.actor_id == tenant.people["sales_a"]
    assert reserved.actor_label.endswith(" · system: order→approved stock.reserve")
    # The move itself is 张伟's own, with no system mark.
    assert "system" not in moved.actor_label


async def test_stock_actions_belong_to_orders_and_unknown_kinds_are_refused(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        customer_doc = (await workflows.current(session, "customer")).definition.as_json()
        customer_doc["states"][1]["on_enter"] = [{"kind": "stock.reserve"}]
        with pytest.raises(ValidationFailed) as refused:
            await workflows.update_workflow(session, admin, "customer", customer_doc, 1)
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("states.1.on_enter.0.kind", "invalid_choice")
        ]
        await session.rollback()
        order_doc = (await workflows.current(session, "order")).definition.as_json()
        _state(order_doc, "approved")["on_enter"] = [{"kind": "stock.teleport"}]
        with pytest.raises(ValidationFailed) as refused:
            await workflows.update_workflow(session, admin, "order", order_doc, 1)
        [error] = refused.value.errors
        assert (error.field, error.code) == ("states.2.on_enter.0.kind", "invalid_choice")
        # The message lists what this entity's states may do, the stock kinds included.
        assert "stock.reserve" in error.message and "set_field" in error.message


def _run(sync_conn: Connection, schema: str, step: str) -> None:
    context = MigrationContext.configure(sync_conn, opts={"version_table_schema": schema})
    with Operations.context(context):
        getattr(MIGRATION, step)()


async def _migrate(app: Litestar, schema: str, step: str) -> None:
    async with app.state.db.engine.connect() as conn:
        await conn.run_sync(_run, schema, step)
        await conn.commit()


async def _stored(app: Litestar, schema: str) -> list[tuple[int, bool, dict[str, Any]]]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT version, is_current, definition FROM {schema}.workflows "
                "WHERE entity = 'order' ORDER BY 1"
            )
        )
        return [(r.version, r.is_current, r.definition) for r in rows]


async def test_migration_0017_gives_a_stored_order_workflow_its_stock_actions_as_a_new_version(
    app: Litestar, tenant: TenantKit
) -> None:
    """A dealer's order workflow as 0015 stored it (no entry actions, 已取消 renamed 作废) gains the
    stock actions on the stages whose keys it knows; the downgrade takes them off again."""
    before = default_order_workflow()
    for state in before["states"]:
        state.pop("on_enter", None)
    _state(before, "cancelled")["label"] = {"zh_CN": "作废", "en": "Void"}
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE {tenant.schema}.workflows SET definition = CAST(:d AS jsonb) WHERE entity = 'order'"
            ),
            {"d": __import__("json").dumps(before, ensure_ascii=False)},
        )
    await _migrate(app, tenant.schema, "upgrade")
    rows = await _stored(app, tenant.schema)
    assert [(v, current) for v, current, _d in rows] == [(1, False), (2, True)]
    upgraded = rows[-1][2]
    assert {s["key"]: s.get("on_enter") for s in upgraded["states"] if s.get("on_enter")} == {
        stage: [{"kind": kind}] for stage, kind in STOCK_ACTIONS.items()
    }
    assert _state(upgraded, "cancelled")["label"]["zh_CN"] == "作废"
    # Running it again changes nothing (no third version).
    await _migrate(app, tenant.schema, "upgrade")
    assert len(await _stored(app, tenant.schema)) == 2
    await _migrate(app, tenant.schema, "downgrade")
    rows = await _stored(app, tenant.schema)
    assert [(v, current) for v, current, _d in rows][-1] == (3, True)
    assert rows[-1][2] == before
