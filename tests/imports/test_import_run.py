"""Importing customers from a dealer's spreadsheet: 刘洋 (manager_a, team scope) brings the list
his store kept in Excel. Rows follow the same rules as the form; duplicates follow the chosen
policy; refused rows are kept with their reason; the whole batch can be undone."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from crm_testkit import TenantKit, actor, email_of
from import_helpers import csv_bytes, import_file, reload, upload, xlsx_bytes
from litestar import Litestar
from sqlalchemy import func, select

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import PermissionDenied, ValidationFailed
from app.kit import jobs
from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportRow, ImportStatus

HEADER = [
    "客户名称",
    "手机号码",
    "省份",
    "城市",
    "区县",
    "详细地址",
    "生日",
    "标签",
    "客户来源",
    "客户级别",
    "负责人",
    "备注",
]


async def customers_named(app: Litestar, kit: TenantKit, *names: str) -> dict[str, Customer]:
    async with app.state.db.tenant_session(kit.schema) as session:
        found = (await session.scalars(select(Customer).where(Customer.name.in_(names)))).all()
    return {c.name: c for c in found}


async def live_count(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))
            )
            or 0
        )


async def test_chinese_headers_map_and_rows_become_customers(app: Litestar, tenant: TenantKit) -> None:
    data = csv_bytes(
        [
            HEADER,
            [
                "赵敏",
                "138 0013 8001",
                "广东省",
                "深圳市",
                "南山区",
                "科技园一路1号",
                "1988/5/6",
                "空调，老客户",
                "门店到访",
                "金卡",
                "张伟",
                "要安装",
            ],
            [
                "钱进",
                "13800138002",
                "",
                "",
                "",
                "",
                "1990年1月2日",
                "",
                "referral",
                "VIP",
                email_of(tenant.slug, "sales_a2"),
                "",
            ],
        ]
    )
    batch = await import_file(app, tenant, "manager_a", data)

    assert (batch.status, batch.created_count, batch.rejected_count) == (ImportStatus.DONE, 2, 0), [
        r.problems for r in (await _rejected(app, tenant, batch.id))[1]
    ]
    found = await customers_named(app, tenant, "赵敏", "钱进")
    zhao, qian = found["赵敏"], found["钱进"]
    # Labels in either language become the stored values; the mobile is normalised like the form's.
    assert (zhao.mobile, zhao.source, zhao.tier, zhao.birthday) == (
        "13800138001",
        "walk_in",
        "gold",
        date(1988, 5, 6),
    )
    assert (zhao.province, zhao.city, zhao.district) == ("广东省", "深圳市", "南山区")
    # Owners are matched by a staff member's name or email.
    assert zhao.owner_id == tenant.people["sales_a"]
    assert qian.owner_id == tenant.people["sales_a2"]
    assert (qian.source, qian.tier, qian.birthday) == ("referral", "vip", date(1990, 1, 2))


async def test_gbk_csv_and_wps_style_xlsx_both_read(app: Litestar, tenant: TenantKit) -> None:
    rows = [["姓名", "手机"], ["孙悦", "13900139001"]]
    batch = await import_file(app, tenant, "owner", csv_bytes(rows, "gbk"))
    assert (batch.encoding, batch.created_count) == ("utf-8", 1) or (batch.encoding, batch.created_count) == (
        "gb18030",
        1,
    )
    assert batch.encoding == "gb18030"
    batch = await import_file(
        app, tenant, "owner", xlsx_bytes([["name", "mobile"], ["周杰", 13900139002.0]]), "客户.xlsx"
    )
    assert (batch.format, batch.created_count) == ("xlsx", 1)
    assert (await customers_named(app, tenant, "周杰"))["周杰"].mobile == "13900139002"


async def test_bad_rows_are_refused_with_their_reason_and_the_rest_imported(
    app: Litestar, tenant: TenantKit
) -> None:
    data = csv_bytes(
        [
            HEADER[:3] + ["负责人"],
            ["好客户", "13700137001", "广东省", ""],
            ["", "13700137002", "", ""],
            ["坏手机", "12345", "", ""],
            ["无此人", "13700137003", "", "不存在的人"],
            ["公式", '=HYPERLINK("x")', "", ""],
        ]
    )
    batch = await import_file(app, tenant, "owner", data)

    assert (batch.created_count, batch.rejected_count) == (1, 4)
    _, rejected = await _rejected(app, tenant, batch.id)
    reasons = {row.row_no: [p["code"] for p in row.problems or []] for row in rejected}
    assert reasons == {3: ["required"], 4: ["invalid_mobile"], 5: ["unknown_staff"], 6: ["formula"]}
    # The rejects file: the rows as they were, with the line and a reason column; formulas neutralised.
    async with app.state.db.tenant_session(tenant.schema) as session:
        found, rows = await imports.rejected_rows(session, await actor(app, tenant, "owner"), batch.id)
    text = b"".join(imports.rejects_csv(found, rows, imports.plain, "原因")).decode("utf-8-sig")
    assert text.splitlines()[0] == "行号,客户名称,手机号码,省份,负责人,原因"
    assert "'=HYPERLINK" in text and "mobile: is not a valid mainland China mobile number" in text


async def _rejected(app: Litestar, kit: TenantKit, batch_id: uuid.UUID) -> tuple[object, list[ImportRow]]:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await imports.rejected_rows(session, await actor(app, kit, "owner"), batch_id)


async def test_duplicate_policy_skip_update_create(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.create_customer(
            session,
            await actor(app, tenant, "owner"),
            CustomerInput(name="老客户", mobile="13600136001", tags=["旧"]),
        )
    data = csv_bytes([["姓名", "手机", "备注", "标签"], ["老客户改名", "13600136001", "新备注", "新"]])

    skipped = await import_file(app, tenant, "owner", data, policy="skip")
    assert (skipped.skipped_count, skipped.created_count) == (1, 0)
    updated = await import_file(app, tenant, "owner", data, policy="update")
    assert updated.updated_count == 1
    assert (await customers_named(app, tenant, "老客户改名"))["老客户改名"].notes == "新备注"
    created = await import_file(app, tenant, "owner", data, policy="create")
    assert created.created_count == 1


async def test_undo_restores_the_exact_prior_state_including_updated_rows(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        old = await customers.create_customer(
            session,
            owner,
            CustomerInput(name="原样", mobile="13500135001", notes="原备注", tags=["甲", "乙"]),
        )
    before = runs.row_image(old)
    count_before = await live_count(app, tenant)
    data = csv_bytes(
        [
            ["姓名", "手机", "备注", "标签"],
            ["被改", "13500135001", "改了", "丙"],
            ["新人", "13500135002", "", ""],
        ]
    )
    batch = await import_file(app, tenant, "owner", data, policy="update")
    assert (batch.created_count, batch.updated_count) == (1, 1)

    async with app.state.db.tenant_session(tenant.schema) as session:
        result = await runs.undo_import(session, owner, batch.id)
    assert (result.removed, result.restored, result.kept) == (1, 1, 0)
    assert await live_count(app, tenant) == count_before
    async with app.state.db.tenant_session(tenant.schema) as session:
        restored = await session.get(Customer, old.id)
        tags = await customers.tag_names(session, [old.id])
    after = runs.row_image(restored)
    # Every column is back, the version moves on (an editor holding the import's version is told).
    assert {k: v for k, v in after.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }
    assert after["version"] > before["version"]
    assert sorted(tags[old.id]) == ["乙", "甲"]
    assert (await reload(app, tenant, batch.id)).status == ImportStatus.UNDONE


async def test_undo_leaves_a_record_edited_since_alone(app: Litestar, tenant: TenantKit) -> None:
    owner = await actor(app, tenant, "owner")
    batch = await import_file(
        app, tenant, "owner", csv_bytes([["姓名", "手机"], ["后来改过", "13500135009"]])
    )
    found = (await customers_named(app, tenant, "后来改过"))["后来改过"]
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.update_customer(
            session, owner, found.id, found.version, CustomerInput(notes="有人改了")
        )
        result = await runs.undo_import(session, owner, batch.id)
    assert (result.removed, result.kept) == (0, 1)
    assert "后来改过" in await customers_named(app, tenant, "后来改过")


async def test_a_run_killed_halfway_resumes_without_doing_a_row_twice(
    app: Litestar, tenant: TenantKit
) -> None:
    rows = [["姓名", "手机"]] + [[f"续传{i}", f"1340013{i:04d}"] for i in range(30)]
    batch = await upload(app, tenant, "owner", csv_bytes(rows))
    async with app.state.db.tenant_session(tenant.schema) as session:
        await imports.start(session, await actor(app, tenant, "owner"), batch.id)

    # The first attempt dies after its first chunk (as a killed worker would: no status written).
    original = runs._chunk
    calls = 0

    async def dies_after_one(*args: object, **kw: object) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt  # not an Exception: nothing catches it, like SIGKILL
        return await original(*args, **kw)  # type: ignore[arg-type]

    runs._chunk = dies_after_one  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            await runs.run_import(app.state.db, tenant.schema, batch.id, chunk_rows=10)
    finally:
        runs._chunk = original  # type: ignore[assignment]
    half = await reload(app, tenant, batch.id)
    assert (half.status, half.rows_done, half.created_count) == (ImportStatus.RUNNING, 10, 10)

    # The sweep finds it stalled and queues it again; the next attempt starts at row 11.
    later = runs.utcnow() + runs.STALE_AFTER + timedelta(seconds=1)
    swept = await jobs.sweep_tenant(
        app.state.db, app.state.arq, tenant.schema, now=later, tables=[runs.IMPORT_JOBS]
    )
    assert swept.rescued == 1 and (await reload(app, tenant, batch.id)).status == ImportStatus.QUEUED
    assert (await runs.run_import(app.state.db, tenant.schema, batch.id, chunk_rows=10)).startswith("done")
    done = await reload(app, tenant, batch.id)
    assert (done.status, done.rows_done, done.created_count, done.attempts) == (ImportStatus.DONE, 30, 30, 2)
    assert len(await customers_named(app, tenant, *[f"续传{i}" for i in range(30)])) == 30


async def test_files_that_cannot_be_imported_say_why(app: Litestar, tenant: TenantKit) -> None:
    cases = {
        "empty": b"",
        "no_rows": csv_bytes([["姓名", "手机"]]),
        "bad_encoding": "姓名,手机\n张三,138".encode("utf-16-le"),
        "old_xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    }
    for code, data in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            await upload(app, tenant, "owner", data)
        assert [e.code for e in caught.value.errors] == [code], code


async def test_a_file_over_the_limit_is_refused_with_the_limit(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_BYTES", 1024)

    class Endless(io.RawIOBase):
        """200 MB that never sits in memory."""

        sent = 0

        def read(self, n: int = -1) -> bytes:
            if self.sent >= 200 * 1024 * 1024:
                return b""
            self.sent += 65536
            return b"a" * 65536

    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await imports.upload(
                session,
                await actor(app, tenant, "owner"),
                tenant.schema,
                "customer",
                "big.csv",
                Endless(),
            )
    (error,) = caught.value.errors
    assert error.code == "too_large"
    # It stopped reading once past the limit.
    assert "MB limit" in error.message


async def test_unknown_and_duplicated_headers_are_left_out_and_said(app: Litestar, tenant: TenantKit) -> None:
    batch = await upload(
        app,
        tenant,
        "owner",
        csv_bytes([["姓名", "手机", "手机", "微信号"], ["甲", "13300133001", "13300133002", "w"]]),
    )
    assert batch.mapping == ["name", "mobile", None, None]
    async with app.state.db.tenant_session(tenant.schema) as session:
        shown = await imports.preview(session, await actor(app, tenant, "owner"), tenant.schema, batch.id)
        assert [(n.header, n.code) for n in shown.notes] == [("手机", "duplicate"), ("微信号", "unknown")]
        # A person mapping two columns to one field is refused.
        with pytest.raises(ValidationFailed) as caught:
            await imports.set_mapping(
                session,
                await actor(app, tenant, "owner"),
                batch.id,
                ["name", "mobile", "mobile", None],
                "skip",
            )
    assert [e.code for e in caught.value.errors] == ["mapped_twice"]


async def test_ten_thousand_bad_rows_are_all_reported_and_nothing_else_changes(
    app: Litestar, tenant: TenantKit
) -> None:
    count_before = await live_count(app, tenant)
    rows = [["姓名", "手机"]] + [[f"坏{i}", "not-a-phone"] for i in range(10_000)]
    batch = await import_file(app, tenant, "owner", csv_bytes(rows))
    assert (batch.rejected_count, batch.created_count, batch.status) == (10_000, 0, ImportStatus.DONE)
    assert await live_count(app, tenant) == count_before


async def test_who_may_import(app: Litestar, tenant: TenantKit) -> None:
    with pytest.raises(PermissionDenied):
        await upload(app, tenant, "viewer", csv_bytes([["姓名"], ["甲"]]))
    batch = await upload(app, tenant, "manager_a", csv_bytes([["姓名"], ["甲"]]))
    # A colleague's batch reads like a missing one.
    async with app.state.db.tenant_session(tenant.schema) as session:
        from app.domain import NotFound

        with pytest.raises(NotFound):
            await imports.get_batch(session, await actor(app, tenant, "manager_b"), batch.id)


async def test_a_team_manager_cannot_update_another_teams_customer(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.create_customer(
            session, await actor(app, tenant, "sales_b"), CustomerInput(name="二组的", mobile="13200132001")
        )
    batch = await import_file(
        app, tenant, "manager_a", csv_bytes([["姓名", "手机"], ["抢单", "13200132001"]]), policy="update"
    )
    assert (batch.updated_count, batch.rejected_count) == (0, 1)
    assert "二组的" in await customers_named(app, tenant, "二组的")


async def test_an_import_keeps_the_growing_tables_statistics(app: Litestar, tenant: TenantKit) -> None:
    """Planner statistics follow the table the import fills (analysed at 10, then 20 rows here), so
    later chunks' match lookups are planned for the rows there are, not for an empty table."""
    from import_helpers import run

    rows = [["姓名", "手机"]] + [[f"统计{i}", f"1350013{i:04d}"] for i in range(25)]
    stored, planned = await _rows_and_planned_rows(app, tenant, analyze_first=True)
    assert planned == stored  # the planner knows the table as it is before the import
    await run(app, tenant, "owner", await upload(app, tenant, "owner", csv_bytes(rows)), chunk_rows=10)
    # The statistics saw the imported rows (the last 5 came after the last ANALYZE); 25 inserts are
    # far below autovacuum's threshold, so only the import's own ANALYZE can have counted them.
    assert (await _rows_and_planned_rows(app, tenant))[1] >= stored + 20


async def _rows_and_planned_rows(
    app: Litestar, kit: TenantKit, *, analyze_first: bool = False
) -> tuple[int, float]:
    """The rows of the tenant's customers table, and the planner's count of them (``reltuples``)."""
    from sqlalchemy import text

    async with app.state.db.engine.connect() as conn:
        if analyze_first:
            await conn.execute(text(f'ANALYZE "{kit.schema}".customers'))
        stored = await conn.scalar(text(f'SELECT count(*) FROM "{kit.schema}".customers'))
        planned = await conn.scalar(
            text(
                "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relname = 'customers'"
            ),
            {"s": kit.schema},
        )
    return int(stored), float(planned)
