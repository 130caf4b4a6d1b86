"""Batch actions on customers (issue #9 item 7): one audited job per batch, each customer through
its own verbs (scope, workflow guards), refusals counted by reason, and an undo that puts the exact
prior values back, once, within 24 hours, on every customer nobody changed since."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update

from app.audit.models import AuditRecord
from app.batches import service as batches
from app.batches.models import BatchJob, BatchStatus
from app.batches.run import dispatch
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.workflows import service as workflows

_mobiles = iter(range(10_000))


async def _customer(app: Litestar, kit: TenantKit, who: str, name: str, **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(
            session,
            await actor(app, kit, who),
            CustomerInput(name=name, mobile=f"1370000{next(_mobiles):04d}", **fields),
        )


async def _run(app: Litestar, kit: TenantKit, who: str, change: batches.Change, **target: Any) -> BatchJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        person = await actor(app, kit, who)
        job = await batches.start(session, person, "customer", change, **target)
        return await dispatch(session, person, job, None, kit.schema)


async def _undo(app: Litestar, kit: TenantKit, who: str, job_id: uuid.UUID) -> BatchJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        person = await actor(app, kit, who)
        job = await batches.begin_undo(session, person, job_id)
        return await dispatch(session, person, job, None, kit.schema)


async def _owners(app: Litestar, kit: TenantKit, ids: list[uuid.UUID]) -> list[uuid.UUID | None]:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = dict(
            (await session.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(ids)))).all()
        )
    return [found[i] for i in ids]


async def test_a_manager_hands_customers_to_a_colleague_and_undoes_it(
    app: Litestar, tenant: TenantKit
) -> None:
    """刘洋 gives 张伟's and 王芳's customers to 王芳; 李娜's (another team) reads as absent, counted."""
    zhang = await _customer(app, tenant, "sales_a", "赵一")
    wang = await _customer(app, tenant, "sales_a2", "钱二")
    other_team = await _customer(app, tenant, "sales_b", "孙三")
    ids = [zhang.id, wang.id, other_team.id]
    job = await _run(
        app, tenant, "manager_a", batches.Change("owner", owner_id=tenant.people["sales_a2"]), ids=ids
    )
    assert job.status == BatchStatus.DONE and job.total == 3
    # 钱二 already was 王芳's: done, with nothing to undo; 孙三 is out of scope.
    assert job.done == 2 and job.refused == {"not_found": 1}
    assert await _owners(app, tenant, ids) == [
        tenant.people["sales_a2"],
        tenant.people["sales_a2"],
        tenant.people["sales_b"],
    ]
    async with app.state.db.tenant_session(tenant.schema) as session:
        records = (
            await session.scalars(select(AuditRecord).where(AuditRecord.entity_id == str(job.id)))
        ).all()
        # One audit record for the batch, plus each customer's own change in its history.
        assert [r.action for r in records] == ["batch"]
        assert records[0].after["total"] == 3
        history = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(zhang.id), AuditRecord.action == "update")
        )
        assert history is not None and history.after["owner_id"] == str(tenant.people["sales_a2"])

    undone = await _undo(app, tenant, "manager_a", job.id)
    assert undone.status == BatchStatus.UNDONE and undone.undo_done == 1 and undone.undo_kept == 0
    assert await _owners(app, tenant, ids) == [
        tenant.people["sales_a"],
        tenant.people["sales_a2"],
        tenant.people["sales_b"],
    ]
    # Undo twice: refused, nothing changes.
    with pytest.raises(ValidationFailed) as twice:
        await _undo(app, tenant, "manager_a", job.id)
    assert twice.value.errors[0].code == "already_undone"


