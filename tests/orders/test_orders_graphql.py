"""Orders and payments through the API, as 张伟's e-shop integration uses them: every example
operation in graphql/operations runs, refusals are typed errors with input paths."""

from __future__ import annotations

from crm_testkit import TenantKit
from graphql_helpers import OperationRun, api_client
from litestar import Litestar
from order_world import open_shop

MINE = (
    "ListOrders",
    "GetOrder",
    "CreateOrder",
    "UpdateOrder",
    "TransitionOrder",
    "SetPaymentPlan",
    "RecordPayment",
    "OrderPayments",
    "Receivables",
)


async def test_every_order_and_payment_operation_runs(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001", "HR002"], filters=5)
    sales = await api_client(app, tenant, "sales_a")
    manager = await api_client(app, tenant, "manager_a")
    run = OperationRun(sales)

    bad = (
        await run(
            "CreateOrder",
            {
                "input": {
                    "customerId": str(shop.customer),
                    "warehouseId": str(shop.shop),
                    "lines": [{"productId": str(shop.fridge), "quantity": 0, "discount": "120"}],
                }
            },
        )
    )["createOrder"]
    assert bad["__typename"] == "ValidationError"
    assert sorted((tuple(f["path"]), f["code"]) for f in bad["fields"]) == [
        (("input", "lines", "0", "discount"), "out_of_range"),
        (("input", "lines", "0", "quantity"), "out_of_range"),
    ]
    created = (
        await run(
            "CreateOrder",
            {
                "input": {
                    "customerId": str(shop.customer),
                    "warehouseId": str(shop.shop),
                    "lines": [
                        {"productId": str(shop.fridge), "quantity": 1, "discount": "15"},
                        {"kind": "TRADE_IN", "description": "旧冰箱", "unitPrice": "200"},
                    ],
                }
            },
        )
    )["createOrder"]
    assert created["__typename"] == "OrderPayload"
    order = created["order"]
    # 5999 × 0.85 − 200
    assert (order["total"], order["maxDiscount"], order["status"]) == ("4899.15", "15.00", "draft")
    updated = (
        await run(
            "UpdateOrder",
            {
                "input": {
                    "id": order["id"],
                    "version": order["version"],
                    "invoiceType": "SPECIAL",
                    "invoiceTitle": "杭州某某科技有限公司",
                    "invoiceTaxNo": "91330106MA2XXXXX1A",
                }
            },
        )
    )["updateOrder"]
    assert updated["__typename"] == "OrderPayload" and updated["order"]["invoiceType"] == "SPECIAL"
    version = updated["order"]["version"]
    moved = await run("TransitionOrder", {"id": order["id"], "to": "submitted", "version": version})
    version = moved["transitionOrder"]["order"]["version"]
    # 15 % off: the salesperson may not approve it; his manager may.
    refused = await run("TransitionOrder", {"id": order["id"], "to": "approved", "version": version})
    assert refused["transitionOrder"]["__typename"] == "GuardFailedError"
    assert refused["transitionOrder"]["neededPermission"] == "orders:approve"
    approved = (
        await run("TransitionOrder", {"id": order["id"], "to": "approved", "version": version}, manager)
    )["transitionOrder"]
    assert (approved["__typename"], approved["order"]["stock"]) == ("OrderPayload", "RESERVED")
    shipped = (
        await run(
            "TransitionOrder", {"id": order["id"], "to": "shipped", "version": approved["order"]["version"]}
        )
    )["transitionOrder"]
    assert shipped["order"]["lines"][0]["serialNumbers"] == ["HR001"]

    got = (await run("GetOrder", {"id": order["id"]}))["order"]
    assert got["__typename"] == "Order" and [line["amount"] for line in got["lines"]] == [
        "5099.15",
        "-200.00",
    ]
    listed = (await run("ListOrders", {"first": 10, "filter": {"status": "shipped"}}))["orders"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["number"] == order["number"]

    planned = (
        await run(
            "SetPaymentPlan",
            {
                "input": {
                    "orderId": order["id"],
                    "version": got["version"],
                    "lines": [
                        {"kind": "DEPOSIT", "dueOn": "2026-11-01", "amount": "1000"},
                        {"kind": "BALANCE", "dueOn": "2099-12-31", "amount": "3899.15"},
                    ],
                }
            },
        )
    )["setPaymentPlan"]
    assert planned["__typename"] == "OrderPayload"
    too_much = (
        await run("RecordPayment", {"input": {"orderId": order["id"], "amount": "5000", "method": "WECHAT"}})
    )["recordPayment"]
    assert too_much["__typename"] == "ValidationError" and too_much["fields"][0]["code"] == "overpayment"
    paid = (
        await run(
            "RecordPayment",
            {
                "input": {
                    "orderId": order["id"],
                    "amount": "800",
                    "method": "ALIPAY",
                    "reference": "2026112722",
                }
            },
        )
    )["recordPayment"]
    assert paid["__typename"] == "PaymentPayload" and paid["order"]["owed"] == "4099.15"
    payments = (await run("OrderPayments", {"orderId": order["id"]}))["orderPayments"]
    assert [p["method"] for p in payments["payments"]] == ["ALIPAY"] and len(payments["plan"]) == 2
    [owed] = (await run("Receivables"))["receivables"]
    assert (owed["customerName"], owed["balance"], owed["overdue"]) == ("赵敏", "4099.15", "200.00")
    assert run.ran == set(MINE)
