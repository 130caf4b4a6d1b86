"""Entry actions in the workflow editor, as 李静 (the dealer's admin) uses it: she adds, removes and
reorders what happens when an order enters a stage, from the engine's kinds and those the orders
module registers (the stock moves); a bad action is refused beside it and nothing is saved; every
save is audited; a customer's workflow is offered no stock actions."""

from __future__ import annotations

from typing import Any

from crm_testkit import TenantKit, logged_in
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.workflows import service as workflows


async def _current(app: Litestar, kit: TenantKit, entity: str = "order") -> workflows.CurrentWorkflow:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await workflows.current(session, entity)


def _form(current: workflows.CurrentWorkflow) -> dict[str, str]:
    """The editor's form as the page fills it in, entry actions included."""
    form = {"version": str(current.version), "actions_shown": "1"}
    for i, state in enumerate(current.definition.states):
        form |= {
            f"s{i}_zh": state.label["zh_CN"],
            f"s{i}_en": state.label.get("en", ""),
            f"s{i}_category": state.category,
            f"s{i}_order": str(i + 1),
        }
        for j, action in enumerate(state.on_enter):
            p = f"a:{state.key}:{j}:"
            form[p + "order"] = str(j + 1)
            params = {
                "field": action.field,
                "value": action.value,
                "to": action.to,
                "text": action.text,
                "due": action.due_in_days,
                "topic": action.topic,
            }
            form |= {p + name: str(value) for name, value in params.items() if value is not None}
    for move in current.definition.transitions:
        form[f"m:{move.source}:{move.target}"] = "1"
    return form


def _kinds(current: workflows.CurrentWorkflow, stage: str) -> list[str]:
    state = current.definition.state(stage)
    assert state is not None
    return [a.kind for a in state.on_enter]


async def test_the_admin_adds_a_notification_before_shipping_and_takes_the_reservation_off(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await logged_in(app, tenant, "admin")
    page = await admin.get("/workflows/order")
    assert page.status_code == 200
    # The order workflow's stock actions are listed under their stages, by name.
    assert all(text in page.text for text in ("进入阶段时", "预留订单库存", "订单出库"))
    before = await _current(app, tenant)
    form = _form(before)
    form |= {
        "a:shipped:new:kind": "notify",
        "a:shipped:new:to": "owner",
        "a:shipped:new:text": "订单已发货，请联系客户约送货",
        "a:shipped:new:order": "1",  # before the stock leaves
        "a:approved:0:remove": "1",
    }
    saved = await admin.post_form("/workflows/order", form)
    assert saved.status_code == 303, saved.text
    after = await _current(app, tenant)
    assert after.version == before.version + 1
    assert _kinds(after, "shipped") == ["notify", "stock.issue"]
    assert _kinds(after, "approved") == []
    # The other stages keep theirs untouched.
    for stage in ("cancelled", "returned", "completed"):
        assert _kinds(after, stage) == _kinds(before, stage), stage
    assert "stock.release" in _kinds(after, "cancelled") and "stock.return" in _kinds(after, "returned")
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.entity == "workflow", AuditRecord.entity_id == "order")
            )
        ).one()
    shipped = next(s for s in record.after["states"] if s["key"] == "shipped")
    assert shipped["on_enter"][0] == {"kind": "notify", "to": "owner", "text": "订单已发货，请联系客户约送货"}
    assert record.actor_id == tenant.people["admin"]


async def test_reordering_puts_an_action_first(app: Litestar, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    form = _form(await _current(app, tenant))
    form |= {
        "a:approved:new:kind": "emit",
        "a:approved:new:topic": "order.approved_big",
        "a:approved:new:order": "2",
    }
    assert (await admin.post_form("/workflows/order", form)).status_code == 303
    current = await _current(app, tenant)
    assert _kinds(current, "approved") == ["stock.reserve", "emit"]
    form = _form(current) | {"a:approved:0:order": "3"}  # the reservation now after the event
    assert (await admin.post_form("/workflows/order", form)).status_code == 303
    assert _kinds(await _current(app, tenant), "approved") == ["emit", "stock.reserve"]


async def test_a_bad_action_is_refused_beside_it_and_nothing_is_saved(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await logged_in(app, tenant, "admin")
    before = await _current(app, tenant)
    form = _form(before) | {
        "a:delivered:new:kind": "create_task",
        "a:delivered:new:text": "",
        "a:delivered:new:due": "400",
        "a:completed:new:kind": "set_field",
        "a:completed:new:field": "status",  # the stage itself is moved by the workflow, not set
    }
    refused = await admin.post_form("/workflows/order", form)
    assert refused.status_code == 422
    page = refused.text
    assert "填写通知或任务的内容" in page and "要设置的字段" in page
    # What was typed is shown again, the add row open.
    assert 'name="a:delivered:new:due" value="400"' in page
    assert (await _current(app, tenant)).version == before.version


async def test_an_unknown_kind_from_a_forged_form_is_refused(app: Litestar, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    before = await _current(app, tenant, "customer")
    form = _form(before) | {f"a:{before.definition.states[1].key}:new:kind": "stock.reserve"}
    refused = await admin.post_form("/workflows/customer", form)
    assert refused.status_code == 422
    assert (await _current(app, tenant, "customer")).version == before.version


async def test_a_customer_workflow_offers_no_stock_actions(app: Litestar, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    page = (await admin.get("/workflows/customer")).text
    assert "设置字段" in page and "预留订单库存" not in page


async def test_a_form_without_the_actions_section_keeps_the_actions(app: Litestar, tenant: TenantKit) -> None:
    """An editor page opened before this release posts no action rows: the actions stay."""
    admin = await logged_in(app, tenant, "admin")
    before = await _current(app, tenant)
    form: dict[str, Any] = {
        k: v for k, v in _form(before).items() if not k.startswith("a") or k == "actions_shown"
    }
    del form["actions_shown"]
    form["s0_zh"] = "草稿单"
    assert (await admin.post_form("/workflows/order", form)).status_code == 303
    after = await _current(app, tenant)
    assert after.definition.states[0].label["zh_CN"] == "草稿单"
    assert _kinds(after, "approved") == ["stock.reserve"]
