"""The workflow editor and the stage card in the admin, as 刘洋 (manager) and 张伟 (sales) use them."""

from __future__ import annotations

import json
from typing import Any

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.workflows import service as workflows


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


async def _current(app: Litestar, kit: TenantKit) -> workflows.CurrentWorkflow:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await workflows.current(session, "customer")


def _form(current: workflows.CurrentWorkflow) -> dict[str, str]:
    """The editor's form as the page fills it in for the current version."""
    form = {"version": str(current.version)}
    for i, state in enumerate(current.definition.states):
        form |= {
            f"s{i}_zh": state.label["zh_CN"],
            f"s{i}_en": state.label.get("en", ""),
            f"s{i}_category": state.category,
            f"s{i}_order": str(i + 1),
        }
    for move in current.definition.transitions:
        form[f"m:{move.source}:{move.target}"] = "1"
    return form


async def test_a_manager_renames_reorders_and_adds_stages_in_the_editor(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 renames 意向 to 意向客户, puts 流失 before 成交, adds 已报价 with a move into it."""
    manager = await logged_in(app, tenant, "manager_a")
    assert (await manager.get("/workflows")).headers["location"] == "/workflows/customer"
    page = await manager.get("/workflows/customer")
    assert page.status_code == 200
    assert all(label in page.text for label in ("潜在", "意向", "成交", "流失", "允许的流转"))

    form = _form(await _current(app, tenant))
    form |= {"s1_zh": "意向客户", "s3_order": "3", "s2_order": "4"}
    form |= {
        "new_key": "quoted",
        "new_zh": "已报价",
        "new_en": "Quoted",
        "new_category": "open",
        "new_order": "2.5",
    }
    saved = await manager.post_form("/workflows/customer", form)
    assert saved.status_code == 303 and saved.headers["location"] == "/workflows/customer?saved=1"
    current = await _current(app, tenant)
    assert current.version == 2
    assert [s.label["zh_CN"] for s in current.definition.states] == [
        "潜在",
        "意向客户",
        "已报价",
        "流失",
        "成交",
    ]

    # The new stage now has a row in the matrix: tick 意向 → 已报价 and guard 已报价 → 成交.
    form = _form(current)
    form |= {"m:interested:quoted": "1", "m:quoted:won": "1", "g:quoted:won:required": "mobile, email"}
    form |= {"g:quoted:won:role": "manager", "g:quoted:won:field": "amount", "g:quoted:won:op": ">"}
    form |= {"g:quoted:won:value": "50000"}
    assert (await manager.post_form("/workflows/customer", form)).status_code == 303
    move = (await _current(app, tenant)).definition.move("quoted", "won")
    assert move is not None
    assert [g.as_json() for g in move.guards] == [
        {"kind": "required", "field": "mobile"},
        {"kind": "required", "field": "email"},
        {"kind": "role", "role": "manager"},
        {"kind": "condition", "field": "amount", "op": ">", "value": 50000},
    ]
    again = await manager.get("/workflows/customer?saved=1")
    assert "已保存为新版本" in again.text and 'value="mobile, email"' in again.text


async def test_removing_a_stage_in_use_shows_how_many_records_are_in_it(
    app: Litestar, tenant: TenantKit
) -> None:
    """Two customers are 流失: ticking "remove" on 流失 is refused with the count, nothing saved."""
    for name in ("甲", "乙"):
        await _customer(app, tenant, "sales_a", name=name, status="lost")
    manager = await logged_in(app, tenant, "manager_a")
    form = _form(await _current(app, tenant)) | {"s3_remove": "1"}
    refused = await manager.post_form("/workflows/customer", form)
    assert refused.status_code == 422
    assert "流失 2 条" in refused.text
    assert (await _current(app, tenant)).version == 1


async def test_bad_stage_input_is_shown_beside_the_row(app: Litestar, tenant: TenantKit) -> None:
    """A key with spaces and a stage without a Chinese name are refused with messages in Chinese."""
    manager = await logged_in(app, tenant, "manager_a")
    form = _form(await _current(app, tenant)) | {"new_key": "Bad Key", "new_zh": "坏阶段", "s0_zh": ""}
    refused = await manager.post_form("/workflows/customer", form)
    assert refused.status_code == 422
    assert "阶段标识只能使用小写字母" in refused.text and "中文名称为必填项" in refused.text
    # What was typed comes back.
    assert 'value="Bad Key"' in refused.text and 'value="坏阶段"' in refused.text


async def test_a_stale_editor_is_told_who_saved_in_between(app: Litestar, tenant: TenantKit) -> None:
    manager = await logged_in(app, tenant, "manager_a")
    admin = await logged_in(app, tenant, "admin")
    form = _form(await _current(app, tenant))
    assert (await admin.post_form("/workflows/customer", form)).status_code == 303
    stale = await manager.post_form("/workflows/customer", form | {"s0_zh": "线索"})
    assert stale.status_code == 409 and "李静" in stale.text


async def test_salespeople_cannot_open_the_editor(app: Litestar, tenant: TenantKit) -> None:
    """张伟 has no workflows:manage: the editor is a 403, its nav link is not shown, a save is refused."""
    seller = await logged_in(app, tenant, "sales_a")
    assert (await seller.get("/workflows/customer")).status_code == 403
    assert (await seller.get("/workflows")).status_code == 403
    assert (
        await seller.post_form("/workflows/customer", _form(await _current(app, tenant)))
    ).status_code == 403
    assert 'href="/workflows"' not in (await seller.get("/customers")).text
    assert (await (await logged_in(app, tenant, "manager_a")).get("/workflows/product")).status_code == 404


async def test_the_stage_card_moves_a_customer_and_shows_refusals_in_place(
    app: Litestar, tenant: TenantKit
) -> None:
    """On 李红梅's page 张伟 sees 意向 with buttons for its moves; 成交 needs a mobile first."""
    li = await _customer(app, tenant, "sales_a", name="李红梅", status="interested")
    manager = await logged_in(app, tenant, "manager_a")
    form = _form(await _current(app, tenant)) | {"g:interested:won:required": "mobile"}
    assert (await manager.post_form("/workflows/customer", form)).status_code == 303

    seller = await logged_in(app, tenant, "sales_a")
    detail = await seller.get(f"/customers/{li.id}")
    assert f'hx-get="/customers/{li.id}/stage"' in detail.text
    card = await seller.htmx("GET", f"/customers/{li.id}/stage")
    assert card.status_code == 200 and "意向" in card.text
    assert (
        'value="won"' in card.text and 'value="lost"' in card.text and 'value="interested"' not in card.text
    )

    refused = await seller.htmx("POST", f"/customers/{li.id}/stage", {"to": "won", "version": "1"})
    assert refused.status_code == 422 and "需要先填写手机" in refused.text
    forbidden = await seller.htmx("POST", f"/customers/{li.id}/stage", {"to": "nowhere", "version": "1"})
    assert forbidden.status_code == 422 and "可以移至：潜在、成交、流失" in forbidden.text

    moved = await seller.htmx(
        "POST", f"/customers/{li.id}/stage", {"to": "lost", "version": "1", "note": "买了别家"}
    )
    assert moved.status_code == 200
    assert json.loads(moved.headers["HX-Trigger"])["customers-changed"] == str(li.id)
    assert "张伟" in moved.text and "买了别家" in moved.text


async def test_the_stage_card_of_another_salespersons_customer_is_not_found(
    app: Litestar, tenant: TenantKit
) -> None:
    """李娜's customer is outside 张伟's scope: the card and the move read as absent."""
    theirs = await _customer(app, tenant, "sales_b", name="李娜的客户")
    seller = await logged_in(app, tenant, "sales_a")
    assert (await seller.htmx("GET", f"/customers/{theirs.id}/stage")).status_code == 404
    assert (
        await seller.htmx("POST", f"/customers/{theirs.id}/stage", {"to": "won", "version": "1"})
    ).status_code == 404


async def test_a_forbidden_stage_in_the_edit_form_is_an_inline_error(
    app: Litestar, tenant: TenantKit
) -> None:
    """The edit form's stage goes through the workflow too: 流失 → 成交 is refused beside the field."""
    gone = await _customer(app, tenant, "sales_a", name="赵流失", status="lost")
    seller = await logged_in(app, tenant, "sales_a")
    response = await seller.post_form(
        f"/customers/{gone.id}", {"name": "赵流失", "kind": "individual", "status": "won", "version": "1"}
    )
    assert response.status_code == 422
    assert "不能从流失移到成交" in response.text