async def test_undo_leaves_a_customer_edited_since_and_expires_after_a_day(
    app: Litestar, tenant: TenantKit
) -> None:
    first = await _customer(app, tenant, "admin", "周一", tags=["空调"])
    second = await _customer(app, tenant, "admin", "吴二")
    job = await _run(
        app, tenant, "admin", batches.Change("add_tags", tags=("以旧换新", "空调")), ids=[first.id, second.id]
    )
    assert job.done == 2
    async with app.state.db.tenant_session(tenant.schema) as session:
        tags = await customers.tag_names(session, [first.id, second.id])
    assert tags == {first.id: ["以旧换新", "空调"], second.id: ["以旧换新", "空调"]}
    # 李静 edits 吴二 after the batch: the undo leaves her edit alone.
    async with app.state.db.tenant_session(tenant.schema) as session:
        current = await session.get(Customer, second.id)
        assert current is not None
        await customers.update_customer(
            session,
            await actor(app, tenant, "admin"),
            second.id,
            current.version,
            CustomerInput(notes="回访过"),
        )
    undone = await _undo(app, tenant, "admin", job.id)
    assert (undone.undo_done, undone.undo_kept) == (1, 1)
    async with app.state.db.tenant_session(tenant.schema) as session:
        tags = await customers.tag_names(session, [first.id, second.id])
    assert tags == {first.id: ["空调"], second.id: ["以旧换新", "空调"]}

    late = await _run(app, tenant, "admin", batches.Change("remove_tags", tags=("空调",)), ids=[first.id])
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            update(BatchJob)
            .where(BatchJob.id == late.id)
            .values(created_at=BatchJob.created_at - timedelta(hours=25))
        )
        await session.commit()
    with pytest.raises(ValidationFailed) as expired:
        await _undo(app, tenant, "admin", late.id)
    assert expired.value.errors[0].code == "undo_expired"


