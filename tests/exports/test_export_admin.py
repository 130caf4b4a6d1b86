"""Exports in the admin: starting one, following it, downloading it (only its requester), retrying it.

张伟 (sales_a) exports his customers; 王芳 (sales_a2), a colleague on the same team, must not get his
file; 李静 (admin) may; 周敏 (viewer) may not export at all; nobody reaches another tenant's export.
"""

from __future__ import annotations

import csv
import io
import uuid
from urllib.parse import quote

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.exports import repository as repo
from app.exports import service as exports
from app.exports.models import ExportJob, ExportStatus
from app.runtime import QUEUE_NAME


async def add(app: Litestar, kit: TenantKit, by: str, name: str, **fields: object) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await customers.create_customer(
            session, await actor(app, kit, by), CustomerInput(name=name, **fields)
        )


async def exports_of(app: Litestar, kit: TenantKit) -> list[ExportJob]:
    async with app.state.db.tenant_session(kit.schema) as session:
        return list((await session.scalars(select(ExportJob).order_by(ExportJob.created_at))).all())


async def start(app: Litestar, kit: TenantKit, who: str, **form: str) -> ExportJob:
    """``who`` presses Export on the customer list; returns the export it created."""
    client = await logged_in(app, kit, who)
    before = {job.id for job in await exports_of(app, kit)}
    response = await client.post_form("/exports", {"format": "csv", **form})
    assert response.status_code == 303, response.text
    (job,) = [job for job in await exports_of(app, kit) if job.id not in before]
    assert response.headers["location"] == f"/exports?started={job.id}"
    return job


async def finish(app: Litestar, kit: TenantKit, job: ExportJob) -> None:
    """What the worker does with the job (the real worker runs in tests/workers)."""
    assert (await exports.run_customer_export(app.state.db, kit.schema, job.id)).startswith("done")


async def test_pressing_export_queues_a_job_with_the_lists_filters(app: Litestar, tenant: TenantKit) -> None:
    job = await start(app, tenant, "sales_a", format="xlsx", q="张", status="won", owner="")

    assert (job.status, job.format, job.requested_by) == (
        ExportStatus.QUEUED,
        "xlsx",
        tenant.people["sales_a"],
    )
    # The customer list's ``q`` arrives as the filter's search; empty fields are no filter at all.
    assert job.filters == {"search": "张", "status": "won"}
    # Handed to the worker under its natural key, so enqueueing again cannot make a second job.
    arq_id = exports.arq_job_id(tenant.schema, job.id)
    assert await app.state.redis.exists(f"arq:job:{arq_id}")
    assert await app.state.redis.zscore(QUEUE_NAME, arq_id) is not None
    assert await exports.enqueue_export(app.state.arq, tenant.schema, job.id) is False
    async with app.state.db.tenant_session(tenant.schema) as session:
        audit = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.entity == "export", AuditRecord.entity_id == str(job.id)
                )
            )
        ).all()
    assert [(a.action, a.actor_id, a.after["format"]) for a in audit] == [
        ("request", tenant.people["sales_a"], "xlsx")
    ]


async def test_the_exports_page_polls_while_running_and_offers_the_file_when_done(
    app: Litestar, tenant: TenantKit
) -> None:
    await add(app, tenant, "sales_a", "张三丰")
    job = await start(app, tenant, "sales_a")
    client = await logged_in(app, tenant, "sales_a")

    waiting = await client.get("/exports")
    assert waiting.status_code == 200
    assert 'hx-get="/exports/rows"' in waiting.text and 'hx-trigger="every 2s"' in waiting.text
    assert "排队中" in waiting.text
    assert f"/exports/{job.id}/download" not in waiting.text

    await finish(app, tenant, job)

    fragment = await client.get("/exports/rows", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<tbody")
    # Nothing is running any more, so the fragment stops the polling.
    assert "hx-trigger" not in fragment.text
    assert f"/exports/{job.id}/download" in fragment.text and "1 / 1" in fragment.text


async def test_download_is_the_finished_file_with_a_chinese_name(app: Litestar, tenant: TenantKit) -> None:
    await add(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    job = await start(app, tenant, "sales_a")
    await finish(app, tenant, job)
    client = await logged_in(app, tenant, "sales_a")

    response = await client.get(f"/exports/{job.id}/download")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" + quote("客户导出-") in disposition
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:4] == ["张三丰", "个人", "", "13812345678"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        actions = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(job.id)))
        ).all()
    assert sorted(actions) == ["download", "request"]


async def test_only_the_requester_or_an_admin_downloads(app: Litestar, tenant: TenantKit) -> None:
    await add(app, tenant, "sales_a", "张三丰")
    job = await start(app, tenant, "sales_a")
    await finish(app, tenant, job)

    colleague = await logged_in(app, tenant, "sales_a2")
    assert (await colleague.get(f"/exports/{job.id}/download")).status_code == 404
    assert str(job.id) not in (await colleague.get("/exports")).text
    admin = await logged_in(app, tenant, "admin")
    assert (await admin.get(f"/exports/{job.id}/download")).status_code == 200
    assert "张伟" in (await admin.get("/exports")).text  # administrators see who asked


