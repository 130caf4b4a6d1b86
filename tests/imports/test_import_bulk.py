"""The importer's bulk path (app.kit.imports.bulk) against the row-by-row path it replaces: the same
file imported both ways into two dealers set up alike gives the same customers, column by column,
the same tags, audit records, events and journal lines, under either duplicate policy (撞单) and
with the skip or update import policy; a run killed in the middle of a bulk chunk leaves nothing
of that chunk, and the next attempt finishes without a duplicate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from import_helpers import csv_bytes, reload, run, upload
from litestar import Litestar
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.service import CustomerService
from app.customers.validation import CustomerInput
from app.customfields import service as custom_fields
from app.customfields.service import FieldDraft
from app.duplicates.policy import set_duplicate_policy
from app.events.models import OutboxEvent
from app.kit import jobs
from app.kit.imports import repository
from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportBatch, ImportRow, ImportStatus
from app.kit.imports.reader import Table

HEADER = ["客户名称", "类型", "手机号码", "邮箱", "省份", "城市", "区县", "生日", "标签", "客户级别"]
HEADER += ["负责人", "备注", "购买渠道"]
# Record columns that differ between two dealers by nature (ids, times) or name a person by id.
UNCOMPARABLE = {"id", "created_at", "updated_at"}
PEOPLE_COLUMNS = {"owner_id", "created_by", "updated_by", "deleted_by"}


def dealer_file(kit: TenantKit) -> bytes:
    """A store's list as it comes: good rows, repeats within the file and of stored customers, a
    shared e-mail, one company written two ways, and rows the rules refuse."""
    row = ["", "个人", "", "", "", "", "", "", "", "", "", "", ""]

    def line(**cells: str) -> list[str]:
        out = list(row)
        for key, value in cells.items():
            out[HEADER.index(key)] = value
        return out

    return csv_bytes(
        [
            HEADER,
            line(
                客户名称="赵敏",
                手机号码="138 0013 8001",
                省份="广东省",
                城市="深圳市",
                区县="南山区",
                生日="1988/5/6",
                标签="空调，老客户",
                客户级别="金卡",
                负责人="张伟",
                备注="要安装",
                购买渠道="京东",
            ),
            line(
                客户名称="钱进",
                手机号码="13800138002",
                邮箱="Qian@Example.com",
                负责人=kit.email("sales_a2"),
                标签="冰箱",
            ),
            line(客户名称="赵敏重复", 手机号码="13800138001"),  # the first row's mobile, same chunk
            line(客户名称="老客户再来", 手机号码="13600136001"),  # a stored customer's mobile
            line(客户名称="同邮箱", 手机号码="13800138005", 邮箱="old@example.com"),  # a stored e-mail
            line(客户名称="青岛海尔电器（集团）有限公司", 类型="企业", 手机号码="13800138006"),
            line(客户名称="青岛海尔电器集团", 类型="企业", 手机号码="13800138007"),  # the same company
            line(客户名称="坏手机", 手机号码="12345"),
            line(客户名称="无此人", 手机号码="13800138009", 负责人="不存在的人"),
            line(客户名称="公式", 手机号码='=HYPERLINK("x")'),
            line(客户名称="钱进的邮箱", 手机号码="13800138011", 邮箱="qian@example.com"),  # next chunk
            line(客户名称="只有名字"),
        ]
    )


async def purchase_channel(app: Litestar, kit: TenantKit) -> None:
    """购买渠道, a custom single choice the file fills by its option labels."""
    options = [
        {"value": "jd", "label_zh": "京东", "label_en": "JD"},
        {"value": "store", "label_zh": "门店", "label_en": "Store"},
    ]
    draft = FieldDraft(
        key="channel", label_zh="购买渠道", label_en="Channel", type="single_select", options=options
    )
    async with app.state.db.tenant_session(kit.schema) as session:
        await custom_fields.define_field(session, await actor(app, kit, "owner"), "customer", draft)


async def stored_customers(app: Litestar, kit: TenantKit) -> None:
    """What both dealers hold before the import: the same two customers."""
    owner = await actor(app, kit, "owner")
    async with app.state.db.tenant_session(kit.schema) as session:
        await customers.create_customer(
            session, owner, CustomerInput(name="老客户", mobile="13600136001", tags=["旧"])
        )
        await customers.create_customer(
            session, owner, CustomerInput(name="有邮箱的", mobile="13600136002", email="old@example.com")
        )


def _people(kit: TenantKit) -> dict[str, str]:
    return {str(user_id): key for key, user_id in kit.people.items()}


def _plain(value: Any, names: dict[str, str], people: dict[str, str]) -> Any:
    """A value with ids replaced by what they stand for (a person's key, a customer's name)."""
    if isinstance(value, uuid.UUID):
        value = str(value)
    if isinstance(value, str):
        return people.get(value, names.get(value, value))
    if isinstance(value, list):
        return sorted(_plain(v, names, people) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v, names, people) for k, v in value.items()}
    return value


async def outcome(app: Litestar, kit: TenantKit, batch_id: uuid.UUID) -> dict[str, Any]:
    """Everything the import wrote, ids replaced by names: comparable across two dealers."""
    async with app.state.db.tenant_session(kit.schema) as session:
        found = (await session.scalars(select(Customer).order_by(Customer.name))).all()
        names = {str(c.id): c.name for c in found}
        people = _people(kit)
        records = {
            c.name: {
                attr.key: _plain(getattr(c, attr.key), names, people)
                for attr in Customer.__mapper__.column_attrs
                if attr.key not in UNCOMPARABLE
            }
            for c in found
        }
        tags = {
            names[str(k)]: v for k, v in (await customers.tag_names(session, [c.id for c in found])).items()
        }
        audit = sorted(
            (
                names[r.entity_id],
                r.action,
                repr(_plain(r.before, names, people)),
                repr(_plain(r.after, names, people)),
            )
            for r in (
                await session.scalars(
                    select(AuditRecord).where(
                        AuditRecord.entity == "customer", AuditRecord.entity_id.in_(names)
                    )
                )
            ).all()
        )
        events = sorted(
            (e.topic, names.get(e.payload.get("id"), "?"))
            for e in (
                await session.scalars(select(OutboxEvent).where(OutboxEvent.topic.like("customer.%")))
            ).all()
        )
        journal = [
            (
                r.row_no,
                r.action,
                _plain(r.record_id, names, people),
                r.version_after,
                r.problems,
                r.cells,
                _plain(
                    {k: v for k, v in (r.before or {}).items() if k not in ("created_at", "updated_at")},
                    names,
                    people,
                ),
            )
            for r in (
                await session.scalars(
                    select(ImportRow).where(ImportRow.batch_id == batch_id).order_by(ImportRow.row_no)
                )
            ).all()
        ]
    for record in records.values():
        for column in PEOPLE_COLUMNS & record.keys():
            assert record[column] is None or record[column] in people.values(), column
    return {"records": records, "tags": tags, "audit": audit, "events": events, "journal": journal}


async def imported(app: Litestar, kit: TenantKit, data: bytes, **options: Any) -> ImportBatch:
    """The owner imports ``data`` in chunks of four rows (so rows meet records of their own chunk
    and of earlier ones)."""
    return await run(app, kit, "owner", await upload(app, kit, "owner", data, **options), chunk_rows=4)


def row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CustomerService, "writes_in_bulk", classmethod(lambda cls: False))


@pytest.mark.parametrize("duplicates", ["warn", "refuse"])
async def test_bulk_and_row_by_row_write_the_same_customers(
    app: Litestar,
    tenant: TenantKit,
    other_tenant: TenantKit,
    monkeypatch: pytest.MonkeyPatch,
    duplicates: str,
) -> None:
    for kit in (tenant, other_tenant):
        await purchase_channel(app, kit)
        await stored_customers(app, kit)
        async with app.state.db.tenant_session(kit.schema) as session:
            await set_duplicate_policy(session, await actor(app, kit, "owner"), duplicates)
    assert CustomerService.writes_in_bulk()

    fast = await imported(app, tenant, dealer_file(tenant))
    with monkeypatch.context() as slow_path:
        row_by_row(slow_path)
        slow = await imported(app, other_tenant, dealer_file(other_tenant))

    counts = ("created_count", "updated_count", "skipped_count", "rejected_count", "rows_done")
    assert [getattr(fast, c) for c in counts] == [getattr(slow, c) for c in counts]
    # Under "warn" the shared e-mail and the same company are saved, naming what they matched;
    # under "refuse" they are refused, as the form would refuse them.
    got, expected = await outcome(app, tenant, fast.id), await outcome(app, other_tenant, slow.id)
    assert fast.created_count == (7 if duplicates == "warn" else 4), got["journal"]
    for part in ("journal", "records", "tags", "audit", "events"):
        assert got[part] == expected[part], part
    if duplicates == "warn":
        after = {name: after for name, action, _, after in got["audit"] if action == "create"}
        assert "'duplicate_of': ['青岛海尔电器（集团）有限公司']" in after["青岛海尔电器集团"]
        assert "'duplicate_of': ['钱进']" in after["钱进的邮箱"]


async def test_updates_in_a_bulk_chunk_match_row_by_row_and_undo_restores_them(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        ["姓名", "手机", "备注", "标签", "客户级别"],
        ["新客户", "13700137001", "第一次", "空调", ""],
        ["老客户改名", "13600136001", "改了备注", "新标签", "VIP"],  # a stored customer, updated
        ["新客户又来", "13700137001", "第二次", "冰箱", "金卡"],  # the first row, built this chunk
        ["另一个新客户", "13700137003", "", "", ""],
    ]
    before: dict[str, Any] = {}
    for kit in (tenant, other_tenant):
        await stored_customers(app, kit)
        before[kit.slug] = await outcome(app, kit, uuid.uuid4())

    fast = await imported(app, tenant, csv_bytes(rows), policy="update")
    with monkeypatch.context() as slow_path:
        row_by_row(slow_path)
        slow = await imported(app, other_tenant, csv_bytes(rows), policy="update")

    assert (fast.created_count, fast.updated_count) == (slow.created_count, slow.updated_count) == (2, 2)
    got, expected = await outcome(app, tenant, fast.id), await outcome(app, other_tenant, slow.id)
    for part in ("journal", "records", "tags", "audit", "events"):
        assert got[part] == expected[part], part
    assert got["records"]["新客户又来"]["notes"] == "第二次"

    for kit, batch in ((tenant, fast), (other_tenant, slow)):
        async with app.state.db.tenant_session(kit.schema) as session:
            result = await runs.undo_import(session, await actor(app, kit, "owner"), batch.id)
        # A customer the file created and then updated is removed; the stored one is put back.
        assert (result.removed, result.restored, result.kept) == (2, 1, 0)
        now = (await outcome(app, kit, uuid.uuid4()))["records"]
        was = before[kit.slug]["records"]
        assert now.keys() == was.keys()
        for name, columns in was.items():
            assert {k: v for k, v in now[name].items() if k != "version"} == {
                k: v for k, v in columns.items() if k != "version"
            }, name


async def test_a_run_killed_inside_a_bulk_chunk_leaves_nothing_of_it_and_resumes(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["姓名", "手机", "标签"]] + [[f"批量{i}", f"1350013{i:04d}", "空调"] for i in range(25)]
    batch = await upload(app, tenant, "owner", csv_bytes(rows))
    async with app.state.db.tenant_session(tenant.schema) as session:
        await imports.start(session, await actor(app, tenant, "owner"), batch.id)

    # The second chunk dies after its customers, tags, audit records and events were inserted,
    # before its journal lines: as a worker killed mid-transaction.
    original = repository.add_rows
    calls = 0

    async def dies_in_the_second_chunk(*args: Any, **kw: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        await original(*args, **kw)

    monkeypatch.setattr(repository, "add_rows", dies_in_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        await runs.run_import(app.state.db, tenant.schema, batch.id, chunk_rows=10)
    monkeypatch.setattr(repository, "add_rows", original)
    half = await reload(app, tenant, batch.id)
    assert (half.status, half.rows_done, half.created_count) == (ImportStatus.RUNNING, 10, 10)
    assert await _imported(app, tenant) == 10

    later = runs.utcnow() + runs.STALE_AFTER + timedelta(seconds=1)
    swept = await jobs.sweep_tenant(
        app.state.db, app.state.arq, tenant.schema, now=later, tables=[runs.IMPORT_JOBS]
    )
    assert swept.rescued == 1 and (await reload(app, tenant, batch.id)).status == ImportStatus.QUEUED
    assert (await runs.run_import(app.state.db, tenant.schema, batch.id, chunk_rows=10)).startswith("done")
    done = await reload(app, tenant, batch.id)
    assert (done.status, done.rows_done, done.created_count, done.attempts) == (ImportStatus.DONE, 25, 25, 2)
    # Each customer once, with its tag once and one audit record.
    assert await _imported(app, tenant) == 25
    async with app.state.db.tenant_session(tenant.schema) as session:
        ids = (await session.scalars(select(Customer.id).where(Customer.name.like("批量%")))).all()
        tags = await customers.tag_names(session, list(ids))
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity_id.in_([str(i) for i in ids]), AuditRecord.action == "create")
        )
    assert all(found == ["空调"] for found in tags.values())
    assert audits == 25


async def _imported(app: Litestar, kit: TenantKit) -> int:
    async with app.state.db.tenant_session(kit.schema) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Customer).where(Customer.name.like("批量%"))
            )
            or 0
        )


def test_an_xlsx_upload_counts_its_rows_as_the_run_reads_them(tmp_path: Path) -> None:
    """The upload counts an XLSX's rows from the sheet's XML (no cell values): blank rows, cells of
    spaces and styled empty cells are left out, as the run leaves them out."""
    book = Workbook()
    sheet = book.active
    for row in (["姓名", "手机"], ["甲", 13800138000], [None, None], ["  ", None], [None, 0]):
        sheet.append(row)
    sheet["A7"].font = Font(bold=True)  # styled, empty
    sheet.append(["乙", None])
    sheet.append([False, None])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    table = Table(path)
    assert table.count() == sum(1 for _ in table.rows()) == 4
