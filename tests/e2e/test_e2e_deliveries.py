"""A technician's day in a real browser, at desktop and phone width.

A dealer's API (the owner's token) sells a water heater to 赵敏 and books its installation today
with 孙强 of 安装一队; 孙强 signs in, opens 我的上门任务, taps 已出发, writes a note, then taps 完成;
the service manager's week shows the visit done. Screenshots 40-42 at 1280 and 375 px.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from e2e_pages import shot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"


def _cli(*args: str) -> str:
    env = {**os.environ, "SECURE_COOKIES": "0", "BASE_DOMAIN": "localhost"}
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, check=True, capture_output=True)
    return done.stdout.decode()


def _gql(server: str, slug: str, token: str, query: str, variables: dict[str, object]) -> dict:  # type: ignore[type-arg]
    response = httpx.post(
        f"{server.format(host='127.0.0.1')}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Host": f"{slug}.localhost"},
        timeout=120,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def _technician_can_sign_in(slug: str, owner: str, technician: str) -> None:
    """The CLI gives 孙强 a one-time password; the test gives him the owner's (a known one)."""

    async def run() -> None:
        url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(url)
        try:
            schema = await conn.fetchval("SELECT schema_name FROM public.tenants WHERE slug = $1", slug)
            await conn.execute(
                f'UPDATE "{schema}".users SET must_change_password = false, password_hash = '
                f'(SELECT password_hash FROM "{schema}".users WHERE email = $1) WHERE email = $2',
                owner,
                technician,
            )
        finally:
            await conn.close()

    # Playwright's sync API runs its own loop in this thread; run ours in a fresh thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def _book_today(server: str, slug: str, token: str, technician: str) -> str:
    def gql(query: str, **variables: object) -> dict:  # type: ignore[type-arg]
        return _gql(server, slug, token, query, variables)

    product = gql(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) "
        "{ ... on ProductPayload { product { id } } } }",
        i={"sku": "AOS-E80", "name": "史密斯电热水器 80 升", "listPrice": "3299"},
    )["createProduct"]["product"]["id"]
    shop = gql(
        "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) "
        "{ ... on WarehousePayload { warehouse { id } } } }",
        i={"code": "XH", "name": "西湖门店", "kind": "SHOP"},
    )["createWarehouse"]["warehouse"]["id"]
    gql(
        "mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { __typename } }",
        i={"productId": product, "warehouseId": shop, "quantity": 3},
    )
    customer = gql(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
        "{ ... on CustomerPayload { customer { id } } } }",
        i={"name": "赵敏", "mobile": "13800138000"},
    )["createCustomer"]["customer"]["id"]
    gql(
        "mutation($i: CreateCustomerAddressInput!) { createCustomerAddress(input: $i) { __typename } }",
        i={
            "customerId": customer,
            "kind": "INSTALLATION",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "detail": "文三路 88 号 3 幢 502 室（电梯到 5 楼左转）",
            "recipient": "赵敏",
            "phone": "13800138000",
        },
    )
    order = gql(
        "mutation($i: CreateOrderInput!) { createOrder(input: $i) "
        "{ ... on OrderPayload { order { id version } } } }",
        i={"customerId": customer, "warehouseId": shop, "lines": [{"productId": product, "quantity": 1}]},
    )["createOrder"]["order"]
    for stage in ("submitted", "approved"):
        order = gql(
            "mutation($id: ID!, $to: String!, $v: Int!) { transitionOrder(id: $id, to: $to, version: $v) "
            "{ ... on OrderPayload { order { id version } } } }",
            id=order["id"],
            to=stage,
            v=order["version"],
        )["transitionOrder"]["order"]
    staff = gql("{ staff { id email teamId } }")["staff"]
    sun = next(p for p in staff if p["email"] == technician)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    booked = gql(
        "mutation($i: BookDeliveryInput!) { bookDelivery(input: $i) { __typename "
        "... on BookingPayload { booking { id } } ... on ValidationError { fields { path code } } } }",
        i={
            "orderId": order["id"],
            "scheduledOn": today,
            "slot": "AFTERNOON",
            "kind": "INSTALLATION",
            "teamId": sun["teamId"],
            "technicianIds": [sun["id"]],
        },
    )["bookDelivery"]
    assert booked["__typename"] == "BookingPayload", booked
    return today


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_technician_works_through_his_day(server: str, chromium, width: int) -> None:  # type: ignore[no-untyped-def]
    slug = f"e2e-dlv-{secrets.token_hex(2)}"
    owner, technician = f"owner@{slug}.example", f"sun.qiang@{slug}.example"
    _cli("tenant", "create", slug, "--name", "西湖家电", "--admin-email", owner, "--admin-password", PASSWORD)
    token = _cli("token", "create", "--tenant", slug, "--user", owner).strip().split()[-1]
    _cli("user", "add", "--tenant", slug, "--email", technician, "--name", "孙强", "--role", "technician",
         "--team", "安装一队")  # fmt: skip
    _technician_can_sign_in(slug, owner, technician)
    _book_today(server, slug, token, technician)
    tenant = server.format(host=f"{slug}.localhost")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, tenant, technician)

    page.goto(f"{tenant}/deliveries")
    page.get_by_role("link", name="我今天的上门任务").click()
    card = page.locator(".visit-card")
    expect(card).to_contain_text("赵敏")
    expect(card).to_contain_text("文三路 88 号")
    expect(page).to_have_title("我的上门任务 · 西湖家电")
    shot(page, f"40-technician-day-{width}")
    card.get_by_role("button", name="已出发").click()
    expect(card.locator(".badge")).to_have_text("已出发")
    card.locator("textarea[name=notes]").fill("旧热水器已拆，客户要求装在阳台左侧")
    card.get_by_role("button", name="保存备注").click()
    expect(card).to_contain_text("旧热水器已拆")
    shot(page, f"41-technician-on-the-way-{width}")
    card.get_by_role("button", name="已完成").click()
    expect(card.locator(".badge")).to_have_text("已完成")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(f"{tenant}/deliveries")
    expect(page.locator(".week-day").first).to_contain_text("已完成")
    shot(page, f"42-deliveries-week-{width}")
    context.close()