async def test_an_unfinished_or_unknown_export_is_not_found(app: Litestar, tenant: TenantKit) -> None:
    job = await start(app, tenant, "sales_a")
    client = await logged_in(app, tenant, "sales_a")
    assert (await client.get(f"/exports/{job.id}/download")).status_code == 404
    assert (await client.get(f"/exports/{uuid.uuid4()}/download")).status_code == 404
    assert (await client.get("/exports/not-a-uuid/download")).status_code == 404


async def test_another_tenants_export_is_out_of_reach(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    await add(app, other_tenant, "sales_a", "别家的客户")
    theirs = await start(app, other_tenant, "sales_a")
    await finish(app, other_tenant, theirs)
    ours = await logged_in(app, tenant, "owner")

    assert (await ours.get(f"/exports/{theirs.id}/download")).status_code == 404
    assert (await ours.post_form(f"/exports/{theirs.id}/retry", {})).status_code == 404
    assert str(theirs.id) not in (await ours.get("/exports")).text


async def test_an_unknown_format_is_refused_and_nothing_is_queued(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    queued = await app.state.redis.zcard(QUEUE_NAME)

    for form in (
        {"format": "pdf"},
        {"format": ""},
        {"format": "csv", "status": "vip-ish"},
        {"format": "csv", "owner": "x"},
    ):
        response = await client.post_form("/exports", form)
        assert response.status_code == 400, form
        assert 'role="alert"' in response.text

    bad_format = await client.post_form("/exports", {"format": "pdf"})
    assert "请选择 CSV 或 Excel 作为导出格式" in bad_format.text
    assert await exports_of(app, tenant) == []
    assert await app.state.redis.zcard(QUEUE_NAME) == queued


async def test_a_viewer_may_not_export(app: Litestar, tenant: TenantKit) -> None:
    viewer = await logged_in(app, tenant, "viewer")
    assert (await viewer.post_form("/exports", {"format": "csv"})).status_code == 403
    assert (await viewer.get("/exports")).status_code == 403
    assert await exports_of(app, tenant) == []


async def test_export_without_csrf_token_is_refused(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    assert (await client.post("/exports", data={"format": "csv"})).status_code == 403
    assert await exports_of(app, tenant) == []


async def test_a_failed_export_can_be_retried_and_a_done_one_cannot(app: Litestar, tenant: TenantKit) -> None:
    await add(app, tenant, "sales_a", "张三丰")
    failed = await start(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        claimed = await repo.claim(session, failed.id, exports.utcnow())
        assert claimed is not None
        await repo.mark_failed(session, failed.id, claimed.attempts, "disk full", exports.utcnow())
        await session.commit()
    client = await logged_in(app, tenant, "sales_a")
    page = await client.get("/exports")
    assert f"/exports/{failed.id}/retry" in page.text and "失败" in page.text

    retried = await client.post_form(f"/exports/{failed.id}/retry", {})

    assert retried.status_code == 303
    (job,) = await exports_of(app, tenant)
    assert (job.status, job.error, job.attempts) == (ExportStatus.QUEUED, None, 1)
    await finish(app, tenant, job)
    (job,) = await exports_of(app, tenant)
    assert (job.status, job.attempts) == (ExportStatus.DONE, 2)
    again = await client.post_form(f"/exports/{failed.id}/retry", {})
    assert again.status_code == 409 and "只有失败或已中断的导出可以重试" in again.text


async def test_export_button_carries_the_lists_filters(app: Litestar, tenant: TenantKit) -> None:
    """The partial the customer list includes: hidden fields mirror the list's query string."""
    from app.customers.repository import CustomerFilter
    from web.controllers.customers import CUSTOMER_LIST
    from web.kit.lists import parse_list_query

    template = app.template_engine.get_template("exports/_button.html")  # type: ignore[union-attr]
    params = {"q": "张 三", "status": "won", "owner": "", "size": "50", "sort": "name"}

    class Request:
        scope: dict[str, object] = {"state": {"csrf_token": "tok"}}

    class Page:
        total = 3  # the button is offered only for a list with rows

    class View:
        query = parse_list_query(CUSTOMER_LIST, CustomerFilter, params, 100)
        page = Page()

    html = template.render(request=Request(), view=View(), actor=await actor(app, tenant, "sales_a"))
    # The list's own (checked) parameter names, read back by the same filter spec; paging and sort stay.
    assert 'name="q" value="张 三"' in html and 'name="status" value="won"' in html
    assert 'name="owner"' not in html and 'name="size"' not in html and 'name="sort"' not in html
    assert 'name="_csrf" value="tok"' in html
    nobody = template.render(request=Request(), view=View(), actor=await actor(app, tenant, "viewer"))
    assert "<form" not in nobody
