"""The fulfilment API as an ERP and a dispatcher use it: products and stock levels upserted by the
ERP's ids (idempotent, a bad row reported on its own, an Idempotency-Key replay), a count sheet
approved, a visit booked and moved along; errors are typed results naming the input path."""

from __future__ import annotations

from datetime import timedelta

from crm_testkit import TenantKit
from fulfilment_world import approved_order, open_dealer
from graphql_helpers import api_client
from litestar import Litestar

from app.deliveries.service import today

UPSERT_PRODUCTS = """
mutation($rows: [ProductUpsertInput!]!) {
  upsertProducts(input: $rows) {
    __typename
    ... on UpsertPayload {
      created updated unchanged failed
      rows { index externalId status id errors { path code } }
    }
    ... on PermissionDeniedError { permission }
    ... on ValidationError { fields { path code } }
  }
}"""
UPSERT_LEVELS = """
mutation($rows: [StockLevelUpsertInput!]!) {
  upsertStockLevels(input: $rows) {
    __typename
    ... on UpsertPayload { created updated unchanged failed rows { status errors { path code } } }
  }
}"""
LEVELS = """query($p: ID!) { stockLevels(filter: {productId: $p}) { nodes { onHand warehouse { code } } } }"""


async def test_an_erp_upserts_products_and_stock_idempotently(app: Litestar, tenant: TenantKit) -> None:
    await open_dealer(app, tenant)
    async with await api_client(app, tenant, "owner") as erp:
        rows = [
            {"externalId": "K3-1001", "sku": "MD-KFR-35", "name": "美的空调 1.5 匹", "listPrice": "2999"},
            {"externalId": "K3-1002", "sku": "MD-KFR-50", "name": "美的空调 2 匹", "listPrice": "-5"},
            {"externalId": "", "sku": "X", "name": "无编号"},
        ]
        result = (await erp.gql(UPSERT_PRODUCTS, {"rows": rows}))["data"]["upsertProducts"]
        assert (result["created"], result["failed"]) == (1, 2)
        # Each bad row names its own path; the good row went through anyway.
        assert result["rows"][1]["errors"] == [{"path": ["input", "1", "listPrice"], "code": "out_of_range"}]
        assert result["rows"][2]["errors"] == [{"path": ["input", "2", "externalId"], "code": "required"}]
        product_id = result["rows"][0]["id"]
        again = (await erp.gql(UPSERT_PRODUCTS, {"rows": rows[:1]}))["data"]["upsertProducts"]
        assert (again["unchanged"], again["rows"][0]["id"]) == (1, product_id)
        renamed = await erp.gql(UPSERT_PRODUCTS, {"rows": [{**rows[0], "name": "美的空调 1.5 匹 新一级"}]})
        assert renamed["data"]["upsertProducts"]["updated"] == 1

        levels = [{"productExternalId": "K3-1001", "warehouseCode": "XH", "onHand": 12}]
        first = (await erp.gql(UPSERT_LEVELS, {"rows": levels}))["data"]["upsertStockLevels"]
        assert first["updated"] == 1
        # The same count again changes nothing; a lower one posts the difference.
        assert (await erp.gql(UPSERT_LEVELS, {"rows": levels}))["data"]["upsertStockLevels"]["unchanged"] == 1
        lower = [
            {**levels[0], "onHand": 9},
            {"productExternalId": "NOPE", "warehouseCode": "ZZ", "onHand": -1},
        ]
        mixed = (await erp.gql(UPSERT_LEVELS, {"rows": lower}))["data"]["upsertStockLevels"]
        assert (mixed["updated"], mixed["failed"]) == (1, 1)
        assert {e["code"] for e in mixed["rows"][1]["errors"]} == {
            "unknown_product",
            "unknown_warehouse",
            "out_of_range",
        }
        found = (await erp.gql(LEVELS, {"p": product_id}))["data"]["stockLevels"]["nodes"]
        assert found == [{"onHand": 9, "warehouse": {"code": "XH"}}]

        # A retried request with the same Idempotency-Key gets the first answer and writes nothing.
        keyed = [{"externalId": "K3-2001", "sku": "GL-01", "name": "格力风扇"}]
        body = {"query": UPSERT_PRODUCTS, "variables": {"rows": keyed}}
        one = await erp.post("/graphql", json=body, headers={"Idempotency-Key": "erp-batch-77"})
        two = await erp.post("/graphql", json=body, headers={"Idempotency-Key": "erp-batch-77"})
        assert one.json() == two.json()
        assert one.json()["data"]["upsertProducts"]["created"] == 1


