"""Extreme but well-formed dates and numbers in query strings: a clear 400, never a 500.

``/audit?since=0001-01-01`` (before year 1 once shifted to UTC), ``/audit?until=9999-12-31`` (the
day after does not exist), ``before=10^23`` (past a bigint), and a customer-list cursor carrying
such a time all used to break in date arithmetic or in asyncpg.
"""

from __future__ import annotations

import base64
import html
import json

from crm_testkit import TenantKit, browser, logged_in
from litestar import Litestar

from app.platform import service as platform

HUGE = str(10**23)


async def test_extreme_audit_dates_and_ids_are_ignored_with_a_message(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await logged_in(app, tenant, "admin")
    for query in (
        "since=0001-01-01",
        "until=9999-12-31",
        f"before={HUGE}",
        "since=0001-01-01&until=9999-12-31",
    ):
        response = await admin.get(f"/audit?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert "已忽略" in html.unescape(response.text), query


async def test_extreme_cursor_time_in_the_customer_list_is_a_bad_page_link(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = await logged_in(app, tenant, "admin")
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"):
        raw = json.dumps(["created_at", moment, "00000000-0000-0000-0000-000000000000"]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = await admin.get(f"/customers?after={cursor}")
        assert response.status_code == 400, (moment, response.status_code)
        assert "翻页链接已过期" in response.text


async def test_console_audit_with_a_huge_before_id_is_a_400(app: Litestar) -> None:
    async with app.state.db.platform_session() as session:
        await platform.create_operator(
            session, email="params-ops@dealercrm.example", name="林涛", password="ops-secret-42"
        )
    console = browser(app, "localhost")
    await console.get("/operator/login")
    login = await console.post_form(
        "/operator/login", {"email": "params-ops@dealercrm.example", "password": "ops-secret-42"}
    )
    assert login.status_code == 303
    assert (await console.get(f"/operator/audit?before={HUGE}")).status_code == 400
    assert (await console.get("/operator/audit?since=0001-01-01&until=9999-12-31")).status_code == 200
