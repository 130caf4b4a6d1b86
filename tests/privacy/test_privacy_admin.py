"""The personal-data card on a customer's page and the retention page, as 王建国 (owner) and 张伟
(salesperson) use them in the browser: consent first, then the ID number, masked; revealing and
erasing need their permissions; another dealer's staff get 404s."""

from __future__ import annotations

import uuid

from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.privacy import subject_export
from app.privacy.models import SubjectExport

GOOD_ID = "11010519491231002X"
_seq = iter(range(10_000))


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a") -> uuid.UUID:
    n = next(_seq)
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(name=f"殷素素{n}", mobile=f"137{n:08d}")
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


async def test_consent_id_number_reveal_export_and_erase_from_the_customer_page(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    sales = await logged_in(app, tenant, "sales_a")
    url = f"/customers/{customer}/privacy"
    assert url in (await sales.get(f"/customers/{customer}")).text

    # Without the consent the number is refused, in Chinese, on its field.
    refused = await sales.htmx("POST", f"{url}/sensitive", {"id_card": GOOD_ID})
    assert refused.status_code == 422 and "敏感个人信息" in refused.text
    bad = await sales.htmx("POST", f"{url}/sensitive", {"id_card": GOOD_ID[:-1] + "1"})
    assert bad.status_code == 422 and "校验" in bad.text
    given = await sales.htmx(
        "POST",
        f"{url}/consents",
        {"purpose": "sensitive_data", "channel": "in_store", "policy_version": "2026-01"},
    )
    assert given.status_code == 200 and "已生效" in given.text
    # The consent is an entry of the customer's timeline, purpose and channel named.
    timeline = (await sales.get(f"/customers/{customer}/timeline?kind=consent")).text
    assert "已同意 · 敏感个人信息" in timeline and "门店签字" in timeline and "2026-01" in timeline
    saved = await sales.htmx("POST", f"{url}/sensitive", {"id_card": GOOD_ID})
    assert saved.status_code == 200 and "110105********002X" in saved.text and GOOD_ID not in saved.text
    # 张伟 sees no reveal button and is refused if he posts anyway.
    assert f"{url}/reveal" not in saved.text
    assert (await sales.htmx("POST", f"{url}/reveal", {"field": "id_card"})).status_code == 403

    owner = await logged_in(app, tenant, "owner")
    section = (await owner.get(url)).text
    assert f"{url}/reveal" in section and f"{url}/erase" in section
    shown = await owner.htmx("POST", f"{url}/reveal", {"field": "id_card"})
    assert shown.status_code == 200 and GOOD_ID in shown.text

    started = await owner.htmx("POST", f"{url}/exports")
    assert started.status_code == 200
    async with app.state.db.tenant_session(tenant.schema) as session:
        from sqlalchemy import select

        export_id = await session.scalar(
            select(SubjectExport.id).where(SubjectExport.customer_id == customer)
        )
    assert export_id is not None
    await subject_export.run_subject_export(app.state.db, tenant.schema, export_id)
    download = f"/privacy/exports/{export_id}/download"
    assert download in (await owner.get(url)).text
    got = await owner.get(download)
    assert got.status_code == 200 and got.content[:2] == b"PK" and "no-store" in got.headers["cache-control"]
    admin = await logged_in(app, tenant, "admin")
    assert (await admin.get(download)).status_code == 404  # only the requester

    erased = await owner.htmx("POST", f"{url}/erase")
    assert erased.status_code == 200 and "已删除" in (await owner.get(f"/customers/{customer}")).text


async def test_the_retention_page_reports_and_is_for_privacy_managers_only(
    app: Litestar, tenant: TenantKit
) -> None:
    owner = await logged_in(app, tenant, "owner")
    page = await owner.get("/privacy/retention")
    assert page.status_code == 200 and "数据保留" in page.text
    bad = await owner.post_form("/privacy/retention", {"years": "99"})
    assert bad.status_code == 422
    ok = await owner.post_form("/privacy/retention", {"years": "3"})
    assert ok.status_code == 200 and 'value="3"' in ok.text
    done = await owner.post_form("/privacy/retention/apply", {f"c_{uuid.uuid4()}": "1", "c_bad": "1"})
    assert done.status_code == 200 and "0" in done.text
    manager = await logged_in(app, tenant, "manager_a")
    assert (await manager.get("/privacy/retention")).status_code == 403


async def test_another_dealer_gets_404_everywhere(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    stranger = await logged_in(app, other_tenant, "owner")
    url = f"/customers/{customer}/privacy"
    assert (await stranger.get(url)).status_code == 404
    for path, data in (
        ("/reveal", {"field": "id_card"}),
        ("/consents", {"purpose": "marketing_sms", "channel": "online", "policy_version": "v1"}),
        ("/erase", {}),
        ("/exports", {}),
    ):
        assert (await stranger.htmx("POST", url + path, data)).status_code == 404, path
