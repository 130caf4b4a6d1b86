"""The customer lifecycle as a tenant's data: stages renamed, reordered and guarded, moves checked
and recorded, versions that never strand a record.

The cast (crm_testkit): 刘洋 manages store team 1, 张伟 sells in it, 李静 is the admin.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update

from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, ValidationFailed, VersionConflict
from app.events.models import OutboxEvent
from app.i18n import locale_var
from app.workflows import service as workflows
from app.workflows.errors import GuardFailed, NotAllowedTransition, StatesInUse


async def _customer(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


async def _workflow(app: Litestar, kit: TenantKit) -> workflows.CurrentWorkflow:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await workflows.current(session, "customer")


async def _edit(app: Litestar, kit: TenantKit, who: str, change: Any) -> workflows.CurrentWorkflow:
    """``who`` saves the current workflow after ``change(document)`` edits a copy of it."""
    current = await _workflow(app, kit)
    document = copy.deepcopy(current.definition.as_json())
    change(document)
    async with app.state.db.tenant_session(kit.schema) as session:
        return await workflows.update_workflow(
            session, await actor(app, kit, who), "customer", document, current.version
        )


async def _move(
    app: Litestar, kit: TenantKit, who: str, customer_id: Any, to: str, note: str | None = None
) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        current = await session.get(Customer, customer_id)
        assert current is not None
        return await customers.transition_customer(
            session, await actor(app, kit, who), customer_id, to, current.version, note=note
        )


def _guard(kit_document: dict[str, Any], source: str, target: str, *guards: dict[str, Any]) -> None:
    for move in kit_document["transitions"]:
        if (move["from"], move["to"]) == (source, target):
            move["guards"] = list(guards)
            return
    raise AssertionError(f"no move {source} → {target}")


async def test_a_new_tenant_starts_with_the_four_stage_customer_lifecycle(
    app: Litestar, tenant: TenantKit
) -> None:
    """潜在 → 意向 → 成交 → 流失, keyed by the stored customer status values, re-activation included."""
    workflow = await _workflow(app, tenant)
    assert workflow.version == 1
    assert [(s.key, s.label["zh_CN"], s.category) for s in workflow.definition.states] == [
        ("lead", "潜在", "open"),
        ("interested", "意向", "open"),
        ("won", "成交", "won"),
        ("lost", "流失", "lost"),
    ]
    assert {t.target for t in workflow.definition.moves_from("lost")} == {"lead", "interested"}


async def test_a_manager_renames_and_reorders_stages(app: Litestar, tenant: TenantKit) -> None:
    """刘洋 calls 意向 "意向客户", adds 已报价 (quoted) between 意向 and 成交, and moves 流失 before 成交."""

    def change(doc: dict[str, Any]) -> None:
        states = {s["key"]: s for s in doc["states"]}
        states["interested"]["label"] = {"zh_CN": "意向客户", "en": "Prospect"}
        states["quoted"] = {"key": "quoted", "label": {"zh_CN": "已报价", "en": "Quoted"}, "category": "open"}
        order = ["lead", "interested", "quoted", "lost", "won"]
        doc["states"] = [{**states[k], "position": i} for i, k in enumerate(order)]
        doc["transitions"] += [{"from": "interested", "to": "quoted"}, {"from": "quoted", "to": "won"}]

    saved = await _edit(app, tenant, "manager_a", change)
    assert saved.version == 2
    reread = await _workflow(app, tenant)
    assert [s.label_in("zh_CN") for s in reread.definition.states] == [
        "潜在",
        "意向客户",
        "已报价",
        "流失",
        "成交",
    ]
    assert reread.definition.state("interested").label_in("en") == "Prospect"  # type: ignore[union-attr]
    # The edit is in the audit log with both versions.
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.entity == "workflow"))
    assert record is not None and record.before["version"] == 1 and record.after["version"] == 2


async def test_a_salesperson_moves_li_hongmei_from_interested_to_won(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 closes the sale with 李红梅: the stage, the history, the audit record and the event say so."""
    li = await _customer(app, tenant, "sales_a", name="李红梅", mobile="13912345678", status="interested")
    moved = await _move(app, tenant, "sales_a", li.id, "won", note="签了两台空调")
    assert moved.status == "won" and moved.version == 2
    async with app.state.db.tenant_session(tenant.schema) as session:
        history = await workflows.stage_history(session, workflows.spec_of("customer"), li.id)
        audit = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(li.id), AuditRecord.action == "transition")
        )
        topics = list(await session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))
    [entry] = history
    assert (entry.from_state, entry.to_state, entry.note) == ("interested", "won", "签了两台空调")
    assert entry.actor_id == tenant.people["sales_a"] and "张伟" in entry.actor_label
    assert entry.at is not None and entry.workflow_version == 1
    assert audit is not None and audit.before["status"] == "interested" and audit.after["status"] == "won"
    assert "customer.transitioned" in topics


