"""Running a customer export: the requester's scope, the filters, Chinese text and formula-proof cells.

Salesperson 张伟 (sales_a) owns some customers, 李娜 (sales_b) others. An export 张伟 asks for holds
only his, as the list showed him; it is written once, atomically, and its run can be repeated safely.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from crm_testkit import TenantKit, actor
from litestar import Litestar
from openpyxl import load_workbook
from sqlalchemy import update

from app.accounts.models import User
from app.customers import service as customers
from app.customers.repository import CustomerFilter
from app.customers.validation import CustomerInput
from app.exports import repository as repo
from app.exports import service as exports
from app.exports.files import CHILD_HEADERS
from app.exports.files import HEADERS as BUILT_IN
from app.exports.models import ExportJob, ExportStatus
from app.settings import get_settings

# The built-in columns, then (no custom fields here) the contacts and addresses.
HEADERS = (*BUILT_IN, *CHILD_HEADERS)


async def add(app: Litestar, kit: TenantKit, by: str, name: str, **fields: object) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        customer = await customers.create_customer(
            session, await actor(app, kit, by), CustomerInput(name=name, **fields)
        )
        return customer.id


async def request(app: Litestar, kit: TenantKit, by: str, fmt: str, **filters: object) -> ExportJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await exports.request_customer_export(
            session, await actor(app, kit, by), CustomerFilter(**filters), fmt
        )


async def reload(app: Litestar, kit: TenantKit, export_id: uuid.UUID) -> ExportJob:
    async with app.state.db.tenant_session(kit.schema) as session:
        job = await session.get(ExportJob, export_id)
        assert job is not None
        return job


def final_path(kit: TenantKit, job: ExportJob) -> Path:
    return get_settings().files_dir / kit.schema / "exports" / f"{job.id}.{job.format}"


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    # The BOM is what makes Excel read the file as UTF-8 rather than GBK.
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def test_csv_holds_only_the_requesters_customers_in_chinese(app: Litestar, tenant: TenantKit) -> None:
    await add(
        app,
        tenant,
        "sales_a",
        "张三丰",
        mobile="13812345678",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        address_detail="文三路 90 号",
        status="interested",
        tier="vip",
        source="walk_in",
        tags=["冰箱", "老客户"],
        notes="想换双开门冰箱",
    )
    await add(app, tenant, "sales_a", "欧阳娜娜", kind="company", status="won")
    await add(app, tenant, "sales_b", "李娜的客户", status="lead")
    job = await request(app, tenant, "sales_a", "csv")

    outcome = await exports.run_customer_export(app.state.db, tenant.schema, job.id)

    done = await reload(app, tenant, job.id)
    assert outcome.startswith("done") and done.status == ExportStatus.DONE
    assert (done.rows_done, done.rows_total, done.attempts) == (2, 2, 1)
    assert done.file_name == f"{job.id}.csv" and done.finished_at is not None
    rows = read_csv(final_path(tenant, job))
    assert tuple(rows[0]) == HEADERS
    by_name = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    # 李娜's customer is outside 张伟's scope, so it is not in his file.
    assert set(by_name) == {"张三丰", "欧阳娜娜"}
    zhang = by_name["张三丰"]
    assert (zhang["手机"], zhang["省"], zhang["市"], zhang["区"]) == (
        "13812345678",
        "浙江省",
        "杭州市",
        "西湖区",
    )
    assert (zhang["状态"], zhang["等级"], zhang["来源"], zhang["类型"]) == ("意向", "VIP", "门店到访", "个人")
    assert set(zhang["标签"].split("，")) == {"冰箱", "老客户"}
    assert zhang["负责人"] == "张伟" and zhang["备注"] == "想换双开门冰箱"
    assert by_name["欧阳娜娜"]["类型"] == "企业" and by_name["欧阳娜娜"]["状态"] == "成交"
    # No partial file is left next to the finished one.
    assert [p.name for p in final_path(tenant, job).parent.iterdir()] == [f"{job.id}.csv"]


async def test_xlsx_honours_the_search_filter_and_neutralises_formulas(
    app: Litestar, tenant: TenantKit
) -> None:
    await add(
        app,
        tenant,
        "sales_a",
        "王小明",
        notes='=HYPERLINK("http://evil.example","点我")',
        address_detail="@SUM(1+1)*cmd|' /C calc'!A0",
        birthday="1990-05-01",
    )
    await add(app, tenant, "sales_a", "王大明", notes="+86 与 -1 开头")
    await add(app, tenant, "sales_a", "赵六", notes="不该出现")
    job = await request(app, tenant, "sales_a", "xlsx", search="明")

    await exports.run_customer_export(app.state.db, tenant.schema, job.id, batch_size=1)

    done = await reload(app, tenant, job.id)
    assert done.status == ExportStatus.DONE and done.rows_done == 2
    sheet = load_workbook(final_path(tenant, job), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == HEADERS
    by_name = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"王小明", "王大明"}
    small = by_name["王小明"]
    # Shown as text with a leading quote, never evaluated as a formula.
    assert small["备注"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert small["详细地址"].startswith("'@SUM")
    assert by_name["王大明"]["备注"] == "'+86 与 -1 开头"
    assert isinstance(small["创建时间"], datetime) and small["生日"].date().isoformat() == "1990-05-01"


async def test_a_status_filter_and_a_manager_team_scope(app: Litestar, tenant: TenantKit) -> None:
    await add(app, tenant, "sales_a", "甲 成交", status="won")
    await add(app, tenant, "sales_a2", "乙 成交", status="won")
    await add(app, tenant, "sales_a2", "丙 潜在", status="lead")
    await add(app, tenant, "sales_b", "丁 成交", status="won")
    # 刘洋 manages 门店一组 (张伟 and 王芳), not 李娜's team.
    job = await request(app, tenant, "manager_a", "csv", status="won")
    await exports.run_customer_export(app.state.db, tenant.schema, job.id)
    names = {r[0] for r in read_csv(final_path(tenant, await reload(app, tenant, job.id)))[1:]}
    assert names == {"甲 成交", "乙 成交"}


async def test_a_done_export_is_not_run_twice(app: Litestar, tenant: TenantKit) -> None:
    """arq may deliver a job more than once; the second delivery changes nothing."""
    await add(app, tenant, "sales_a", "钱七")
    job = await request(app, tenant, "sales_a", "csv")
    await exports.run_customer_export(app.state.db, tenant.schema, job.id)
    first = await reload(app, tenant, job.id)
    mtime = final_path(tenant, job).stat().st_mtime_ns

    again = await exports.run_customer_export(app.state.db, tenant.schema, job.id)

    second = await reload(app, tenant, job.id)
    assert again == "skipped: done"
    assert (second.attempts, second.finished_at) == (first.attempts, first.finished_at)
    assert final_path(tenant, job).stat().st_mtime_ns == mtime


async def test_scope_is_taken_from_the_requester_at_run_time(app: Litestar, tenant: TenantKit) -> None:
    """A salesperson deactivated after asking gets no file: the run checks who they are now."""
    await add(app, tenant, "sales_a", "孙八")
    job = await request(app, tenant, "sales_a", "xlsx")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(update(User).where(User.id == tenant.people["sales_a"]).values(is_active=False))
        await session.commit()

    assert await exports.run_customer_export(app.state.db, tenant.schema, job.id) == "failed"

    failed = await reload(app, tenant, job.id)
    assert failed.status == ExportStatus.FAILED and failed.error and "no longer" in failed.error
    assert failed.file_name is None and not final_path(tenant, job).exists()
    assert list(final_path(tenant, job).parent.glob("*")) == []  # the partial file is gone too


async def test_a_superseded_run_can_no_longer_report(app: Litestar, tenant: TenantKit) -> None:
    """Once a dead-looking run is re-queued and claimed again, the old attempt's updates match nothing."""
    job = await request(app, tenant, "sales_a", "csv")
    db = app.state.db
    async with db.tenant_session(tenant.schema) as session:
        first = await repo.claim(session, job.id, exports.utcnow())
        await session.commit()
        assert first is not None and first.attempts == 1
        # Its heartbeat goes quiet; later, the sweep queues it again and another worker claims it.
        assert await repo.requeue(session, job.id, stale_before=exports.utcnow() + timedelta(minutes=5))
        second = await repo.claim(session, job.id, exports.utcnow())
        await session.commit()
        assert second is not None and second.attempts == 2
        assert not await repo.record_progress(session, job.id, 1, 10, exports.utcnow())
        assert not await repo.mark_done(
            session, job.id, 1, file_name="x.csv", rows_done=10, now=exports.utcnow()
        )
        assert await repo.record_progress(session, job.id, 2, 5, exports.utcnow())
        await session.commit()
    current = await reload(app, tenant, job.id)
    assert (current.status, current.rows_done, current.file_name) == (ExportStatus.RUNNING, 5, None)


