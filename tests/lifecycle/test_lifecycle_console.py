"""The operators' console at scale: the tenant list is 50 a page from one usage table (it never reads a
tenant's schema, however many tenants there are); a tenant's page shows usage against its plan's
limits and its health; the jobs page, the platform audit log (filters, append-only) and the mail
page (tokens hidden).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from crm_testkit import TenantKit
from lifecycle_kit import audit_entries, console_for, new_operator
from litestar import Litestar
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.platform import jobs, usage
from tenancy import registry
from tenancy.naming import schema_for

_batch = itertools.count(1)


async def _no_seed(_conn: AsyncConnection, _schema: str) -> None:
    return None


@contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """Every SQL statement the app runs inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def fifty_one_dealers(app: Litestar) -> AsyncIterator[str]:
    """51 dealers whose names start with the prefix yielded. The list never reads a tenant's schema
    (the test asserts it), so they are registry rows with empty schemas, provisioned as sign-up does
    it without 51 x 200 tables nobody reads; and gone afterwards, so no later test in this run meets a
    dealer without tables (the worker's sweeps go over every tenant)."""
    prefix = f"pg{next(_batch)}x{uuid.uuid4().hex[:4]}"
    slugs = [f"{prefix}-{n:02d}" for n in range(51)]
    for n, slug in enumerate(slugs):
        await registry.provision_tenant(
            app.state.db.engine,
            slug=slug,
            name=f"分页家电{n}",
            admin_email=f"o{n}@{prefix}.example",
            metadata=MetaData(),
            seed=_no_seed,
        )
    yield prefix
    async with app.state.db.engine.begin() as conn:
        for slug in slugs:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema_for(slug)}" CASCADE'))
        await conn.execute(text("DELETE FROM public.tenants WHERE slug = ANY(:s)"), {"s": slugs})
        await conn.execute(text("DELETE FROM public.tenant_usage WHERE tenant_slug = ANY(:s)"), {"s": slugs})


async def test_the_tenant_list_is_paged_and_reads_only_platform_tables(
    app: Litestar, fifty_one_dealers: str
) -> None:
    prefix = fifty_one_dealers
    console = await console_for(app, await new_operator(app))

    with statements(app) as seen:
        first = await console.get("/operator", params={"q": prefix})

    assert first.status_code == 200
    assert len(re.findall(r'<tr id="tenant-', first.text)) == 50
    assert "共 51 个租户，第 1/2 页" in first.text
    assert f'href="/operator?q={prefix}&amp;page=2"' in first.text
    # Newest first: the last one signed up leads.
    assert first.text.index(f'id="tenant-{prefix}-50"') < first.text.index(f'id="tenant-{prefix}-49"')
    tenant_schemas = [s for s in seen if re.search(r"\bt_[a-z0-9_]+\.", s)]
    assert tenant_schemas == [], tenant_schemas
    assert len(seen) <= 6, seen
    second = await console.get("/operator", params={"q": prefix, "page": "2"})
    assert len(re.findall(r'<tr id="tenant-', second.text)) == 1 and f'id="tenant-{prefix}-00"' in second.text
    # Filters combine: status and plan.
    none = await console.get("/operator", params={"q": prefix, "status": "suspended"})
    assert '<tr id="tenant-' not in none.text
    trial = await console.get("/operator", params={"q": prefix, "plan": "trial", "page": "9"})
    assert "第 2/2 页" in trial.text  # an out-of-range page shows the last one


async def test_a_tenants_page_shows_usage_against_the_plan_and_health(
    app: Litestar, tenant: TenantKit
) -> None:
    console = await console_for(app, await new_operator(app))
    page = await console.get(f"/operator/tenants/{tenant.slug}")
    assert page.status_code == 200
    usage_table = re.search(r'<table class="list" id="usage">.*?</table>', page.text, re.S)
    assert usage_table
    rows = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", usage_table.group(0), re.S)
        if "<td" in r
    ]
    assert rows == [
        ["员工账号", "11", "20"],  # row headings are nouns, not counting words ("个员工账号 11")
        ["客户", "0", "5,000"],
        ["文件存储（MB）", "0", "1,024"],
        ["每日 API 调用", "0", "10,000"],
    ]
    # Plans read as what they hold, never "不限 名员工".
    assert "企业版 — 员工不限，客户不限" in page.text and "名员工，" in page.text
    assert "最近一次已验证备份" in page.text and "无已验证备份" in page.text
    assert "试用结束" in page.text and 'data-plan="trial"' in page.text


