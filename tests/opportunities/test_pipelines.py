"""Several pipelines per tenant (零售, 工程/团购, 以旧换新): each with its own stages, guards and
versions; a deal belongs to one (the default unless chosen), moves only between its own stages,
and can be put in another pipeline (its stage mapped, on its history, audited); pipelines are
created blank or copied, renamed, reordered and archived (refused while deals are open in it, and
for the last one); the board, the list filter and the forecast read one pipeline or all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from pipeline_world import codes, deal, deals, open_pipeline, targets
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.domain import PermissionDenied, ValidationFailed, VersionConflict
from app.opportunities.service import opportunity_conditions
from app.workflows import pipelines
from app.workflows import service as workflows
from app.workflows.errors import GuardFailed, NotAllowedTransition, StatesInUse

ENTITY = "opportunity"


def project_stages() -> dict[str, Any]:
    """A 工程/团购 pipeline: its own stages (招标 → 中标 / 未中标), a guard of its own."""
    return {
        "states": [
            {"key": "tender", "label": {"zh_CN": "招标", "en": "Tender"}, "category": "open",
             "probability": 20},
            {"key": "proposal", "label": {"zh_CN": "方案报价", "en": "Proposal"}, "category": "open",
             "probability": 50},
            {"key": "won", "label": {"zh_CN": "中标", "en": "Won"}, "category": "won"},
            {"key": "lost", "label": {"zh_CN": "未中标", "en": "Lost"}, "category": "lost"},
        ],
        "transitions": [
            {"from": "tender", "to": "proposal",
             "guards": [{"kind": "required", "field": "expected_close"}]},
            {"from": "proposal", "to": "won"},
            {"from": "tender", "to": "lost"},
            {"from": "proposal", "to": "lost"},
        ],
    }  # fmt: skip


async def make_projects(app: Litestar, tenant: TenantKit) -> str:
    """The owner adds 工程/团购 and gives it its own stages; returns its key."""
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        row = await pipelines.create_pipeline(session, owner, ENTITY, "工程/团购")
        await workflows.update_workflow(session, owner, ENTITY, project_stages(), 1, row.key)
        return row.key


async def test_every_tenant_starts_with_one_default_pipeline_and_deals_go_there(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    listed = await sales.pipelines()
    assert [(p.key, p.name, p.is_default, p.archived) for p in listed] == [
        ("default", "销售管道", True, False)
    ]
    created = await sales.create(deal(world))
    assert (created.pipeline, created.stage) == ("default", "qualify")
    await sales.session.close()


async def test_a_deal_opened_in_another_pipeline_starts_there_and_moves_only_on_its_stages(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, pipeline=projects))
    deal_id = created.id
    assert (created.pipeline, created.stage) == (projects, "tender")
    # "needs" is a stage of the default pipeline, not of this one.
    with pytest.raises(NotAllowedTransition):
        await sales.move(deal_id, "needs", 1)
    # This pipeline's own guard: a proposal needs the expected close date.
    with pytest.raises(GuardFailed):
        await sales.move(deal_id, "proposal", 1)
    await sales.update(deal_id, 1, {"expected_close": "2027-03-31"})
    moved = await sales.move(deal_id, "proposal", 2)
    assert moved.stage == "proposal"
    history = await workflows.stage_history(sales.session, sales.spec, deal_id)
    assert [(h.workflow_key, h.from_state, h.to_state) for h in history] == [(projects, "tender", "proposal")]
    # The default pipeline's deals are untouched by the other's stages.
    retail = await sales.create(deal(world))
    with pytest.raises(NotAllowedTransition):
        await sales.move(retail.id, "tender", retail.version)
    await sales.session.close()


async def test_creating_in_an_unknown_or_archived_pipeline_is_refused_and_nothing_is_written(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        trade_in = await pipelines.create_pipeline(session, owner, ENTITY, "以旧换新")
        await pipelines.archive_pipeline(session, owner, ENTITY, trade_in.key)
    sales = await deals(app, tenant, "sales_a")
    for key, code in (("nope", "unknown_pipeline"), (trade_in.key, "archived_pipeline")):
        with pytest.raises(ValidationFailed) as caught:
            await sales.create(deal(world, pipeline=key))
        assert codes(caught.value) == [("pipeline", code)]
    assert (await sales.page([])).items == []
    await sales.session.close()


async def test_moving_a_deal_to_another_pipeline_maps_its_stage_and_is_recorded(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, amount="8000", expected_close="2027-01-15"))
    deal_id = created.id
    await sales.move(deal_id, "proposal", 1)
    # 方案报价 is in both: the deal keeps it.
    moved = await sales.change_pipeline(deal_id, projects, 2)
    assert (moved.pipeline, moved.stage, moved.version) == (projects, "proposal", 3)
    assert sales.last_pipeline_move is not None and sales.last_pipeline_move.same_stage
    # Back: 方案报价 again; a stage the target lacks (招标) lands on the first open one.
    back = await sales.change_pipeline(deal_id, "default", 3)
    assert (back.pipeline, back.stage) == ("default", "proposal")
    other = await sales.create(deal(world, pipeline=projects))
    landed = await sales.change_pipeline(other.id, "default", other.version)
    assert landed.stage == "qualify"
    assert sales.last_pipeline_move is not None and not sales.last_pipeline_move.same_stage
    history = await workflows.stage_history(sales.session, sales.spec, deal_id)
    assert [(h.workflow_key, h.to_state, h.note) for h in history[:2]] == [
        ("default", "proposal", "工程/团购 → 销售管道"),
        (projects, "proposal", "销售管道 → 工程/团购"),
    ]
    audits = (
        await sales.session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity_id == str(deal_id), AuditRecord.action == "change_pipeline"
            )
        )
    ).all()
    assert len(audits) == 2
    await sales.session.close()


async def test_a_pipeline_move_to_an_archived_or_unknown_pipeline_or_a_stale_version_changes_nothing(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        old = await pipelines.create_pipeline(session, owner, ENTITY, "旧管道")
        await pipelines.archive_pipeline(session, owner, ENTITY, old.key)
    sales = await deals(app, tenant, "sales_a")
    deal_id = (await sales.create(deal(world))).id
    for key, code in (
        (old.key, "archived_pipeline"),
        ("nope", "unknown_pipeline"),
        ("default", "same_pipeline"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await sales.change_pipeline(deal_id, key, 1)
        assert codes(caught.value) == [("pipeline", code)]
    with pytest.raises(VersionConflict):
        await sales.change_pipeline(deal_id, "default", 7)
    again = await sales.get(deal_id)
    assert (again.pipeline, again.stage, again.version) == ("default", "qualify", 1)
    assert await workflows.stage_history(sales.session, sales.spec, deal_id) == []
    await sales.session.close()


async def test_pipelines_are_created_blank_or_copied_renamed_and_reordered(
    app: Litestar, tenant: TenantKit
) -> None:
    await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        copy = await pipelines.create_pipeline(session, owner, ENTITY, "大客户", copy_from=projects)
        copied = await workflows.current(session, ENTITY, key=copy.key)
        assert copied.definition.keys() == ("tender", "proposal", "won", "lost")
        blank = await pipelines.create_pipeline(session, owner, ENTITY, "以旧换新")
        assert (await workflows.current(session, ENTITY, key=blank.key)).definition.keys()[0] == "qualify"
        # The same name in another case is a duplicate; so is an empty or too long one.
        for name, code in (("工程/团购", "duplicate_name"), ("  ", "required"), ("长" * 61, "too_long")):
            with pytest.raises(ValidationFailed) as caught:
                await pipelines.create_pipeline(session, owner, ENTITY, name)
            assert codes(caught.value) == [("name", code)]
        with pytest.raises(ValidationFailed) as caught:
            await pipelines.update_pipeline(session, owner, ENTITY, blank.key, name="大客户")
        assert codes(caught.value) == [("name", "duplicate_name")]
        await pipelines.update_pipeline(
            session, owner, ENTITY, blank.key, name="以旧换新（家电）", position=0
        )
        with pytest.raises(ValidationFailed) as caught:
            await pipelines.update_pipeline(session, owner, ENTITY, blank.key, position=9)
        assert codes(caught.value) == [("position", "out_of_range")]
        rows = await pipelines.list_pipelines(session, owner, ENTITY)
        assert [r.name for r in rows] == ["以旧换新（家电）", "销售管道", "工程/团购", "大客户"]
        # The first one is now where new deals go.
        assert await pipelines.default_key(session, ENTITY) == blank.key


async def test_archiving_is_refused_with_the_open_count_and_for_the_last_pipeline(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    first = await sales.create(deal(world, pipeline=projects))
    await sales.create(deal(world, pipeline=projects))
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await pipelines.archive_pipeline(session, owner, ENTITY, projects)
        assert codes(caught.value) == [("key", "open_records")]
        assert pipelines.open_count_of(caught.value) == 2
    # Closed deals do not hold it back.
    for d in (await sales.page([])).items:
        if d.pipeline == projects:
            await sales.move(d.id, "lost", d.version)
    assert first.id
    async with app.state.db.tenant_session(tenant.schema) as session:
        archived = await pipelines.archive_pipeline(session, owner, ENTITY, projects)
        assert archived.archived_at is not None
        with pytest.raises(ValidationFailed) as caught:
            await pipelines.archive_pipeline(session, owner, ENTITY, "default")
        assert codes(caught.value) == [("key", "last_pipeline")]
        names = [r.name for r in await pipelines.list_pipelines(session, owner, ENTITY, archived=False)]
        assert names == ["销售管道"]
    await sales.session.close()


async def test_only_workflow_managers_edit_pipelines_and_single_workflow_entities_have_none(
    app: Litestar, tenant: TenantKit
) -> None:
    await open_pipeline(app, tenant)
    salesperson = await actor(app, tenant, "sales_a")
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(PermissionDenied):
            await pipelines.create_pipeline(session, salesperson, ENTITY, "我的管道")
        with pytest.raises(PermissionDenied):
            await pipelines.archive_pipeline(session, salesperson, ENTITY, "default")
        # Customers keep exactly one workflow: no pipelines, no second key.
        from app.domain import NotFound

        with pytest.raises(NotFound):
            await pipelines.create_pipeline(session, owner, "customer", "第二条")
        with pytest.raises(NotFound):
            await workflows.get_workflow(session, owner, "customer", "p123")


async def test_board_list_filter_and_forecast_read_one_pipeline_or_all(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    close = date(2027, 2, 10)
    await sales.create(deal(world, amount="1000", expected_close=close.isoformat()))
    await sales.create(deal(world, amount="4000", expected_close=close.isoformat(), pipeline=projects))
    retail_board = await sales.board()
    project_board = await sales.board(pipeline=projects)
    assert [(c.stage.key, c.count) for c in retail_board if c.count] == [("qualify", 1)]
    assert [(c.stage.key, c.count, str(c.total)) for c in project_board if c.count] == [
        ("tender", 1, "4000.00")
    ]
    with pytest.raises(ValidationFailed):
        await sales.board(pipeline="nope")
    only_projects = await sales.page(opportunity_conditions(pipeline=projects))
    assert [d.pipeline for d in only_projects.items] == [projects]
    # Home card: every pipeline's open deals, stages of the same name summed.
    assert await sales.open_by_stage() == [
        ("初步接洽", 1000), ("需求确认", 0), ("方案报价", 0), ("商务谈判", 0), ("招标", 4000),
    ]  # fmt: skip
    await sales.session.close()
    forecasts = await targets(app, tenant, "sales_a")
    month = date(2027, 2, 1)
    every = await forecasts.forecast(month, 1)
    # 1,000 × 10 % (qualify) + 4,000 × 20 % (tender): each deal weighed by its own pipeline.
    assert str(every.total.months[month].weighted) == "900.00"
    one = await forecasts.forecast(month, 1, projects)
    assert str(one.total.months[month].weighted) == "800.00"
    with pytest.raises(ValidationFailed):
        await forecasts.forecast(month, 1, "nope")
    await forecasts.session.close()


async def test_a_workflow_edit_counts_records_in_removed_states_per_pipeline(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    projects = await make_projects(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, pipeline=projects, expected_close="2027-03-01"))
    await sales.move(created.id, "proposal", created.version)  # "proposal": a key both pipelines have
    await sales.session.close()
    owner = await actor(app, tenant, "owner")

    def without_proposal(document: dict[str, Any]) -> dict[str, Any]:
        return {
            "states": [s for s in document["states"] if s["key"] != "proposal"],
            "transitions": [t for t in document["transitions"] if "proposal" not in (t["from"], t["to"])],
        }

    async with app.state.db.tenant_session(tenant.schema) as session:
        default = await workflows.current(session, ENTITY)
        # No deal of the default pipeline is in its proposal stage: the edit is saved there...
        saved = await workflows.update_workflow(
            session, owner, ENTITY, without_proposal(default.definition.as_json()), default.version
        )
        assert (saved.key, saved.version) == ("default", default.version + 1)
        # ...while the projects pipeline's deal holds its own.
        mine = await workflows.current(session, ENTITY, key=projects)
        with pytest.raises(StatesInUse) as caught:
            await workflows.update_workflow(
                session, owner, ENTITY, without_proposal(mine.definition.as_json()), mine.version, projects
            )
        assert caught.value.counts == {"proposal": 1}
        assert (await workflows.current(session, ENTITY, key=projects)).version == mine.version
