"""Catalog and stock through the API, as 刘洋's ERP uses them: every example operation in
graphql/operations runs, refusals are typed errors with input paths, and bad arguments are
BAD_USER_INPUT."""

from __future__ import annotations

from crm_testkit import TenantKit
from graphql_helpers import OperationRun, api_client, operation
from litestar import Litestar
from stock_world import open_shop

MINE = (
    "ListProducts",
    "GetProduct",
    "CreateProduct",
    "UpdateProduct",
    "ListWarehouses",
    "StockLevels",
    "StockMovements",
    "ReceiveStock",
    "IssueStock",
    "TransferStock",
    "SerialUnitHistory",
    "ReplenishmentSuggestions",
)


async def test_every_catalog_and_stock_operation_runs(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    erp = await api_client(app, tenant, "manager_a")
    run = OperationRun(erp)

    created = await run(
        "CreateProduct",
        {
            "input": {
                "sku": "GR-KFR-35",
                "name": "格力云佳空调",
                "listPrice": "2999.00",
                "energyGrade": "GRADE_1",
            }
        },
    )
    product = created["createProduct"]["product"]
    assert (product["kind"], product["energyGrade"], product["listPrice"]) == (
        "APPLIANCE",
        "GRADE_1",
        "2999.00",
    )
    updated = await run(
        "UpdateProduct", {"input": {"id": product["id"], "version": product["version"], "listPrice": "2799"}}
    )
    assert updated["updateProduct"]["product"]["listPrice"] == "2799.00"
    got = await run("GetProduct", {"id": str(shop.fridge)})
    assert got["product"]["sku"] == "HR-BCD-470"
    listed = await run("ListProducts", {"first": 10, "filter": {"search": "格力"}})
    assert [e["node"]["sku"] for e in listed["products"]["edges"]] == ["GR-KFR-35"]
    warehouses = await run("ListWarehouses")
    assert [w["code"] for w in warehouses["warehouses"]] == ["HZ", "VAN-SQ", "XH"]
    received = await run(
        "ReceiveStock",
        {
            "input": {
                "productId": str(shop.fridge),
                "warehouseId": str(shop.central),
                "quantity": 2,
                "serialNumbers": ["HR-9001", "HR-9002"],
                "source": {"type": "purchase", "id": "PO-77"},
            }
        },
    )
    assert received["receiveStock"]["levels"] == [{"warehouse": {"code": "HZ"}, "onHand": 2, "available": 2}]
    moved = await run(
        "TransferStock",
        {
            "input": {
                "productId": str(shop.fridge),
                "fromWarehouseId": str(shop.central),
                "toWarehouseId": str(shop.shop),
                "quantity": 1,
                "serialNumbers": ["HR-9001"],
            }
        },
    )
    assert [m["kind"] for m in moved["transferStock"]["movements"]] == ["TRANSFER_OUT", "TRANSFER_IN"]
    issued = await run(
        "IssueStock",
        {
            "input": {
                "productId": str(shop.fridge),
                "warehouseId": str(shop.shop),
                "quantity": 1,
                "serialNumbers": ["HR-9001"],
                "source": {"type": "order", "id": "SO-1"},
            }
        },
    )
    assert issued["issueStock"]["levels"] == [{"onHand": 0, "reserved": 0, "available": 0}]
    levels = await run("StockLevels", {"first": 10, "filter": {"inStockOnly": True}})
    assert [(n["warehouse"]["code"], n["onHand"]) for n in levels["stockLevels"]["nodes"]] == [("HZ", 1)]
    lines = await run("StockMovements", {"first": 2})
    assert [n["kind"] for n in lines["stockMovements"]["nodes"]] == ["SHIP", "TRANSFER_IN"]
    assert lines["stockMovements"]["pageInfo"]["hasNextPage"] is True
    history = await run("SerialUnitHistory", {"serialNumber": "HR-9001"})
    [unit] = history["serialUnits"]
    assert unit["status"] == "SHIPPED" and unit["warehouse"] is None
    assert [h["kind"] for h in unit["history"]] == ["RECEIVE", "TRANSFER_OUT", "TRANSFER_IN", "SHIP"]
    suggestions = await run("ReplenishmentSuggestions", {"warehouseId": str(shop.shop)})
    [s] = suggestions["replenishmentSuggestions"]
    assert (s["outbound"], s["available"]) == (1, 0) and s["quantity"] > 0
    assert run.ran == set(MINE)


async def test_refusals_are_typed_errors_that_name_the_input(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant)
    erp = await api_client(app, tenant, "manager_a")
    result = await erp.gql(
        operation("IssueStock"),
        {"input": {"productId": str(shop.filters), "warehouseId": str(shop.shop), "quantity": 1}},
    )
    refusal = result["data"]["issueStock"]
    assert refusal["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in refusal["fields"]] == [
        (["input", "quantity"], "insufficient_stock")
    ]
    result = await erp.gql(
        operation("ReceiveStock"),
        {
            "input": {
                "productId": str(shop.fridge),
                "warehouseId": "nope",
                "quantity": 1,
                "serialNumbers": ["A", "A"],
            }
        },
    )
    refusal = result["data"]["receiveStock"]
    assert {(tuple(f["path"]), f["code"]) for f in refusal["fields"]} == {
        (("input", "warehouseId"), "unknown_warehouse"),
        (("input", "serialNumbers", "1"), "serial_repeated"),
        (("input", "serialNumbers"), "serial_count"),
    }
    # A salesperson reads stock but does not move it.
    sales = await api_client(app, tenant, "sales_a")
    result = await sales.gql(
        operation("ReceiveStock"),
        {"input": {"productId": str(shop.filters), "warehouseId": str(shop.shop), "quantity": 1}},
    )
    assert result["data"]["receiveStock"] == {
        "__typename": "PermissionDeniedError",
        "message": "Missing permission inventory:create.",
        "permission": "inventory:create",
    }
    result = await sales.gql(operation("StockLevels"), {"first": 500})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    result = await sales.gql(operation("StockLevels"), {"first": 5, "filter": {"warehouseId": "not-an-id"}})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    result = await sales.gql(operation("CreateProduct"), {"input": {"sku": "X", "name": "X"}})
    assert result["data"]["createProduct"]["permission"] == "catalog:create"
