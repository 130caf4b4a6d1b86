"""Pipelines in the admin: the owner adds 工程/团购 as a copy, renames and reorders it, and is told
how many open deals hold back an archive; the board switches pipelines and remembers the choice; a
deal's page moves it to another pipeline; a salesperson may not manage pipelines."""

from __future__ import annotations

from crm_testkit import TenantKit, logged_in
from litestar import Litestar
from pipeline_world import deal, deals, open_pipeline

from app.workflows import repository as workflows_repo


async def test_the_owner_manages_pipelines_and_the_board_switches_between_them(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    owner = await logged_in(app, tenant, "owner")
    listed = await owner.get("/opportunities/pipelines")
    assert listed.status_code == 200 and "销售管道" in listed.text
    added = await owner.post_form("/opportunities/pipelines", {"name": "工程/团购", "copy_from": "default"})
    assert added.status_code == 303
    async with app.state.db.tenant_session(tenant.schema) as session:
        rows = await workflows_repo.pipelines(session, "opportunity")
    key = next(r.key for r in rows if r.name == "工程/团购")
    # A duplicate name is refused with the reason, nothing added.
    twice = await owner.post_form("/opportunities/pipelines", {"name": "工程/团购"})
    assert twice.status_code == 422 and "已有同名的管道" in twice.text
    renamed = await owner.post_form(f"/opportunities/pipelines/{key}", {"name": "工程团购", "position": "0"})
    assert renamed.status_code == 303

    sales = await deals(app, tenant, "sales_a")
    created = await sales.create(deal(world, name="万科精装项目", pipeline=key))
    retail = await sales.create(deal(world, name="李先生换冰箱", pipeline="default"))
    deal_id, retail_id = created.id, retail.id
    await sales.session.close()

    refused = await owner.post_form(f"/opportunities/pipelines/{key}/archive", {})
    assert refused.status_code == 422 and "还有 1 个进行中的商机" in refused.text

    zhang = await logged_in(app, tenant, "sales_a")
    board = await zhang.get("/opportunities")  # the first pipeline is now the default
    assert "万科精装项目" in board.text and "李先生换冰箱" not in board.text
    other = await zhang.get("/opportunities?pipeline=default")
    assert "李先生换冰箱" in other.text and "万科精装项目" not in other.text
    remembered = await zhang.get("/opportunities")  # the choice is remembered
    assert "李先生换冰箱" in remembered.text

    page = await zhang.get(f"/opportunities/{retail_id}")
    assert "移到其他管道" in page.text
    moved = await zhang.post_form(f"/opportunities/{retail_id}/pipeline", {"pipeline": key, "version": "1"})
    assert moved.status_code == 303
    bad = await zhang.post_form(f"/opportunities/{deal_id}/pipeline", {"pipeline": "nope", "version": "1"})
    assert bad.status_code == 422 and "请选择一条销售管道" in bad.text
    # Salespeople do not manage pipelines.
    assert (await zhang.get("/opportunities/pipelines")).status_code == 403
    assert (await zhang.post_form(f"/opportunities/pipelines/{key}/archive", {})).status_code == 403


async def test_the_list_switches_pipelines_and_offers_the_chosen_pipelines_stages(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    owner = await logged_in(app, tenant, "owner")
    await owner.post_form("/opportunities/pipelines", {"name": "工程/团购", "copy_from": "default"})
    async with app.state.db.tenant_session(tenant.schema) as session:
        rows = await workflows_repo.pipelines(session, "opportunity")
    key = next(r.key for r in rows if r.name == "工程/团购")
    sales = await deals(app, tenant, "sales_a")
    await sales.create(deal(world, name="万科精装项目", pipeline=key))
    await sales.create(deal(world, name="李先生换冰箱", pipeline="default"))
    await sales.session.close()
    zhang = await logged_in(app, tenant, "sales_a")

    everything = await zhang.get("/opportunities/list")
    assert "万科精装项目" in everything.text and "李先生换冰箱" in everything.text
    # The switcher offers both pipelines by name; "All" is the default.
    assert f'<option value="{key}" >工程/团购</option>' in everything.text
    project = await zhang.get("/opportunities/list", params={"pipeline": key})
    assert project.status_code == 200
    assert "万科精装项目" in project.text and "李先生换冰箱" not in project.text
    assert f'<option value="{key}" selected>工程/团购</option>' in project.text
    # The board link keeps the choice, and so does the board's link back to the list.
    assert f'href="/opportunities?pipeline={key}"' in project.text
    board = await zhang.get("/opportunities", params={"pipeline": key})
    assert f'href="/opportunities/list?pipeline={key}"' in board.text
    # A stage narrows within the chosen pipeline.
    staged = await zhang.get("/opportunities/list", params={"pipeline": "default", "stage": "qualify"})
    assert "李先生换冰箱" in staged.text and "万科精装项目" not in staged.text
    # A pipeline that does not exist (an old link) is ignored with a message: every deal is shown.
    stale = await zhang.get("/opportunities/list", params={"pipeline": "nope"})
    assert stale.status_code == 400 and "“nope”" in stale.text
    assert "万科精装项目" in stale.text and "李先生换冰箱" in stale.text