async def test_a_forbidden_move_lists_the_allowed_ones(app: Litestar, tenant: TenantKit) -> None:
    """流失 → 成交 is not a move of the default lifecycle: 张伟's attempt names where 流失 may go."""
    gone = await _customer(app, tenant, "sales_a", name="赵流失", status="lost")
    with pytest.raises(NotAllowedTransition) as refused:
        await _move(app, tenant, "sales_a", gone.id, "won")
    assert [s.key for s in refused.value.allowed] == ["lead", "interested"]
    token = locale_var.set("zh_CN")
    try:
        from app.workflows.errors import refusal_text

        # The message reads in the tenant's labels (catalog loaded by the app at start-up).
        assert "潜在" in refusal_text(refused.value) and "意向" in refusal_text(refused.value)
    finally:
        locale_var.reset(token)
    # An unknown stage is refused the same way, and nothing changed.
    with pytest.raises(NotAllowedTransition):
        await _move(app, tenant, "sales_a", gone.id, "no_such_stage")
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (await session.get(Customer, gone.id)).status == "lost"  # type: ignore[union-attr]


async def test_a_required_field_guard_names_the_field(app: Litestar, tenant: TenantKit) -> None:
    """No sale without a mobile number: the refusal names the field; with the number the move goes."""
    await _edit(
        app,
        tenant,
        "admin",
        lambda d: _guard(d, "interested", "won", {"kind": "required", "field": "mobile"}),
    )
    wang = await _customer(app, tenant, "sales_a", name="王无号", status="interested")
    with pytest.raises(GuardFailed) as refused:
        await _move(app, tenant, "sales_a", wang.id, "won")
    [failure] = refused.value.failures
    assert (failure.kind, failure.field) == ("required", "mobile")
    async with app.state.db.tenant_session(tenant.schema) as session:
        fixed = await customers.update_customer(
            session, await actor(app, tenant, "sales_a"), wang.id, 1, CustomerInput(mobile="13800001111")
        )
    assert (await _move(app, tenant, "sales_a", fixed.id, "won")).status == "won"


async def test_a_role_guard_names_the_role(app: Litestar, tenant: TenantKit) -> None:
    """Only a manager marks a customer lost: 张伟 is refused with the role named, 刘洋 succeeds."""
    await _edit(
        app, tenant, "admin", lambda d: _guard(d, "interested", "lost", {"kind": "role", "role": "manager"})
    )
    chen = await _customer(app, tenant, "sales_a", name="陈犹豫", status="interested")
    with pytest.raises(GuardFailed) as refused:
        await _move(app, tenant, "sales_a", chen.id, "lost")
    assert [(f.kind, f.role) for f in refused.value.failures] == [("role", "manager")]
    assert (await _move(app, tenant, "manager_a", chen.id, "lost")).status == "lost"


async def test_an_amount_threshold_needs_a_manager_above_fifty_thousand(
    app: Litestar, tenant: TenantKit
) -> None:
    """A guard with a condition: above 50,000 (a custom amount) only a manager closes the sale."""
    guard = {"kind": "role", "role": "manager", "when": {"field": "amount", "op": ">", "value": 50000}}
    await _edit(app, tenant, "admin", lambda d: _guard(d, "interested", "won", guard))
    small = await _customer(app, tenant, "sales_a", name="小单客户", status="interested")
    big = await _customer(app, tenant, "sales_a", name="大单客户", status="interested")
    async with app.state.db.tenant_session(tenant.schema) as session:
        # Arranged directly: custom-field values are another part of the kit.
        await session.execute(
            update(Customer).where(Customer.id == small.id).values(custom={"amount": 12000})
        )
        await session.execute(
            update(Customer).where(Customer.id == big.id).values(custom={"amount": "86000.50"})
        )
        await session.commit()
    assert (await _move(app, tenant, "sales_a", small.id, "won")).status == "won"
    with pytest.raises(GuardFailed) as refused:
        await _move(app, tenant, "sales_a", big.id, "won")
    assert refused.value.failures[0].role == "manager"
    assert (await _move(app, tenant, "manager_a", big.id, "won")).status == "won"


