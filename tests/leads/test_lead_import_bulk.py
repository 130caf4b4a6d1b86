"""Leads imported on the kit's bulk path (``app.kit.imports.bulk``) against one lead at a time: a
1,000-row list imported both ways into two dealers set up alike gives every row the same owner and
team in the same order (round robin goes on where the previous row and chunk left it, by load
counts the leads the same import gave out before, the no-rule fallback too), the same duplicates
skipped, the same rows refused with their reasons, the same notifications; and its undo removes
exactly what it created."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections import Counter
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from lead_world import add_rule, mobile, team_of
from litestar import Litestar
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.kit.bulk_create import write_built
from app.kit.imports import bulk, repository
from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportBatch, ImportRow
from app.kit.memo import memoized
from app.leads.models import Lead, LeadRule
from app.leads.service import LeadService
from app.notifications.models import Notification

HEADER = ["姓名", "手机号", "省份", "城市", "意向产品", "负责人", "备注"]
ROWS = 1000
CHUNK = 64  # several chunks, so rules' places and loads carry from one chunk to the next


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def lead_file() -> bytes:
    """A trade-show list: most rows go by the rules (广东 air conditioners by load in team B,
    Beijing round robin in team A), the rest to whoever works leads and has fewest; some name their
    salesperson; some repeat a number (of this file, or of a stored lead); some are malformed."""
    rows: list[list[str]] = [HEADER]
    for i in range(ROWS):
        mobile = f"1370000{i:04d}"
        province, city, product = ("", "", "")
        if i % 3 == 0:
            province, city, product = "广东省", "广州市", "空调"
        elif i % 3 == 1:
            province, city = "北京市", "市辖区"
        owner = "李娜" if i % 17 == 5 else ("张伟" if i % 23 == 7 else "")
        name, note = f"展会客户{i:04d}", ""
        if i % 97 == 13:
            mobile = f"1370000{i - 1:04d}"  # the row before's number
        if i % 199 == 42:
            mobile = f"1370000{i - 150:04d}"  # a number of a row in an earlier chunk
        if i == 500:
            mobile = "13911110000"  # a lead stored before the import
        if i % 101 == 50:
            mobile = ""  # no way to reach the person
        if i % 131 == 60:
            mobile = "12345"  # not a mobile number
        if i % 151 == 70:
            note = '=HYPERLINK("http://x")'  # a spreadsheet formula
        rows.append([name, mobile, province, city, product, owner, note])
    return csv_bytes(rows)


async def dealer(app: Litestar, kit: TenantKit) -> None:
    """Rules and one stored open lead, the same in both dealers."""
    await add_rule(
        app,
        kit,
        name="广东空调",
        position=1,
        strategy="load",
        province="广东省",
        product_category="空调",
        team_id=await team_of(app, kit, "sales_b"),
    )
    await add_rule(
        app, kit, name="北京轮流", position=2, province="北京市", team_id=await team_of(app, kit, "sales_a")
    )
    async with app.state.db.tenant_session(kit.schema) as session:
        await LeadService(session, await actor(app, kit, "admin")).create(
            {"name": "老线索", "mobile": "13911110000", "owner_id": str(kit.people["sales_b"])}
        )


async def imported(app: Litestar, kit: TenantKit) -> ImportBatch:
    marketing = await actor(app, kit, "marketing")  # works no leads itself: every lead is given out
    async with app.state.db.tenant_session(kit.schema) as session:
        batch = await imports.upload(
            session, marketing, kit.schema, "lead", "展会.csv", io.BytesIO(lead_file())
        )
        await imports.start(session, marketing, batch.id)
    outcome = await runs.run_import(app.state.db, kit.schema, batch.id, chunk_rows=CHUNK)
    assert outcome.startswith("done"), outcome
    async with app.state.db.tenant_session(kit.schema) as session:
        done = await repository.get(session, batch.id)
    assert done is not None
    return done


async def outcome(app: Litestar, kit: TenantKit, batch_id: uuid.UUID) -> dict[str, Any]:
    """Each row's action, problems and lead (owner and team by person, source, timer set), in file
    order, and who was told: comparable across two dealers."""
    person = {user_id: key for key, user_id in kit.people.items()}
    teams = {await team_of(app, kit, key): key for key in ("sales_a", "sales_b")}
    async with app.state.db.tenant_session(kit.schema) as session:
        leads = {lead.id: lead for lead in (await session.scalars(select(Lead))).all()}
        rows = (
            await session.scalars(
                select(ImportRow).where(ImportRow.batch_id == batch_id).order_by(ImportRow.row_no)
            )
        ).all()
        journal = []
        for row in rows:
            lead = leads.get(row.record_id) if row.record_id else None
            journal.append(
                (
                    row.row_no,
                    row.action,
                    [p["code"] for p in row.problems or []],
                    None
                    if lead is None
                    else (
                        lead.name,
                        person.get(lead.owner_id),
                        teams.get(lead.team_id),
                        lead.source,
                        lead.respond_by is not None and lead.assigned_at is not None,
                    ),
                )
            )
        told = Counter(
            person[r]
            for r in (
                await session.scalars(
                    select(Notification.recipient_id).where(Notification.kind == "lead.assigned")
                )
            ).all()
        )
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity == "lead", AuditRecord.action == "create")
        )
        places = {
            rule.name: person.get(rule.last_user_id)
            for rule in (await session.scalars(select(LeadRule))).all()
        }
    return {"journal": journal, "told": told, "audits": audits, "places": places}


async def test_a_thousand_leads_in_bulk_are_assigned_as_one_by_one(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for kit in (tenant, other_tenant):
        await dealer(app, kit)
    assert LeadService.writes_in_bulk()
    chunks = 0
    original = bulk.bulk_chunk

    async def counted(*args: Any, **kw: Any) -> dict[str, int]:
        nonlocal chunks
        chunks += 1
        return await original(*args, **kw)

    monkeypatch.setattr(bulk, "bulk_chunk", counted)
    fast = await imported(app, tenant)
    assert chunks == -(-ROWS // CHUNK)  # every chunk went the bulk way
    with monkeypatch.context() as slow_path:
        slow_path.setattr(LeadService, "writes_in_bulk", classmethod(lambda cls: False))
        slow = await imported(app, other_tenant)
    assert chunks == -(-ROWS // CHUNK)  # and none of the one-by-one run did

    counts = ("created_count", "updated_count", "skipped_count", "rejected_count", "rows_done")
    assert [getattr(fast, c) for c in counts] == [getattr(slow, c) for c in counts]
    got, expected = await outcome(app, tenant, fast.id), await outcome(app, other_tenant, slow.id)
    # Same owners, teams and actions, row by row, in file order.
    assert got["journal"] == expected["journal"]
    assert got["told"] == expected["told"]
    assert got["places"] == expected["places"]  # round robin's place as one by one left it
    assert got["audits"] == expected["audits"] == fast.created_count + 1

    journal = got["journal"]
    by_action = Counter(action for _, action, _, _ in journal)
    assert by_action["created"] == fast.created_count > 900
    # Duplicates: a number the file used before (same chunk or an earlier one), or a stored lead's.
    skipped = {row: codes for row, action, codes, _ in journal if action == "skipped"}
    assert skipped and all(codes == ["duplicate"] for codes in skipped.values())
    assert 502 in skipped  # row 500 of the data (line 502 with the header): the stored lead's number
    # Malformed rows are refused with their reason; the rest of the file is imported.
    refused = {row: codes for row, action, codes, _ in journal if action == "rejected"}
    assert refused[52] == ["contact_required"]  # data row 50: no number
    assert refused[62] == ["invalid_mobile"]  # data row 60: not a mobile number
    assert refused[72] == ["formula"]
    created = [lead for _, action, _, lead in journal if action == "created"]
    assert all(source == "import" and timed for _, _, _, source, timed in created)
    # The rules were followed: 广东 air conditioners in team B by load, Beijing in team A in turn,
    # everything else to someone who works leads (marketing, the importer, gets none).
    owners = {name: (owner, team) for name, owner, team, _, _ in created}
    assert owners["展会客户0000"][1] == "sales_b" and owners["展会客户0001"][1] == "sales_a"
    assert "marketing" not in {owner for owner, _ in owners.values()}
    beijing = [owner for name, (owner, team) in sorted(owners.items()) if team == "sales_a"]
    assert len(set(beijing)) > 1  # taken in turn, not all by one person
    # The owners the rules (or the file) named were told, one note per lead given to someone else
    # (and one for the stored lead, which the admin gave to 李娜).
    assert sum(got["told"].values()) == fast.created_count + 1


async def test_undo_of_a_bulk_lead_import_removes_exactly_its_leads(app: Litestar, tenant: TenantKit) -> None:
    await dealer(app, tenant)
    batch = await imported(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == batch.created_count + 1
        result = await runs.undo_import(session, await actor(app, tenant, "admin"), batch.id)
    assert (result.removed, result.restored, result.kept) == (batch.created_count, 0, 0)
    async with app.state.db.tenant_session(tenant.schema) as session:
        left = (await session.scalars(select(Lead.name))).all()
    assert left == ["老线索"]  # the stored lead stays


async def test_a_lead_created_by_hand_during_a_chunk_waits_and_sees_its_leads(
    app: Litestar, tenant: TenantKit
) -> None:
    """No rule: both go to whoever works leads and has fewest. The chunk holds the tenant's
    assignment lock from its first pick to its commit, so the lead typed in meanwhile is assigned
    after the chunk's leads are stored and counted, not to the person the chunk just gave one."""
    db = app.state.db
    marketing = await actor(app, tenant, "marketing")

    async def by_hand() -> Lead:
        async with db.tenant_session(tenant.schema) as session:
            return await LeadService(session, marketing).create({"name": "手动线索", "mobile": mobile()})

    async with db.tenant_session(tenant.schema) as chunk:
        with memoized(chunk):
            service = LeadService(chunk, marketing)
            built = [await service.build({"name": "导入线索", "mobile": mobile()}, bulk=True)]
            typed = asyncio.create_task(by_hand())
            await asyncio.sleep(1.0)
            assert not typed.done()  # waiting for the chunk
            await write_built(service, built)
            await chunk.commit()
    made = await typed
    assert built[0].record.owner_id is not None
    assert made.owner_id not in (None, built[0].record.owner_id)
