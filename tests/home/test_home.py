"""The home page per role: cards declared by the modules (app.kit.home), filtered by permission,
numbers in the viewer's data scope, and first steps for a dealer who has just signed up.

张伟 (sales_a) owns two customers and 李娜 (sales_b) one: 张伟's "my customers" says 2, the owner
王建国 sees all three by stage and by week.
"""

from __future__ import annotations

import re
import uuid

import pytest
from crm_testkit import TenantKit, actor, browser, logged_in
from litestar import Litestar

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.domain import Actor
from app.kit import home
from app.kit.home import STAT, CardData, HomeCard, register_card


def stat(html: str, key: str) -> str | None:
    found = re.search(rf'id="card-{key}".*?class="stat-value">([^<]*)<', html, re.S)
    return found.group(1).strip() if found else None


def cards(html: str) -> list[str]:
    return re.findall(r'data-card="([a-z_]+)"', html)


async def test_a_new_dealer_is_told_what_to_do_first(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "owner")
    page = await client.get("/")
    assert page.status_code == 200
    assert cards(page.text)[0] == "first_steps"
    assert 'href="/customers/new"' in page.text
    # The first customer ends the first steps.
    await add_customer(app, tenant, "owner", "张三丰")
    assert "first_steps" not in cards((await client.get("/")).text)


async def test_numbers_are_the_viewers_own(app: Litestar, tenant: TenantKit) -> None:
    await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    await add_customer(app, tenant, "sales_a", "张无忌")
    await add_customer(app, tenant, "sales_b", "李四海", status="won")
    zhang = await (await logged_in(app, tenant, "sales_a")).get("/")
    assert stat(zhang.text, "my_customers") == "2"
    # Own scope: no second number saying the same thing, and nothing of 李娜's.
    assert "scope_customers" not in cards(zhang.text)
    assert "李四海" not in zhang.text
    manager = await (await logged_in(app, tenant, "manager_a")).get("/")
    assert stat(manager.text, "scope_customers") == "2"  # 门店一组: 张伟's two
    owner = await (await logged_in(app, tenant, "owner")).get("/")
    assert stat(owner.text, "scope_customers") == "3"
    assert stat(owner.text, "my_customers") == "0"
    assert {"customers_by_stage", "new_customers_per_week", "recent_customer_changes"} <= set(
        cards(owner.text)
    )
    assert owner.text.count('class="chart"') == 2 and "echarts.min.js" in owner.text
    assert "李四海" in owner.text  # recent activity


async def test_cards_follow_permissions(app: Litestar, tenant: TenantKit) -> None:
    await add_customer(app, tenant, "owner", "张三丰")
    technician = await (await logged_in(app, tenant, "technician")).get("/")
    assert technician.status_code == 200
    can_read = (await actor(app, tenant, "technician")).can("customers:read")
    assert ("my_customers" in cards(technician.text)) == can_read


async def test_a_module_adds_a_card_without_touching_the_home_page(app: Litestar, tenant: TenantKit) -> None:
    """What "orders to approve" will do: declare a card; the home page shows it to those allowed."""

    async def orders_to_approve(session: object, who: Actor) -> CardData:
        return CardData(value=7, caption="orders waiting for you")

    card = register_card(
        HomeCard("test_orders_to_approve", "Orders to approve", STAT, orders_to_approve, "orders:approve")
    )
    try:
        owner = await (await logged_in(app, tenant, "owner")).get("/")
        sales = await (await logged_in(app, tenant, "sales_a")).get("/")
        has = (await actor(app, tenant, "owner")).can("orders:approve")
        assert ("test_orders_to_approve" in cards(owner.text)) == has
        assert "test_orders_to_approve" not in cards(sales.text)
    finally:
        home._cards.pop(card.key)


async def test_anonymous_visitors_go_to_login_and_the_base_domain_to_sign_up(
    app: Litestar, tenant: TenantKit
) -> None:
    response = await browser(app, tenant.host).get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    base = await browser(app, "localhost").get("/")
    assert base.status_code in (302, 303) and base.headers["location"] == "/signup"


