"""A contract's files (the kit's attachments) and its expiry reminder.

Files: up to ten of 20 MB per contract, stored under the tenant's folder, added and removed as
audited edits of the version the person saw; a refused upload leaves no file behind; another team
or dealer cannot read them. Expiry: the tenant says how many days before its end a contract's owner
is told (30 and 7 unless changed, one to three periods); the sweep tells each signed, running
contract's owner once per period and end date, however often it runs, and afresh only when the end
date changes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar
from pipeline_world import codes, contracts, open_pipeline
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.domain import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from app.kit.attachments import Upload
from app.notifications.models import Notification
from app.opportunities import expiry
from app.opportunities.contracts import CONTRACT_FILES
from app.opportunities.models import Contract

TODAY = date(2026, 11, 28)


def contract(world, who: str = "sales_a", **extra):  # type: ignore[no-untyped-def]
    return {
        "title": "全屋家电采购合同",
        "customer_id": world.customers[who],
        "amount": "36000",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-20",
        **extra,
    }


def pdf(name: str = "合同正本.pdf", size: int = 64) -> Upload:
    return Upload(name, "application/pdf", b"%PDF-1.7" + b"x" * size)


async def test_files_are_attached_read_and_removed_as_audited_edits(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    created = await book.create(contract(world))
    contract_id = created.id
    changed = await book.attach(tenant.schema, contract_id, 1, [pdf(), pdf("../../补充协议.docx")])
    assert changed.version == 2
    assert [a["name"] for a in changed.attachments] == ["合同正本.pdf", "补充协议.docx"]
    store = CONTRACT_FILES.store(tenant.schema)
    stored = [a["file"] for a in changed.attachments]
    assert all(store.exists(name) for name in stored) and stored[1].endswith(".docx")
    item, handle = await book.open_file(tenant.schema, contract_id, 1)
    with handle:
        assert item["name"] == "补充协议.docx" and handle.read().startswith(b"%PDF")
    removed = await book.detach(tenant.schema, contract_id, 2, stored[0])
    assert [a["name"] for a in removed.attachments] == ["补充协议.docx"] and removed.version == 3
    assert not store.exists(stored[0]) and store.exists(stored[1])
    entries = (
        await book.session.scalars(
            select(AuditRecord).where(AuditRecord.entity_id == str(contract_id)).order_by(AuditRecord.id)
        )
    ).all()
    assert [e.after.get("attachments") for e in entries if e.action == "update"] == [
        ["合同正本.pdf", "补充协议.docx"],
        ["补充协议.docx"],
    ]
    await book.session.close()


async def test_bad_uploads_are_refused_and_leave_nothing_behind(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    contract_id = (await book.create(contract(world))).id
    folder = CONTRACT_FILES.store(tenant.schema).folder
    before = set(folder.glob("*")) if folder.exists() else set()
    with pytest.raises(ValidationFailed) as caught:
        await book.attach(tenant.schema, contract_id, 1, [pdf(f"{i}.pdf") for i in range(11)])
    assert codes(caught.value) == [("attachments", "too_many_files")]
    too_big = Upload("扫描件.pdf", "application/pdf", b"x" * (CONTRACT_FILES.max_bytes + 1))
    with pytest.raises(ValidationFailed) as caught:
        await book.attach(tenant.schema, contract_id, 1, [pdf(), too_big, Upload("空.pdf", "", b"")])
    assert codes(caught.value) == [("attachments.1", "file_too_large"), ("attachments.2", "empty_file")]
    with pytest.raises(ValidationFailed) as caught:
        await book.attach(tenant.schema, contract_id, 1, [Upload("", "", b"")])
    assert codes(caught.value) == [("attachments", "no_file")]
    # A stale page: the files were written, then the version check refused; they are gone again.
    await book.update(contract_id, 1, {"note": "客户要求加急"})
    with pytest.raises(VersionConflict):
        await book.attach(tenant.schema, contract_id, 1, [pdf()])
    after = set(folder.glob("*")) if folder.exists() else set()
    assert after == before
    fresh = await book.get(contract_id)
    assert fresh.attachments == [] and fresh.version == 2
    with pytest.raises(NotFound):
        await book.detach(tenant.schema, contract_id, 2, "0" * 32 + ".pdf")
    await book.session.close()


async def test_another_team_or_dealer_cannot_read_or_change_the_files(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    contract_id = (await book.create(contract(world))).id
    changed = await book.attach(tenant.schema, contract_id, 1, [pdf()])
    stored = changed.attachments[0]["file"]
    await book.session.close()
    for kit, who in ((tenant, "sales_b"), (other_tenant, "owner")):
        stranger = await contracts(app, kit, who)
        with pytest.raises(NotFound):
            await stranger.open_file(kit.schema, contract_id, 0)
        with pytest.raises(NotFound):
            await stranger.detach(kit.schema, contract_id, 2, stored)
        with pytest.raises(NotFound):
            await stranger.attach(kit.schema, contract_id, 2, [pdf()])
        await stranger.session.close()
    assert CONTRACT_FILES.store(tenant.schema).exists(stored)


async def _signed(book, world, **extra):  # type: ignore[no-untyped-def]
    created = await book.create(contract(world, signed_on="2025-12-20", **extra))
    return await book.transition(created.id, "signed", created.version)


async def _expiring_notes(app: Litestar, kit: TenantKit) -> list[tuple[str, str]]:
    async with app.state.db.tenant_session(kit.schema) as session:
        rows = await session.execute(
            select(Notification.recipient_id, Notification.dedupe_key).where(
                Notification.kind == "contract.expiring"
            )
        )
        return [(str(r[0]), r[1]) for r in rows.all()]


async def test_owners_are_told_once_per_period_and_end_date(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    end = TODAY + timedelta(days=40)
    main = await _signed(book, world, ends_on=end.isoformat())
    late = await _signed(book, world, ends_on=(TODAY + timedelta(days=5)).isoformat())
    draft = await book.create(contract(world, ends_on=(TODAY + timedelta(days=5)).isoformat()))
    ended = await _signed(book, world, ends_on=(TODAY + timedelta(days=3)).isoformat())
    await book.transition(ended.id, "terminated", ended.version)
    main_id, late_id, draft_id = main.id, late.id, draft.id
    await book.session.close()
    db = app.state.db
    owner = str(tenant.people["sales_a"])

    async def run(day: date) -> int:
        return await expiry.remind_expiring(db, tenant.schema, today=day)

    # Today: only the contract already inside the 7-day window, and with one notice, not two.
    assert await run(TODAY) == 1
    assert await _expiring_notes(app, tenant) == [
        (owner, f"contract:{late_id}:ends:{TODAY + timedelta(days=5)}:7")
    ]
    assert await run(TODAY) == 0  # a restarted worker, the next hour: nobody is told twice
    # 30 days before the end: the first notice, once, however often the sweep runs that month.
    assert await run(end - timedelta(days=31)) == 0
    assert await run(end - timedelta(days=30)) == 1
    assert await run(end - timedelta(days=20)) == 0
    # 7 days before: the second notice, once.
    assert await run(end - timedelta(days=7)) == 1
    assert await run(end - timedelta(days=2)) == 0
    mine = sorted(key for _who, key in await _expiring_notes(app, tenant) if str(main_id) in key)
    assert mine == [f"contract:{main_id}:ends:{end}:30", f"contract:{main_id}:ends:{end}:7"]
    assert not any(str(draft_id) in key for _who, key in await _expiring_notes(app, tenant))
    # The end date moves 60 days later: both notices are armed again for the new date.
    book = await contracts(app, tenant, "sales_a")
    current = await book.get(main_id)
    new_end = end + timedelta(days=60)
    await book.update(main_id, current.version, {"ends_on": new_end.isoformat()})
    await book.session.close()
    assert await run(end - timedelta(days=2)) == 0  # the new date is 62 days away
    assert await run(new_end - timedelta(days=30)) == 1
    assert await run(new_end - timedelta(days=7)) == 1
    keys = {key for _who, key in await _expiring_notes(app, tenant)}
    assert {f"contract:{main_id}:ends:{new_end}:30", f"contract:{main_id}:ends:{new_end}:7"} <= keys
    async with db.tenant_session(tenant.schema) as session:
        row = await session.get(Contract, main_id)
        assert row is not None and (row.expiry_reminded_on, row.expiry_notice_days) == (new_end, 7)


async def test_a_period_added_later_fires_once_and_a_removed_one_never(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    end = TODAY + timedelta(days=25)
    signed = await _signed(book, world, ends_on=end.isoformat())
    contract_id = signed.id
    await book.session.close()
    db = app.state.db
    assert await expiry.remind_expiring(db, tenant.schema, today=TODAY) == 1  # the 30-day notice
    manager = await actor(app, tenant, "owner")
    async with db.tenant_session(tenant.schema) as session:
        assert await expiry.set_notice_days(session, manager, "14") == (14,)
    assert await expiry.remind_expiring(db, tenant.schema, today=end - timedelta(days=20)) == 0
    assert await expiry.remind_expiring(db, tenant.schema, today=end - timedelta(days=14)) == 1
    assert await expiry.remind_expiring(db, tenant.schema, today=end - timedelta(days=3)) == 0  # 7 is gone
    keys = sorted(key for _who, key in await _expiring_notes(app, tenant))
    assert keys == [f"contract:{contract_id}:ends:{end}:14", f"contract:{contract_id}:ends:{end}:30"]


async def test_a_reminder_sweep_killed_mid_batch_reminds_that_batch_on_the_next_run(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    for i in range(3):
        await _signed(book, world, ends_on=(TODAY + timedelta(days=10 + i)).isoformat())
    await book.session.close()

    async def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed")

    real = expiry.repo.mark_expiry_reminded
    monkeypatch.setattr(expiry.repo, "mark_expiry_reminded", killed)
    with pytest.raises(RuntimeError):
        await expiry.remind_expiring(app.state.db, tenant.schema, today=TODAY, batch=2)
    assert await _expiring_notes(app, tenant) == []  # the batch's notifications rolled back with it
    monkeypatch.setattr(expiry.repo, "mark_expiry_reminded", real)
    assert await expiry.remind_expiring(app.state.db, tenant.schema, today=TODAY, batch=2) == 3
    assert await expiry.remind_expiring(app.state.db, tenant.schema, today=TODAY, batch=2) == 0
    notes = await _expiring_notes(app, tenant)
    assert len(notes) == 3 and len({key for _who, key in notes}) == 3


async def test_the_notice_periods_are_the_managers_to_set_within_reason(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await actor(app, tenant, "owner")
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await expiry.notice_days(session) == (30, 7)
        for bad, code in (
            ("0", "bad_notice_days"),
            ("30, 366", "bad_notice_days"),
            ("七天", "bad_notice_days"),
            ("-5", "bad_notice_days"),
            ("1e3", "bad_notice_days"),
            ("", "notice_days_count"),
            (" , ", "notice_days_count"),
            ("60, 30, 14, 7", "notice_days_count"),
            ("30, 7, 30", "notice_days_repeated"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                await expiry.set_notice_days(session, owner, bad)
            assert codes(caught.value) == [("notice_days", code)], bad
        assert await expiry.notice_days(session) == (30, 7)  # nothing a refusal changed
        with pytest.raises(PermissionDenied):
            await expiry.set_notice_days(session, sales, "7")
        assert await expiry.set_notice_days(session, owner, " 7，60 ") == (60, 7)
        assert await expiry.notice_days(session) == (60, 7)
        assert await expiry.set_notice_days(session, owner, [15]) == (15,)
        assert await expiry.notice_days(session) == (15,)


async def test_the_home_card_lists_the_viewer_s_contracts_ending_soon(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    today = expiry.today_local()
    book = await contracts(app, tenant, "sales_a")
    await _signed(book, world, number="HT-SOON-001", ends_on=(today + timedelta(days=9)).isoformat())
    await book.session.close()
    async with app.state.db.tenant_session(tenant.schema) as session:
        mine = await expiry.expiring_soon(session, await actor(app, tenant, "sales_a"))
        theirs = await expiry.expiring_soon(session, await actor(app, tenant, "sales_b"))
    assert mine is not None and [r.text.split(" · ")[1] for r in mine.rows] == ["HT-SOON-001"]
    assert mine.rows[0].url and mine.rows[0].url.startswith("/contracts/")
    assert theirs is not None and theirs.rows == () and theirs.empty


async def test_the_api_lists_a_contract_s_files_for_whoever_can_see_it(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    contract_id = (await book.create(contract(world))).id
    await book.attach(tenant.schema, contract_id, 1, [pdf("合同正本.pdf", 10), pdf("附件二.pdf", 20)])
    await book.session.close()
    operation = "query($id: ID!) { contractAttachments(id: $id) { index name size contentType } }"
    mine = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    answer = (
        await mine.post("/graphql", json={"query": operation, "variables": {"id": str(contract_id)}})
    ).json()
    assert answer["data"]["contractAttachments"] == [
        {"index": 0, "name": "合同正本.pdf", "size": 18, "contentType": "application/pdf"},
        {"index": 1, "name": "附件二.pdf", "size": 28, "contentType": "application/pdf"},
    ]
    theirs = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    refused = (
        await theirs.post("/graphql", json={"query": operation, "variables": {"id": str(contract_id)}})
    ).json()
    assert refused.get("data") is None or not refused["data"].get("contractAttachments")
    assert refused["errors"]


async def test_the_worker_s_hourly_sweep_reminds_every_tenant_once(app: Litestar, tenant: TenantKit) -> None:
    from workers.jobs.contracts import sweep_contract_expiry

    world = await open_pipeline(app, tenant)
    book = await contracts(app, tenant, "sales_a")
    ending = await _signed(book, world, ends_on=(expiry.today_local() + timedelta(days=5)).isoformat())
    ending_id = ending.id
    await book.session.close()
    first = await sweep_contract_expiry({"db": app.state.db})
    again = await sweep_contract_expiry({"db": app.state.db})
    assert first["contracts"] >= 1 and first["failed_tenants"] == again["failed_tenants"] == 0
    # Two runs (a restart, the next hour): this tenant's owner was told once.
    keys = [key for _who, key in await _expiring_notes(app, tenant)]
    assert len(keys) == 1 and str(ending_id) in keys[0]


SET_NOTICES = """mutation($days: [Int!]!) { setContractNoticeDays(noticeDays: $days) {
  __typename ... on ContractNoticeSettings { noticeDays }
  ... on ValidationError { fields { path code message } } } }"""


async def test_the_api_reads_and_sets_the_notice_periods_with_the_same_checks(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    sales = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    read = "query { contractNoticeSettings { noticeDays } }"
    assert (await sales.gql(read))["data"]["contractNoticeSettings"] == {"noticeDays": [30, 7]}
    refused = (await owner.gql(SET_NOTICES, {"days": [30, 30]}))["data"]["setContractNoticeDays"]
    assert refused["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in refused["fields"]] == [(["noticeDays"], "notice_days_repeated")]
    too_many = (await owner.gql(SET_NOTICES, {"days": [90, 60, 30, 7]}))["data"]["setContractNoticeDays"]
    assert [f["code"] for f in too_many["fields"]] == ["notice_days_count"]
    denied = (await sales.gql(SET_NOTICES, {"days": [3]}))["data"]["setContractNoticeDays"]
    assert denied["__typename"] == "PermissionDeniedError"
    assert (await owner.gql(read))["data"]["contractNoticeSettings"] == {"noticeDays": [30, 7]}
    done = (await owner.gql(SET_NOTICES, {"days": [7, 45]}))["data"]["setContractNoticeDays"]
    assert done == {"__typename": "ContractNoticeSettings", "noticeDays": [45, 7]}
    assert (await sales.gql(read))["data"]["contractNoticeSettings"] == {"noticeDays": [45, 7]}