async def test_a_tenant_at_its_storage_quota_gets_no_new_export_file(
    app: Litestar, tenant: TenantKit
) -> None:
    """Exports are files: a tenant whose files already fill its plan's storage gets a failed export
    that says why, and no file."""
    await add(app, tenant, "sales_a", "储存满客户")
    folder = get_settings().files_dir / tenant.schema / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "old-backlog.xlsx").open("wb") as fh:
        fh.truncate(2000 * 1024 * 1024)  # sparse: 2,000 MB on paper, past the trial plan's 1,024 MB
    job = await request(app, tenant, "sales_a", "csv")

    outcome = await exports.run_customer_export(app.state.db, tenant.schema, job.id)

    failed = await reload(app, tenant, job.id)
    assert outcome == "failed" and failed.status == ExportStatus.FAILED
    # The reason names the quota, in the tenant's language (zh-CN by default).
    assert failed.error and "1,024 MB" in failed.error and "文件存储" in failed.error
    assert not final_path(tenant, job).exists()


async def test_the_worker_labels_files_with_the_screens_catalog(app: Litestar) -> None:
    """Exports run in the worker process, which has no web app: its start-up loads the admin's
    catalogs, so a file says 门店到访 exactly where the customer list does (one label source)."""
    from app import i18n
    from app.exports.files import FILE_LOCALE
    from workers.settings import TRANSLATIONS

    saved = dict(i18n._catalogs)
    i18n._catalogs.clear()
    try:
        assert i18n.translate("Store visit", FILE_LOCALE) == "Store visit"  # nothing loaded yet
        i18n.load_catalogs(TRANSLATIONS)
        assert i18n.translate("Store visit", FILE_LOCALE) == "门店到访"
    finally:
        i18n._catalogs.clear()
        i18n._catalogs.update(saved)