async def add_customer(app: Litestar, kit: TenantKit, by: str, name: str, **fields: object) -> uuid.UUID:
    """``by`` creates (and owns) the customer."""
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(name=name, **fields)  # type: ignore[arg-type]
        return (await customers.create_customer(session, await actor(app, kit, by), data)).id


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_the_home_page_is_translated(app: Litestar, tenant: TenantKit, locale: str) -> None:
    client = await logged_in(app, tenant, "owner")
    page = await client.get("/", params={"lang": locale})
    assert page.status_code == 200
    assert ("我的客户" in page.text) == (locale == "zh_CN")


async def test_first_steps_link_only_to_pages_this_installation_serves(
    app: Litestar, tenant: TenantKit
) -> None:
    from web.controllers.home import _route_pattern

    page = (await (await logged_in(app, tenant, "owner")).get("/")).text
    steps = re.search(r'id="card-first_steps".*?</section>', page, re.S).group(0)  # type: ignore[union-attr]
    for href in re.findall(r'href="([^"]+)"', steps):
        assert (await (await logged_in(app, tenant, "owner")).get(href)).status_code == 200, href
    # A typed path parameter is no wildcard: "/customers/import" is not a customer's page.
    assert not _route_pattern("/customers/{customer_id:uuid}").fullmatch("/customers/import")


async def test_counts_are_cached_between_writes_and_a_write_shows_at_once(
    app: Litestar, tenant: TenantKit
) -> None:
    """Counting a big dealer's customers is a scan: the numbers are kept per viewer in Redis, under a
    key that carries the customers' newest change, so a new customer is counted on the next page."""
    await add_customer(app, tenant, "sales_a", "张三丰")
    client = await logged_in(app, tenant, "owner")
    assert stat((await client.get("/")).text, "scope_customers") == "1"
    await add_customer(app, tenant, "sales_a", "张无忌")
    page = (await client.get("/")).text
    assert stat(page, "scope_customers") == "2"  # the write changed the key: counted again
    assert "张无忌" in page

    # Between writes the page is served from the cache: an entry planted there is what it shows.
    redis = app.state.redis
    keys = [k.decode() async for k in redis.scan_iter(f"home:{tenant.schema}:*:scope_customers:*")]
    assert len(keys) == 2  # one per version the owner has seen
    owner_id = (await actor(app, tenant, "owner")).user_id
    newest = max((k for k in keys if str(owner_id) in k), key=lambda k: k.split(":scope_customers:")[1])
    await redis.set(newest, home.dump_card_data(CardData(value=99, caption="x")), ex=60)
    assert stat((await client.get("/")).text, "scope_customers") == "99"

    # Another viewer has their own entry.
    manager = await (await logged_in(app, tenant, "manager_a")).get("/")
    assert stat(manager.text, "scope_customers") == "2"


async def test_the_home_page_renders_with_redis_down(app: Litestar, tenant: TenantKit) -> None:
    from redis.asyncio import Redis

    from web.controllers.home import RedisCardCache

    unreachable = RedisCardCache(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    assert await unreachable.get("home:x") is None
    await unreachable.set("home:x", "{}", 60)  # skipped, not raised
    async with app.state.db.tenant_session(tenant.schema) as session:
        shown = await home.home_cards(session, await actor(app, tenant, "owner"), unreachable, "home:x")
    assert "my_customers" in [s.card.key for s in shown]


def test_card_data_survives_the_cache() -> None:
    from datetime import UTC, datetime

    from app.kit.home import CardRow, dump_card_data, load_card_data

    data = CardData(
        value=3,
        series=(("潜在", 2), ("成交", 1)),
        chart="pie",
        rows=(CardRow("张三丰", "/customers/x", when=datetime(2026, 11, 27, 9, tzinfo=UTC)),),
    )
    assert load_card_data(dump_card_data(data)) == data
    assert load_card_data(dump_card_data(None)) is None