async def test_a_condition_guard_compares_numbers(app: Litestar, tenant: TenantKit) -> None:
    """A plain condition: the move exists only for records meeting it (amount >= 1)."""
    guard = {"kind": "condition", "field": "amount", "op": ">=", "value": 1}
    await _edit(app, tenant, "admin", lambda d: _guard(d, "lead", "won", guard))
    empty = await _customer(app, tenant, "sales_a", name="空单")
    with pytest.raises(GuardFailed) as refused:
        await _move(app, tenant, "sales_a", empty.id, "won")
    assert refused.value.failures[0].condition == "amount >= 1"


async def test_an_edit_stranding_records_is_refused_with_their_count(
    app: Litestar, tenant: TenantKit
) -> None:
    """Removing 流失 while three customers are in it (one in the recycle bin) is refused: 3, nothing saved."""
    for name in ("甲", "乙", "丙"):
        await _customer(app, tenant, "sales_a", name=name, status="lost")
    async with app.state.db.tenant_session(tenant.schema) as session:
        binned = await session.scalar(select(Customer.id).where(Customer.name == "丙"))
        await customers.delete_customer(session, await actor(app, tenant, "owner"), binned)

    def drop_lost(doc: dict[str, Any]) -> None:
        doc["states"] = [s for s in doc["states"] if s["key"] != "lost"]
        doc["transitions"] = [t for t in doc["transitions"] if "lost" not in (t["from"], t["to"])]

    with pytest.raises(StatesInUse) as refused:
        await _edit(app, tenant, "admin", drop_lost)
    assert refused.value.counts == {"lost": 3}
    assert "3" in refused.value.errors[0].message
    assert (await _workflow(app, tenant)).version == 1
    # An unused state goes without a fuss.
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(Customer).where(Customer.status == "lost").values(status="lead"))
        await session.commit()
    assert (await _edit(app, tenant, "admin", drop_lost)).version == 2


async def test_a_record_in_flight_survives_a_new_version(app: Litestar, tenant: TenantKit) -> None:
    """A customer in 意向 keeps moving after the workflow changes; its history names both versions."""
    zhou = await _customer(app, tenant, "sales_a", name="周在途")
    await _move(app, tenant, "sales_a", zhou.id, "interested")

    def rename(doc: dict[str, Any]) -> None:
        doc["states"][1]["label"]["zh_CN"] = "有意向"
        doc["transitions"] = [t for t in doc["transitions"] if (t["from"], t["to"]) != ("lead", "won")]

    assert (await _edit(app, tenant, "manager_a", rename)).version == 2
    assert (await _move(app, tenant, "sales_a", zhou.id, "won")).status == "won"
    async with app.state.db.tenant_session(tenant.schema) as session:
        history = await workflows.stage_history(session, workflows.spec_of("customer"), zhou.id)
    assert [(h.from_state, h.to_state, h.workflow_version) for h in history] == [
        ("interested", "won", 2),
        ("lead", "interested", 1),
    ]


async def test_bad_workflow_edits_are_refused_with_every_problem(app: Litestar, tenant: TenantKit) -> None:
    """Duplicate keys, a move to an unknown state, an unknown role or permission: listed together."""

    def broken(doc: dict[str, Any]) -> None:
        doc["states"].append({"key": "lead", "label": {"zh_CN": "重复"}, "category": "open"})
        doc["transitions"].append({"from": "lead", "to": "vanished"})
        doc["transitions"][0]["guards"] = [
            {"kind": "role", "role": "chairman"},
            {"kind": "role", "permission": "customers:fly"},
        ]

    with pytest.raises(ValidationFailed) as refused:
        await _edit(app, tenant, "admin", broken)
    codes = {(e.field, e.code) for e in refused.value.errors}
    assert ("states.4.key", "duplicate_state") in codes
    assert ("transitions.10.to", "unknown_state") in codes
    assert ("transitions.0.guards.0.role", "unknown_role") in codes
    assert ("transitions.0.guards.1.permission", "unknown_permission") in codes
    assert (await _workflow(app, tenant)).version == 1


async def test_only_workflow_managers_edit_and_stale_edits_conflict(app: Litestar, tenant: TenantKit) -> None:
    """张伟 may not edit the workflow; two admins editing the same version: the second is told."""
    with pytest.raises(PermissionDenied):
        await _edit(app, tenant, "sales_a", lambda d: None)
    current = await _workflow(app, tenant)
    await _edit(app, tenant, "admin", lambda d: None)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(VersionConflict) as stale:
            await workflows.update_workflow(
                session,
                await actor(app, tenant, "owner"),
                "customer",
                current.definition.as_json(),
                current.version,
            )
    assert stale.value.changed_by == "李静"


