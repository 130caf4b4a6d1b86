"""A technician's day in a real browser, at desktop and phone width.

A dealer's API (the owner's token) sells a water heater to 赵敏 and books its installation today
with 孙强 of 安装一队; 孙强 signs in, opens 我的上门任务, taps 已出发, writes a note, then taps 完成;
the service manager's week shows the visit done. Screenshots 40-42 at 1280 and 375 px.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from e2e_pages import Dealer, api_token, assert_no_sideways_scroll, cli, gql, new_dealer, shot, signed_in
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


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


def _book_today(server: str, dealer: Dealer, token: str, technician: str) -> str:
    def call(query: str, **variables: object) -> Any:
        return gql(server, dealer, token, query, variables)

    product = call(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) "
        "{ ... on ProductPayload { product { id } } } }",
        i={"sku": "AOS-E80", "name": "史密斯电热水器 80 升", "listPrice": "3299"},
    )["createProduct"]["product"]["id"]
    shop = call(
        "mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) "
        "{ ... on WarehousePayload { warehouse { id } } } }",
        i={"code": "XH", "name": "西湖门店", "kind": "SHOP"},
    )["createWarehouse"]["warehouse"]["id"]
    call(
        "mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { __typename } }",
        i={"productId": product, "warehouseId": shop, "quantity": 3},
    )
    customer = call(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
        "{ ... on CustomerPayload { customer { id } } } }",
        i={"name": "赵敏", "mobile": "13800138000"},
    )["createCustomer"]["customer"]["id"]
    call(
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
    order = call(
        "mutation($i: CreateOrderInput!) { createOrder(input: $i) "
        "{ ... on OrderPayload { order { id version } } } }",
        i={"customerId": customer, "warehouseId": shop, "lines": [{"productId": product, "quantity": 1}]},
    )["createOrder"]["order"]
    for stage in ("submitted", "approved"):
        order = call(
            "mutation($id: ID!, $to: String!, $v: Int!) { transitionOrder(id: $id, to: $to, version: $v) "
            "{ ... on OrderPayload { order { id version } } } }",
            id=order["id"],
            to=stage,
            v=order["version"],
        )["transitionOrder"]["order"]
    staff = call("{ staff { id email teamId } }")["staff"]
    sun = next(p for p in staff if p["email"] == technician)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    booked = call(
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
    dealer = new_dealer(server, "e2e-dlv")
    technician = f"sun.qiang@{dealer.slug}.example"
    token = api_token(dealer)
    cli("user", "add", "--tenant", dealer.slug, "--email", technician, "--name", "孙强",
        "--role", "technician", "--team", "安装一队")  # fmt: skip
    _technician_can_sign_in(dealer.slug, dealer.owner, technician)
    _book_today(server, dealer, token, technician)
    tenant = dealer.url
    page = signed_in(chromium, dealer, width, technician)

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
    assert_no_sideways_scroll(page)
    page.goto(f"{tenant}/deliveries")
    expect(page.locator(".week-day").first).to_contain_text("已完成")
    shot(page, f"42-deliveries-week-{width}")
    page.context.close()
