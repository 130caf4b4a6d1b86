"""Contracts in the admin, as 张伟 (sales, 门店一组) uses them: from his won deal's page a new
contract starts with the customer and amount; a bad form (ends before it starts, a negative amount,
a number already taken) comes back with each message at its field and everything typed; the
contract's page shows its status with the moves it may make, what it belongs to, and its files
(upload, download, remove; too many or too large refused at the file input); an edit opened before
someone else saved is refused naming them; the owner sets the expiry notice period. 李娜 (the other
team) reaches none of it."""

from __future__ import annotations

import re

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from pipeline_world import deal, deals, open_pipeline

from app.opportunities.contracts import CONTRACT_FILES


def form(world, **extra):  # type: ignore[no-untyped-def]
    return {
        "title": "赵敏全屋家电采购合同",
        "customer_id": str(world.customers["sales_a"]),
        "amount": "36000",
        "starts_on": "2026-12-01",
        "ends_on": "2027-11-30",
        **extra,
    }


def _contract_id(location: str) -> str:
    return location.rsplit("/", 1)[1]


async def test_a_contract_from_a_deal_page_is_drafted_filed_and_signed(
    app: Litestar, tenant: TenantKit
) -> None:
    world = await open_pipeline(app, tenant)
    sales = await deals(app, tenant, "sales_a")
    opportunity = await sales.create(deal(world, name="赵敏新房家电", amount="36800"))
    opportunity_id = opportunity.id
    await sales.session.close()
    zhang = await logged_in(app, tenant, "sales_a")

    deal_page = await zhang.get(f"/opportunities/{opportunity_id}")
    assert f"/contracts/new?opportunity_id={opportunity_id}" in deal_page.text
    new = await zhang.get(f"/contracts/new?opportunity_id={opportunity_id}")
    assert new.status_code == 200
    assert 'value="36800.00"' in new.text and 'value="赵敏新房家电"' in new.text
    assert f'value="{opportunity_id}"' in new.text
    assert re.search(rf'<option value="{world.customers["sales_a"]}" selected>', new.text)

    created = await zhang.post_form(
        "/contracts/new", form(world, opportunity_id=str(opportunity_id), amount="36800", number="HT-ZM-001")
    )
    assert created.status_code == 303
    contract_id = _contract_id(created.headers["location"])
    page = await zhang.get(f"/contracts/{contract_id}")
    assert page.status_code == 200
    assert "HT-ZM-001" in page.text and "¥36,800.00" in page.text and "草拟" in page.text
    assert "赵敏新房家电" in page.text and f"/opportunities/{opportunity_id}" in page.text
    assert "移至已签订" in page.text or "已签订" in page.text

    # Signing needs the signing date (the workflow's guard): refused with the reason.
    refused = await zhang.post_form(f"/contracts/{contract_id}/move", {"to": "signed", "version": "1"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text

    token = await zhang.ensure_csrf()
    uploaded = await zhang.post(
        f"/contracts/{contract_id}/files",
        data={"version": "1"},
        files=[
            ("files", ("合同正本.pdf", b"%PDF-1.7 signed", "application/pdf")),
            ("files", ("补充协议.pdf", b"%PDF-1.7 extra", "application/pdf")),
        ],
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "合同正本.pdf" in uploaded.text and 'id="contract"' in uploaded.text
    page = await zhang.get(f"/contracts/{contract_id}")
    assert "合同正本.pdf" in page.text and "补充协议.pdf" in page.text
    download = await zhang.get(f"/contracts/{contract_id}/files/0")
    assert download.status_code == 200 and download.content == b"%PDF-1.7 signed"
    assert "attachment;" in download.headers["content-disposition"]
    assert "nosniff" in download.headers["x-content-type-options"]
    stored = re.search(r'name="file" value="([0-9a-f]{32}\.pdf)"', page.text)
    assert stored is not None
    removed = await zhang.post_form(
        f"/contracts/{contract_id}/files/delete", {"version": "2", "file": stored.group(1)}
    )
    assert removed.status_code == 303
    page = await zhang.get(f"/contracts/{contract_id}")
    assert "合同正本.pdf" not in page.text and "补充协议.pdf" in page.text

    edited = await zhang.post_form(
        f"/contracts/{contract_id}/edit", form(world, version="3", signed_on="2026-11-27", number="HT-ZM-001")
    )
    assert edited.status_code == 303
    signed = await zhang.post_form(f"/contracts/{contract_id}/move", {"to": "signed", "version": "4"})
    assert signed.status_code == 303
    assert "已签订" in (await zhang.get(f"/contracts/{contract_id}")).text

    li = await logged_in(app, tenant, "sales_b")
    for url in (
        f"/contracts/{contract_id}",
        f"/contracts/{contract_id}/edit",
        f"/contracts/{contract_id}/files/0",
    ):
        assert (await li.get(url)).status_code == 404
    hidden = await li.post_form(f"/contracts/{contract_id}/files/delete", {"version": "5", "file": "x.pdf"})
    assert hidden.status_code == 404
    # 李娜 cannot start a contract from 张伟's deal: the form starts empty.
    theirs = await li.get(f"/contracts/new?opportunity_id={opportunity_id}")
    assert theirs.status_code == 200 and "赵敏新房家电" not in theirs.text


async def test_bad_forms_keep_what_was_typed_and_say_what_is_wrong(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    zhang = await logged_in(app, tenant, "sales_a")
    first = await zhang.post_form("/contracts/new", form(world, number="HT-DUP-001"))
    assert first.status_code == 303
    contract_id = _contract_id(first.headers["location"])

    bad = await zhang.post_form(
        "/contracts/new",
        form(world, number="HT-DUP-001", amount="-5", ends_on="2026-11-01", note="客户要求先送货后付款"),
    )
    assert bad.status_code == 422
    messages = form_errors(bad.text)
    assert "合同不能早于开始日期结束。" in messages or any("结束" in m for m in messages)
    assert any("金额" in m for m in messages) and any("编号" in m for m in messages)
    assert (
        'value="-5"' in bad.text and "客户要求先送货后付款" in bad.text and 'value="2026-11-01"' in bad.text
    )

    # A stale edit: 张伟's manager saved in between; the edit is refused naming him, text kept.
    liu = await logged_in(app, tenant, "manager_a")
    assert (
        await liu.post_form(f"/contracts/{contract_id}/edit", form(world, version="1", number="HT-DUP-001"))
    ).status_code == 303
    stale = await zhang.post_form(
        f"/contracts/{contract_id}/edit", form(world, version="1", number="HT-DUP-001", note="张伟的备注")
    )
    assert stale.status_code == 409
    assert "刘洋" in stale.text and "张伟的备注" in stale.text and 'name="version" value="2"' in stale.text

    # Files: eleven at once, or one over 20 MB, are refused at the file input; nothing is stored.
    token = await zhang.ensure_csrf()
    too_many = await zhang.post(
        f"/contracts/{contract_id}/files",
        data={"version": "2"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        files=[("files", (f"{i}.pdf", b"%PDF", "application/pdf")) for i in range(11)],
    )
    assert too_many.status_code == 422
    assert any("10" in m for m in form_errors(too_many.text))
    big = await zhang.post(
        f"/contracts/{contract_id}/files",
        data={"version": "2"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        files=[("files", ("扫描件.pdf", b"x" * (CONTRACT_FILES.max_bytes + 1), "application/pdf"))],
    )
    assert big.status_code == 422 and any("20 MB" in m for m in form_errors(big.text))
    stale_upload = await zhang.post(
        f"/contracts/{contract_id}/files",
        data={"version": "1"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        files=[("files", ("a.pdf", b"%PDF", "application/pdf"))],
    )
    assert stale_upload.status_code == 409 and "刘洋" in stale_upload.text
    assert "还没有附件。" in stale_upload.text  # nothing was stored


async def test_the_owner_sets_the_notice_periods_and_salespeople_cannot(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/contracts")
    assert page.status_code == 200 and 'name="notice_days" ' in page.text and 'value="30, 7"' in page.text
    bad = await owner.post_form("/contracts/reminders", {"notice_days": "30, 400"})
    assert bad.status_code == 422 and 'value="30, 400"' in bad.text
    assert "每个提醒天数须为 1 到 365 之间的整数" in bad.text
    twice = await owner.post_form("/contracts/reminders", {"notice_days": "7, 7"})
    assert twice.status_code == 422 and "提醒天数不能重复" in twice.text
    assert 'value="30, 7"' in (await owner.get("/contracts")).text  # refusals changed nothing
    assert (await owner.post_form("/contracts/reminders", {"notice_days": "14 60"})).status_code == 303
    assert 'value="60, 14"' in (await owner.get("/contracts")).text
    zhang = await logged_in(app, tenant, "sales_a")
    assert 'name="notice_days"' not in (await zhang.get("/contracts")).text
    assert (await zhang.post_form("/contracts/reminders", {"notice_days": "3"})).status_code == 403