async def test_entering_a_state_runs_its_actions(app: Litestar, tenant: TenantKit) -> None:
    """成交 sets the tier to VIP, notifies the owner, asks for a follow-up task and emits its event."""

    def actions(doc: dict[str, Any]) -> None:
        won = next(s for s in doc["states"] if s["key"] == "won")
        won["on_enter"] = [
            {"kind": "set_field", "field": "tier", "value": "vip"},
            {"kind": "notify", "to": "owner", "text": "恭喜成交"},
            {"kind": "create_task", "to": "owner", "text": "三天后回访安装", "due_in_days": 3},
            {"kind": "emit", "topic": "customer.deal_closed"},
        ]

    await _edit(app, tenant, "admin", actions)
    sun = await _customer(app, tenant, "sales_a", name="孙成交", status="interested")
    moved = await _move(app, tenant, "sales_a", sun.id, "won")
    assert moved.tier == "vip"
    async with app.state.db.tenant_session(tenant.schema) as session:
        events = {e.topic: e.payload for e in await session.scalars(select(OutboxEvent))}
    assert events["notify"]["text"] == "恭喜成交" and events["notify"]["owner_id"] == str(
        tenant.people["sales_a"]
    )
    assert events["task.requested"]["due_in_days"] == 3
    assert events["customer.deal_closed"]["to"] == "won"


async def test_a_stage_change_in_the_edit_form_goes_through_the_workflow(
    app: Litestar, tenant: TenantKit
) -> None:
    """updateCustomer / the edit form: an allowed change is a move with history; a forbidden one is a
    validation error on status that names the allowed moves; other fields save as before."""
    seller = await actor(app, tenant, "sales_a")
    qian = await _customer(app, tenant, "sales_a", name="钱表单", status="lead")
    async with app.state.db.tenant_session(tenant.schema) as session:
        saved = await customers.update_customer(
            session, seller, qian.id, 1, CustomerInput(status="won", notes="现场成交")
        )
        assert saved.status == "won"
        history = await workflows.stage_history(session, workflows.spec_of("customer"), qian.id)
    assert [(h.from_state, h.to_state) for h in history] == [("lead", "won")]
    await _edit(
        app,
        tenant,
        "admin",
        lambda d: d.update(transitions=[t for t in d["transitions"] if t["from"] != "won"]),
    )
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as refused:
            await customers.update_customer(session, seller, qian.id, 2, CustomerInput(status="lost"))
    [error] = refused.value.errors
    assert (error.field, error.code) == ("status", "not_allowed_transition")
    # A stage the workflow does not have cannot be given at creation either.
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed):
            await customers.create_customer(session, seller, CustomerInput(name="错阶段", status="nowhere"))


async def test_a_transition_is_six_statements(app: Litestar, tenant: TenantKit) -> None:
    """Lock the customer, read the workflow, then one write each: customer, history, audit, events
    (the two events in one insert). Scope "own" needs no lookup; bench/workflow_transition.py measures it."""
    from sqlalchemy import event

    seller = await actor(app, tenant, "sales_a")
    li = await _customer(app, tenant, "sales_a", name="李红梅", status="interested")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0])

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with app.state.db.tenant_session(tenant.schema) as session:
            await customers.transition_customer(session, seller, li.id, "won", 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sorted(statements) == ["INSERT", "INSERT", "INSERT", "SELECT", "SELECT", "UPDATE"], statements


async def test_an_edit_waits_for_a_move_in_progress_and_counts_its_record(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 is moving 吴悦 to 流失 (not committed yet) while 李静 removes 流失: the edit waits for the
    move, then sees 吴悦 in 流失 and is refused; no record is ever left in a removed stage."""
    import asyncio

    from app.customers.entity import SPEC

    wu = await _customer(app, tenant, "sales_a", name="吴悦", status="interested")
    seller, admin = await actor(app, tenant, "sales_a"), await actor(app, tenant, "admin")
    current = await _workflow(app, tenant)
    document = copy.deepcopy(current.definition.as_json())
    document["states"] = [s for s in document["states"] if s["key"] != "lost"]
    document["transitions"] = [t for t in document["transitions"] if "lost" not in (t["from"], t["to"])]

    async with app.state.db.tenant_session(tenant.schema) as moving:
        record = await moving.get(Customer, wu.id, with_for_update=True)
        await workflows.transition(moving, seller, SPEC, record, "lost", 1)  # holds the workflow (shared)

        async def edit() -> Any:
            async with app.state.db.tenant_session(tenant.schema) as editing:
                return await workflows.update_workflow(editing, admin, "customer", document, current.version)

        editor = asyncio.create_task(edit())
        await asyncio.sleep(0.5)
        assert not editor.done()  # the edit waits for the move
        await moving.commit()
    with pytest.raises(StatesInUse) as refused:
        await asyncio.wait_for(editor, 10)
    assert refused.value.counts == {"lost": 1}
