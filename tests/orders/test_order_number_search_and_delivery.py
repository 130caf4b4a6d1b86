"""Finding an order by its number, and where its goods go.

张伟 reads an order number off a receipt (SO-20261127-7F3A9C), or only its last digits off a phone
call, and the order list finds it through the number's indexes, still in his scope: 李娜 (another
team's salesperson) does not find his order by its number. Other text goes through the gram search
as before.

An order carries its own delivery address: official province/city/district, street, recipient and
phone, typed or copied from one of 赵敏's addresses. A district not in the city or a made-up
province is a field error and nothing is saved. Booking a visit starts from the order's address."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from crm_testkit import TenantKit, actor
from fulfilment.fulfilment_world import open_dealer
from graphql_helpers import api_client
from litestar import Litestar
from order_world import Shop, codes, fridge_order, open_shop
from sqlalchemy import func, select, text

from app.addresses.service import AddressService
from app.deliveries.service import BookingService, today
from app.domain import ValidationFailed
from app.orders.filters import OrderFilter, list_orders
from app.orders.models import Order
from app.orders.service import OrderService, number_search

WEST_LAKE = {"delivery_province": "浙江省", "delivery_city": "杭州市", "delivery_district": "西湖区"}


def test_what_looks_like_an_order_number() -> None:
    assert number_search("SO-20261127-7F3A9C") == (True, "SO-20261127-7F3A9C")
    assert number_search(" so-20261127-7f3a9c ") == (True, "SO-20261127-7F3A9C")
    for tail in ("7F3A9C", "3a9c", "A9C7F", "-7F3A9C", "27-7F3A9C", "20261127-7F3A9C", "O-20261127-7F3A9C"):
        assert number_search(tail) == (False, tail.upper()), tail
    # Too short, not hex, a broken shape, or a head of a number rather than its tail: text.
    for other in (
        "9C",
        "A9C",
        "海尔冰箱",
        "GHIJ",
        "SO-2026",
        "SO-20261127",
        "1127-3A9C",
        "7F3A9C0",
        "赵敏 3A9C",
    ):
        assert number_search(other) is None, other


async def _orders(app: Litestar, kit: TenantKit, shop: Shop, count: int, **extra: Any) -> list[Order]:
    async with app.state.db.tenant_session(kit.schema) as session:
        service = OrderService(session, await actor(app, kit, "sales_a"))
        return [await service.create(fridge_order(shop, **extra)) for _ in range(count)]


async def _found(app: Litestar, kit: TenantKit, who: str, search: str) -> list[str]:
    async with app.state.db.tenant_session(kit.schema) as session:
        page = await list_orders(session, await actor(app, kit, who), OrderFilter(search=search))
        return [order.number for order in page.items]


async def test_a_number_or_its_tail_finds_the_order_in_the_callers_scope(
    app: Litestar, tenant: TenantKit
) -> None:
    shop = await open_shop(app, tenant)
    first, second = await _orders(app, tenant, shop, 2)
    number = first.number
    assert await _found(app, tenant, "sales_a", number) == [number]
    assert await _found(app, tenant, "sales_a", number.lower()) == [number]
    assert await _found(app, tenant, "sales_a", number[-6:]) == [number]
    assert await _found(app, tenant, "sales_a", number[-4:].lower()) == [
        o.number for o in (second, first) if o.number.endswith(number[-4:])
    ]
    assert await _found(app, tenant, "sales_a", number[-9:]) == [number]  # "27-7F3A9C"
    assert await _found(app, tenant, "sales_a", second.number) == [second.number]
    # A number no order has finds none (not every order of the day).
    absent = number[:-6] + ("000000" if not number.endswith("000000") else "111111")
    assert await _found(app, tenant, "sales_a", absent) == []
    # 李娜 sees only her own orders: his order's number finds nothing for her; his manager finds it.
    assert await _found(app, tenant, "sales_b", number) == []
    assert await _found(app, tenant, "sales_b", number[-6:]) == []
    assert await _found(app, tenant, "manager_a", number[-6:]) == [number]


async def test_other_text_goes_through_the_gram_search_as_before(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    [titled] = await _orders(
        app, tenant, shop, 1, invoice_type="normal", invoice_title="杭州西湖家电有限公司"
    )
    [noted] = await _orders(
        app, tenant, shop, 1, note="周六上午送货", delivery_detail="文三路 100 号", **WEST_LAKE
    )
    assert await _found(app, tenant, "sales_a", "西湖家电") == [titled.number]
    assert await _found(app, tenant, "sales_a", "周六上午") == [noted.number]
    assert await _found(app, tenant, "sales_a", "文三路") == [noted.number]  # the delivery address too
    # The head of a number (its day) is not a tail: the gram search finds it as before.
    day = titled.number[:11]
    assert set(await _found(app, tenant, "sales_a", day)) == {titled.number, noted.number}
    assert await _found(app, tenant, "sales_b", "西湖家电") == []


async def test_a_tail_search_can_use_the_suffix_index(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            (
                await session.execute(
                    text(
                        f'EXPLAIN SELECT id FROM "{tenant.schema}".orders '
                        "WHERE reverse(number) LIKE 'C9A3F7%'"
                    )
                )
            ).scalars()
        )
        assert "ix_orders_number_reverse" in plan, plan


async def test_an_order_keeps_its_own_delivery_address(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        sales = await actor(app, tenant, "sales_a")
        home = await AddressService(session, sales).create(
            {
                "customer_id": shop.customer,
                "kind": "installation",
                "province": "浙江省",
                "city": "杭州市",
                "district": "滨江区",
                "detail": "江南大道 1 号",
                "recipient": "赵敏",
                "phone": "13800138000",
            }
        )
        service = OrderService(session, sales)
        typed = await service.create(
            fridge_order(shop, delivery_detail="文三路 100 号", delivery_recipient="赵敏", **WEST_LAKE)
        )
        assert (typed.delivery_city, typed.delivery_district, typed.delivery_detail) == (
            "杭州市",
            "西湖区",
            "文三路 100 号",
        )
        assert typed.note is None
        copied = await service.create(fridge_order(shop, delivery_address_id=home.id))
        assert (copied.delivery_district, copied.delivery_detail, copied.delivery_phone) == (
            "滨江区",
            "江南大道 1 号",
            "13800138000",
        )
        # A field given wins over the copied address; a later edit changes it and clears it.
        mixed = await service.create(
            fridge_order(shop, delivery_address_id=home.id, delivery_detail="江南大道 2 号")
        )
        assert (mixed.delivery_district, mixed.delivery_detail) == ("滨江区", "江南大道 2 号")
        # The division group changes as a whole (the kit's rule): all its levels given.
        moved = await service.update(
            mixed.id,
            mixed.version,
            {**WEST_LAKE, "delivery_district": "上城区", "delivery_detail": "解放路 8 号"},
        )
        assert (moved.delivery_city, moved.delivery_district) == ("杭州市", "上城区")
        cleared = await service.update(
            moved.id,
            moved.version,
            {k: None for k in (*WEST_LAKE, "delivery_detail", "delivery_recipient", "delivery_phone")},
        )
        assert cleared.delivery_province is None and cleared.delivery_detail is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            {**WEST_LAKE, "delivery_district": "朝阳区", "delivery_detail": "x"},
            [("delivery_district", "invalid_division")],
        ),
        (
            {"delivery_province": "火星省", "delivery_detail": "x"},
            [("delivery_province", "invalid_division")],
        ),
        (
            {**WEST_LAKE, "delivery_city": "南京市", "delivery_detail": "x"},
            [("delivery_district", "invalid_division")],
        ),
        ({"delivery_detail": "文三路 100 号"}, [("delivery_province", "required")]),
        (WEST_LAKE, [("delivery_detail", "required")]),
        (
            {**WEST_LAKE, "delivery_detail": "x", "delivery_phone": "12345"},
            [("delivery_phone", "invalid_mobile")],
        ),
    ],
)
async def test_a_bad_delivery_address_is_a_field_error_and_nothing_is_saved(
    app: Litestar, tenant: TenantKit, given: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    shop = await open_shop(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        service = OrderService(session, await actor(app, tenant, "sales_a"))
        with pytest.raises(ValidationFailed) as refused:
            await service.create(fridge_order(shop, **given))
        assert codes(refused.value) == expected
        assert await session.scalar(select(func.count()).select_from(Order)) == 0


async def test_another_customers_address_is_not_copied(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        sales = await actor(app, tenant, "sales_a")
        from app.customers.service import CustomerService

        other = await CustomerService(session, sales).create({"name": "钱七", "mobile": "13900139000"})
        theirs = await AddressService(session, sales).create(
            {"customer_id": other.id, "province": "浙江省", "city": "杭州市", "detail": "中山路 1 号"}
        )
        service = OrderService(session, sales)
        with pytest.raises(ValidationFailed) as refused:
            await service.create(fridge_order(shop, delivery_address_id=theirs.id))
        assert codes(refused.value) == [("delivery_address_id", "unknown_address")]
        with pytest.raises(ValidationFailed):
            await service.create(fridge_order(shop, delivery_address_id=uuid.uuid4()))
        assert await session.scalar(select(func.count()).select_from(Order)) == 0


ORDER_FIELDS = "id version deliveryAddress { province city district detail recipient phone text }"


async def test_the_api_reads_and_writes_the_delivery_address(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    client = await api_client(app, tenant, "sales_a")
    create = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
      __typename ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }}
      ... on ValidationError {{ fields {{ path code }} }} }} }}"""
    base: dict[str, Any] = {
        "customerId": str(shop.customer),
        "warehouseId": str(shop.shop),
        "lines": [{"productId": str(shop.fridge), "quantity": 1}],
    }
    address = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 100 号"}
    made = (await client.gql(create, {"input": {**base, "deliveryAddress": address}}))["data"]["createOrder"]
    order = made["order"]
    assert order["deliveryAddress"] == {
        **address,
        "recipient": None,
        "phone": None,
        "text": "浙江省杭州市西湖区文三路 100 号",
    }
    bad = (
        await client.gql(create, {"input": {**base, "deliveryAddress": {**address, "district": "朝阳区"}}})
    )["data"]["createOrder"]
    assert bad == {
        "__typename": "ValidationError",
        "fields": [{"path": ["input", "deliveryAddress", "district"], "code": "invalid_division"}],
    }
    update = f"""mutation($input: UpdateOrderInput!) {{ updateOrder(input: $input) {{
      __typename ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }} }} }}"""
    changed = (
        await client.gql(
            update,
            {
                "input": {
                    "id": order["id"],
                    "version": order["version"],
                    "deliveryAddress": {"detail": "文三路 102 号"},
                }
            },
        )
    )["data"]["updateOrder"]["order"]
    assert changed["deliveryAddress"]["detail"] == "文三路 102 号"
    assert changed["deliveryAddress"]["district"] == "西湖区"
    removed = (
        await client.gql(
            update, {"input": {"id": order["id"], "version": changed["version"], "deliveryAddress": None}}
        )
    )["data"]["updateOrder"]["order"]
    assert removed["deliveryAddress"] is None