async def test_upserts_need_their_permissions(app: Litestar, tenant: TenantKit) -> None:
    async with await api_client(app, tenant, "sales_a") as sales:
        result = await sales.gql(UPSERT_PRODUCTS, {"rows": [{"externalId": "A", "sku": "A", "name": "A"}]})
        assert result["data"]["upsertProducts"] == {
            "__typename": "PermissionDeniedError",
            "permission": "catalog:create",
        }
        too_many = [{"externalId": str(i), "sku": str(i), "name": "x"} for i in range(501)]
    async with await api_client(app, tenant, "owner") as owner:
        result = await owner.gql(UPSERT_PRODUCTS, {"rows": too_many})
        assert result["data"]["upsertProducts"]["fields"] == [{"path": ["input"], "code": "too_many"}]


BOOK = """
mutation($in: BookDeliveryInput!) {
  bookDelivery(input: $in) {
    __typename
    ... on BookingPayload { booking { id number status slot version address } }
    ... on ValidationError { fields { path code } }
  }
}"""
MOVE = """
mutation($in: SetBookingStatusInput!) {
  setBookingStatus(input: $in) { __typename ... on BookingPayload { booking { status version } } }
}"""


async def test_a_visit_is_booked_and_moved_through_the_api(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001"])
    order_id = await approved_order(app, dealer)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    booking_input = {
        "orderId": str(order_id),
        "scheduledOn": tomorrow,
        "slot": "AFTERNOON",
        "teamId": str(dealer.team),
        "technicianIds": [str(tenant.people["technician"])],
    }
    async with await api_client(app, tenant, "service") as desk:
        bad = await desk.gql(
            BOOK, {"in": {**booking_input, "technicianIds": [str(tenant.people["sales_b"])]}}
        )
        assert bad["data"]["bookDelivery"]["fields"] == [
            {"path": ["input", "technicianIds", "0"], "code": "technician_not_in_team"}
        ]
        booked = (await desk.gql(BOOK, {"in": booking_input}))["data"]["bookDelivery"]["booking"]
        assert (booked["status"], booked["slot"]) == ("BOOKED", "AFTERNOON")
    async with await api_client(app, tenant, "technician") as sun:
        day = await sun.gql("query($d: Date) { bookings(from: $d, mine: true) { number } }", {"d": tomorrow})
        assert day["data"]["bookings"] == [{"number": booked["number"]}]
        moved = await sun.gql(
            MOVE, {"in": {"id": booked["id"], "version": booked["version"], "status": "ON_THE_WAY"}}
        )
        assert moved["data"]["setBookingStatus"]["booking"]["status"] == "ON_THE_WAY"


async def test_a_count_sheet_through_the_api(app: Litestar, tenant: TenantKit) -> None:
    dealer = await open_dealer(app, tenant, fridges=["HR001", "HR002"], filters=10)
    async with await api_client(app, tenant, "manager_a") as manager:
        opened = await manager.gql(
            "mutation($w: ID!) { openStockCount(input: {warehouseId: $w}) { __typename "
            "... on StockCountPayload { stockCount { id version lines { productId expected } } } } }",
            {"w": str(dealer.shop)},
        )
        sheet = opened["data"]["openStockCount"]["stockCount"]
        scanned = await manager.gql(
            'mutation($c: ID!) { scanStockCount(input: {countId: $c, serialNumbers: ["HR001", "NOPE"]}) '
            "{ __typename ... on ValidationError { fields { path code } } } }",
            {"c": sheet["id"]},
        )
        assert scanned["data"]["scanStockCount"]["fields"] == [
            {"path": ["input", "serialNumbers", "1"], "code": "unknown_serial"}
        ]
        for query in (
            'mutation($c: ID!) { scanStockCount(input: {countId: $c, serialNumbers: ["HR001", "HR002"]}) '
            "{ __typename } }",
            "mutation($c: ID!, $p: ID!) { countStock(input: {countId: $c, productId: $p, quantity: 8}) "
            "{ __typename } }",
        ):
            done = await manager.gql(query, {"c": sheet["id"], "p": str(dealer.filters)})
            assert "StockCountPayload" in str(done), done
        approved = await manager.gql(
            "mutation($c: ID!, $v: Int!) { approveStockCount(id: $c, version: $v) { __typename "
            "... on StockCountPayload { stockCount { status lines { productId variance } } } } }",
            {"c": sheet["id"], "v": sheet["version"]},
        )
        result = approved["data"]["approveStockCount"]["stockCount"]
        assert result["status"] == "APPROVED"
        assert {line["productId"]: line["variance"] for line in result["lines"]}[str(dealer.filters)] == -2
        twice = await manager.gql(
            "mutation($c: ID!) { approveStockCount(id: $c, version: 2) { __typename "
            "... on ValidationError { fields { path code } } } }",
            {"c": sheet["id"]},
        )
        assert twice["data"]["approveStockCount"]["fields"] == [{"path": ["input", "id"], "code": "not_open"}]