async def test_an_unknown_tenant_page_is_not_found(app: Litestar) -> None:
    console = await console_for(app, await new_operator(app))
    assert (await console.get("/operator/tenants/no-such-dealer")).status_code == 404
    for action in ("plan", "delete", "restore", "support"):
        response = await console.post_form(
            f"/operator/tenants/no-such-dealer/{action}", {"plan": "pro", "confirm": "no-such-dealer"}
        )
        assert response.status_code == 404, action


async def test_the_jobs_page_shows_the_queue_and_failed_exports_page_by_page(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed exports are read from one page of tenants at a time (here one tenant per page)."""
    monkeypatch.setattr(jobs, "TENANTS_PER_PAGE", 1)
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {tenant.schema}.export_jobs "
                "(entity, format, filters, requested_by, status, attempts, rows_done, error) "
                "VALUES ('customer', 'csv', '{}', :who, 'failed', 3, 0, '磁盘已满，导出失败')"
            ),
            {"who": tenant.people["owner"]},
        )
        position = {
            slug: int(await conn.scalar(
                text("SELECT count(*) FROM public.tenants WHERE status <> 'purged' AND slug < :s"),
                {"s": slug},
            )) + 1
            for slug in (tenant.slug, other_tenant.slug)
        }  # fmt: skip
    await app.state.arq.enqueue_job("no_such_job", _job_id=f"jobs-page-{uuid.uuid4().hex}", _defer_by=3600)
    console = await console_for(app, await new_operator(app))

    page = await console.get("/operator/jobs", params={"page": str(position[tenant.slug])})

    assert page.status_code == 200
    queued = re.search(r'id="queue-length">([\d,]+)<', page.text)
    assert queued and int(queued.group(1).replace(",", "")) >= 1
    failed = re.search(r'<table class="list" id="failed-exports">.*?</table>', page.text, re.S)
    assert failed and tenant.slug in failed.group(0) and "磁盘已满，导出失败" in failed.group(0)
    other_page = await console.get("/operator/jobs", params={"page": str(position[other_tenant.slug])})
    assert "磁盘已满，导出失败" not in other_page.text and "本页租户没有失败的任务" in other_page.text


async def test_operator_actions_are_in_the_platform_audit_log_with_filters(
    app: Litestar, tenant: TenantKit
) -> None:
    lin_tao = await new_operator(app)
    console = await console_for(app, lin_tao)
    await console.post_form(f"/operator/tenants/{tenant.slug}/suspend", {})
    await console.post_form(
        f"/operator/tenants/{tenant.slug}/resume", {}, headers={"X-Request-ID": "req-resume-0001"}
    )

    entries = await audit_entries(app, tenant.slug)
    assert [(e["action"], e["operator_email"]) for e in entries] == [
        ("suspend", lin_tao),
        ("resume", lin_tao),
    ]
    assert str(entries[0]["ip"]) == "127.0.0.1" and entries[1]["request_id"] == "req-resume-0001"
    assert [
        e["action"]
        for e in await audit_entries(app, action="operator_login")
        if e["operator_email"] == lin_tao
    ] == ["operator_login"]

    page = await console.get("/operator/audit", params={"tenant_slug": tenant.slug, "action": "resume"})
    listed = re.findall(r'<tr data-action="(\w+)">', page.text)
    assert listed == ["resume"] and lin_tao in page.text
    by_operator = await console.get("/operator/audit", params={"who": lin_tao.split("@")[0]})
    assert set(re.findall(r'<tr data-action="(\w+)">', by_operator.text)) == {
        "operator_login",
        "suspend",
        "resume",
    }
    future = await console.get("/operator/audit", params={"tenant_slug": tenant.slug, "since": "2999-01-01"})
    assert re.findall(r'<tr data-action="(\w+)">', future.text) == []
    bad_date = await console.get(
        "/operator/audit", params={"tenant_slug": tenant.slug, "since": "not-a-date"}
    )
    assert bad_date.status_code == 200  # an unreadable date filters nothing out


async def test_the_platform_audit_log_is_append_only(app: Litestar, tenant: TenantKit) -> None:
    console = await console_for(app, await new_operator(app))
    await console.post_form(f"/operator/tenants/{tenant.slug}/suspend", {})
    for sql in (
        "UPDATE public.platform_audit SET action = 'x' WHERE tenant_slug = :s",
        "DELETE FROM public.platform_audit WHERE tenant_slug = :s",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.state.db.engine.begin() as conn:
                await conn.execute(text(sql), {"s": tenant.slug})
    assert [e["action"] for e in await audit_entries(app, tenant.slug)] == ["suspend"]


async def test_an_operator_lockout_is_audited(app: Litestar) -> None:
    lin_tao = await new_operator(app)
    console = await console_for(app, lin_tao)
    await console.post_form("/operator/logout", {})
    for _ in range(5):
        await console.post_form("/operator/login", {"email": lin_tao, "password": "wrong"})
    assert [
        e["details"]
        for e in await audit_entries(app, action="operator_locked")
        if e["operator_email"] == lin_tao
    ] == [{"minutes": 15}]


async def _signed_up_and_console(app: Litestar) -> tuple[str, Any]:
    from crm_testkit import browser

    slug = f"mailpage-{uuid.uuid4().hex[:6]}"
    visitor = browser(app, "localhost")
    await visitor.post_form(
        "/signup",
        {
            "company_name": "邮件家电",
            "slug": slug,
            "admin_name": "周华",
            "admin_email": f"boss@{slug}.example",
            "admin_password": "x" * 10,
        },
    )  # fmt: skip
    return slug, await console_for(app, await new_operator(app))


async def test_the_mail_page_shows_messages_but_not_their_tokens(app: Litestar, monkeypatch: Any) -> None:
    """Outside a developer's machine the owners' links are theirs to open, not the operators'."""
    monkeypatch.setattr(app.state, "settings", replace(app.state.settings, environment="staging"))
    slug, console = await _signed_up_and_console(app)
    page = await console.get("/operator/mail", params={"to": f"boss@{slug}.example"})
    assert page.status_code == 200 and "请验证邮箱以激活 邮件家电 的经销商CRM账号" in page.text
    assert f"https://{slug}.localhost/verify-email?token=…" in page.text
    assert not re.search(r"token=[A-Za-z0-9_-]{10,}", page.text)


async def test_on_a_developers_machine_without_smtp_the_link_can_be_followed(app: Litestar) -> None:
    """No mail server in development: the console shows the verification link in full, so a local
    sign-up can be finished (the terminal gets it too)."""
    assert app.state.settings.environment == "development" and not app.state.settings.smtp_url
    slug, console = await _signed_up_and_console(app)
    page = await console.get("/operator/mail", params={"to": f"boss@{slug}.example"})
    link = re.search(rf"https://{slug}\.localhost/verify-email\?token=[A-Za-z0-9_.-]{{10,}}", page.text)
    assert link, page.text
    assert "已记录" in page.text


async def test_a_broken_tenant_schema_costs_only_its_own_usage_numbers(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    async with app.state.db.engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {tenant.schema}.customers RENAME TO customers_gone"))
    try:
        report = await usage.refresh_usage(
            app.state.db.engine,
            app.state.redis,
            app.state.settings.files_dir,
            [tenant.slug, other_tenant.slug],
        )
    finally:
        async with app.state.db.engine.begin() as conn:
            await conn.execute(text(f"ALTER TABLE {tenant.schema}.customers_gone RENAME TO customers"))
    assert report.refreshed == [other_tenant.slug] and list(report.failed) == [tenant.slug]
    broken = await usage.console_row(app.state.db.engine, tenant.slug)
    assert broken is not None and broken.usage is not None and "customers" in (broken.usage.error or "")


async def test_the_cron_jobs_run_with_a_workers_context(app: Litestar, tenant: TenantKit) -> None:
    """What arq calls: usage refresh, trial expiry and purge, each idempotent and reporting counts."""
    from workers.jobs.lifecycle import expire_trials, purge_deleted_tenants, refresh_tenant_usage

    ctx = {"db": app.state.db, "redis": app.state.redis, "settings": app.state.settings}
    outcome = await refresh_tenant_usage(ctx)
    assert re.fullmatch(r"refreshed \d+, failed \d+", outcome)
    row = await usage.console_row(app.state.db.engine, tenant.slug)
    assert row is not None and row.users == 11 and row.usage is not None and row.usage.refreshed_at
    assert re.fullmatch(r"expired \d+", await expire_trials(ctx))
    assert re.fullmatch(r"purged \d+, failed 0", await purge_deleted_tenants(ctx))