async def test_a_stage_move_goes_through_the_workflow_and_counts_refusals_by_reason(
    app: Litestar, tenant: TenantKit
) -> None:
    """The tenant requires a mobile to win a customer; 成交 from 潜在 without one is refused by the guard,
    from 流失 the workflow has no such move; the undo restores the stage even where no move leads back."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        current = await workflows.current(session, "customer")
        document = copy.deepcopy(current.definition.as_json())
        for move in document["transitions"]:
            if (move["from"], move["to"]) == ("lead", "won"):
                move["guards"] = [{"kind": "required", "field": "email"}]
        await workflows.update_workflow(
            session, await actor(app, tenant, "admin"), "customer", document, current.version
        )
    with_email = await _customer(app, tenant, "admin", "郑甲", email="zheng@example.com")
    without = await _customer(app, tenant, "admin", "王乙")
    lost = await _customer(app, tenant, "admin", "冯丙", status="lost")
    job = await _run(
        app, tenant, "admin", batches.Change("stage", stage="won"), ids=[with_email.id, without.id, lost.id]
    )
    assert job.done == 1
    assert job.refused == {"guard_failed": 1, "not_allowed_transition": 1}
    undone = await _undo(app, tenant, "admin", job.id)
    assert undone.undo_done == 1
    async with app.state.db.tenant_session(tenant.schema) as session:
        stages = dict((await session.execute(select(Customer.name, Customer.status))).all())
    # won → lead is no move of the workflow, but an undo restores what was.
    assert stages == {"郑甲": "lead", "王乙": "lead", "冯丙": "lost"}


async def test_all_matching_a_filter_and_delete_with_undo(app: Litestar, tenant: TenantKit) -> None:
    for name in ("甲一", "甲二", "甲三"):
        await _customer(app, tenant, "sales_a", name, tier="gold")
    await _customer(app, tenant, "sales_a", "乙一", tier="silver")
    job = await _run(app, tenant, "manager_a", batches.Change("delete"), filters=CustomerFilter(tier="gold"))
    assert (job.total, job.done) == (3, 3)
    async with app.state.db.tenant_session(tenant.schema) as session:
        live = (await session.scalars(select(Customer.name).where(Customer.deleted_at.is_(None)))).all()
    assert live == ["乙一"]
    await _undo(app, tenant, "manager_a", job.id)
    async with app.state.db.tenant_session(tenant.schema) as session:
        live = (await session.scalars(select(Customer.name).where(Customer.deleted_at.is_(None)))).all()
    assert set(live) == {"甲一", "甲二", "甲三", "乙一"}


async def test_bad_batches_are_refused_before_anything_changes(app: Litestar, tenant: TenantKit) -> None:
    one = await _customer(app, tenant, "sales_a", "陈一")
    # A salesperson may not delete; the batch is refused whole.
    with pytest.raises(PermissionDenied):
        await _run(app, tenant, "sales_a", batches.Change("delete"), ids=[one.id])
    with pytest.raises(ValidationFailed) as no_owner:
        await _run(app, tenant, "admin", batches.Change("owner"), ids=[one.id])
    assert no_owner.value.errors[0].field == "change.owner_id"
    with pytest.raises(ValidationFailed) as bad_action:
        await _run(app, tenant, "admin", batches.Change("explode"), ids=[one.id])
    assert bad_action.value.errors[0].code == "invalid_choice"
    with pytest.raises(ValidationFailed) as empty:
        await _run(
            app, tenant, "admin", batches.Change("delete"), filters=CustomerFilter(search="没有这个人")
        )
    assert empty.value.errors[0].code == "empty"


async def test_a_batch_over_the_cap_is_refused(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "BATCH_MAX", 2)
    ids = [(await _customer(app, tenant, "admin", f"上限{i}")).id for i in range(3)]
    with pytest.raises(ValidationFailed) as over:
        await _run(app, tenant, "admin", batches.Change("delete"), ids=ids)
    assert over.value.errors[0].code == "too_many"
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(select(BatchJob.id)) is None


async def test_someone_elses_batch_reads_as_absent(app: Litestar, tenant: TenantKit) -> None:
    one = await _customer(app, tenant, "admin", "林一")
    job = await _run(app, tenant, "admin", batches.Change("add_tags", tags=("团购",)), ids=[one.id])
    with pytest.raises(NotFound):
        await _undo(app, tenant, "owner", job.id)


async def test_a_big_batch_is_left_to_the_worker_which_resumes_after_a_crash(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the inline limit the request only queues it; the worker's run dies after its first chunk
    and the next run finishes the rest without changing anyone twice."""
    monkeypatch.setattr(batches, "INLINE_MAX", 2)
    ids = [(await _customer(app, tenant, "admin", f"大批{i}")).id for i in range(5)]

    class FakeArq:
        queued: list[tuple[Any, ...]] = []

        async def enqueue_job(self, *args: Any, **kwargs: Any) -> object:
            self.queued.append(args)
            return object()

    arq = FakeArq()
    async with app.state.db.tenant_session(tenant.schema) as session:
        person = await actor(app, tenant, "admin")
        job = await batches.start(
            session, person, "customer", batches.Change("add_tags", tags=("以旧换新",)), ids=ids
        )
        job = await dispatch(session, person, job, arq, tenant.schema)
    assert job.status == BatchStatus.QUEUED and arq.queued == [("run_batch", tenant.schema, str(job.id))]

    calls = {"n": 0}
    real = batches._apply

    async def dies_on_the_third(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return await real(*args)

    monkeypatch.setattr(batches, "_apply", dies_on_the_third)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(RuntimeError):
            await batches.run_chunks(session, person, job.id, chunk=2)
    monkeypatch.setattr(batches, "_apply", real)
    from app.batches.run import run_job

    assert await run_job(app.state.db, tenant.schema, job.id) == "done"
    async with app.state.db.tenant_session(tenant.schema) as session:
        finished = await session.get(BatchJob, job.id)
        versions = (await session.scalars(select(Customer.version).where(Customer.id.in_(ids)))).all()
    assert finished is not None and (finished.done, finished.refused) == (5, {})
    # Each customer changed exactly once (created at version 1, one tag added).
    assert sorted(versions) == [2, 2, 2, 2, 2]
    async with app.state.db.tenant_session(tenant.schema) as session:
        tags = await customers.tag_names(session, ids)
    assert all(found == ["以旧换新"] for found in tags.values())