async def test_booking_starts_from_the_orders_delivery_address(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"])
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        orders = OrderService(session, sales)
        order = await orders.create(
            {
                "customer_id": dealer.customer,
                "warehouse_id": dealer.shop,
                "lines": [{"product_id": dealer.fridge, "quantity": 1}],
                "delivery_detail": "文三路 100 号 1 幢",
                "delivery_recipient": "赵敏的母亲",
                "delivery_phone": "13700137000",
                **WEST_LAKE,
            }
        )
        order = await orders.transition(order.id, "submitted", order.version)
        order = await orders.transition(order.id, "approved", order.version)
        visit = {
            "order_id": order.id,
            "kind": "both",
            "scheduled_on": (today() + timedelta(days=1)).isoformat(),
            "slot": "morning",
            "team_id": dealer.team,
            "technician_ids": [dealer.kit.people["technician"]],
        }
        bookings = BookingService(session, sales)
        booked = await bookings.book(visit)
        assert booked.address == "浙江省杭州市西湖区文三路 100 号 1 幢 赵敏的母亲 13700137000"
        assert (booked.address_id, booked.contact_phone) == (None, "13700137000")
        # One of the customer's addresses chosen on the booking still wins.
        chosen = await bookings.book({**visit, "slot": "afternoon", "address_id": dealer.address})
        assert (
            chosen.address.startswith("浙江省杭州市西湖区文三路 88 号")
            and chosen.address_id == dealer.address
        )
