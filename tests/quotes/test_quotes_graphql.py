"""Quotes and price lists through the API, as 张伟's e-shop integration uses them: every example
operation in graphql/operations runs, refusals are typed errors naming the input path, and the PDF
the quote names downloads for staff."""

from __future__ import annotations

from datetime import timedelta

from crm_testkit import TenantKit, logged_in
from graphql_helpers import OperationRun, api_client
from litestar import Litestar
from quote_world import open_shop

from app.pricing.service import today

MINE = (
    "ListQuotes",
    "GetQuote",
    "CreateQuote",
    "UpdateQuote",
    "TransitionQuote",
    "ConvertQuoteToOrder",
    "ListPriceLists",
    "CreatePriceList",
)


async def test_every_quote_and_price_list_operation_runs(app: Litestar, tenant: TenantKit) -> None:
    shop = await open_shop(app, tenant, fridges=["HR001"])
    sales = await api_client(app, tenant, "sales_a")
    manager = await api_client(app, tenant, "manager_a")
    run = OperationRun(sales)

    # A salesperson does not set prices.
    denied = (await run("CreatePriceList", {"input": {"name": "私价", "validFrom": today().isoformat()}}))[
        "createPriceList"
    ]
    assert denied["__typename"] == "PermissionDeniedError"
    listed = (
        await run(
            "CreatePriceList",
            {
                "input": {
                    "name": "十一月零售价",
                    "kind": "RETAIL",
                    "validFrom": today().isoformat(),
                    "validTo": (today() + timedelta(days=30)).isoformat(),
                    "items": [{"productId": str(shop.fridge), "price": "5799.00"}],
                }
            },
            manager,
        )
    )["createPriceList"]
    assert listed["__typename"] == "PriceListPayload" and listed["priceList"]["kind"] == "RETAIL"
    overlap = (
        await run(
            "CreatePriceList",
            {"input": {"name": "重复", "validFrom": (today() + timedelta(days=5)).isoformat()}},
            manager,
        )
    )["createPriceList"]
    assert overlap["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in overlap["fields"]] == [(["input", "validFrom"], "overlapping")]
    lists = (await run("ListPriceLists"))["priceLists"]
    assert lists["totalCount"] == 1 and lists["edges"][0]["node"]["items"][0]["price"] == "5799.00"

    bad = (
        await run(
            "CreateQuote",
            {
                "input": {
                    "customerId": str(shop.customer),
                    "lines": [
                        {"productId": str(shop.fridge), "quantity": 0},
                        {"productId": str(shop.filters), "quantity": 1, "discount": "101"},
                    ],
                }
            },
        )
    )["createQuote"]
    assert bad["__typename"] == "ValidationError"
    assert sorted((tuple(f["path"]), f["code"]) for f in bad["fields"]) == [
        (("input", "lines", "0", "quantity"), "out_of_range"),
        (("input", "lines", "1", "discount"), "out_of_range"),
    ]
    created = (
        await run(
            "CreateQuote",
            {
                "input": {
                    "customerId": str(shop.customer),
                    "lines": [{"productId": str(shop.fridge), "quantity": 1}],
                }
            },
        )
    )["createQuote"]["quote"]
    assert created["total"] == "5799.00" and created["tax"] == "667.14"
    assert created["priceListId"] == listed["priceList"]["id"]

    updated = (
        await run(
            "UpdateQuote", {"input": {"id": created["id"], "version": created["version"], "note": "含安装"}}
        )
    )["updateQuote"]
    assert updated["__typename"] == "QuotePayload"
    stale = (await run("UpdateQuote", {"input": {"id": created["id"], "version": 1, "note": "旧"}}))[
        "updateQuote"
    ]
    assert stale["__typename"] == "VersionConflictError"

    refused = (
        await run(
            "ConvertQuoteToOrder",
            {
                "input": {
                    "id": created["id"],
                    "version": updated["quote"]["version"],
                    "warehouseId": str(shop.shop),
                }
            },
        )
    )["convertQuoteToOrder"]
    assert refused["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in refused["fields"]] == [(["input", "status"], "not_convertible")]

    sent = (
        await run(
            "TransitionQuote", {"id": created["id"], "to": "sent", "version": updated["quote"]["version"]}
        )
    )["transitionQuote"]
    assert sent["__typename"] == "QuotePayload" and sent["quote"]["status"] == "sent"
    converted = (
        await run(
            "ConvertQuoteToOrder",
            {
                "input": {
                    "id": created["id"],
                    "version": sent["quote"]["version"],
                    "warehouseId": str(shop.shop),
                }
            },
        )
    )["convertQuoteToOrder"]
    assert converted["__typename"] == "ConvertQuotePayload"
    assert converted["quote"]["status"] == "accepted"
    assert converted["quote"]["orderId"] == converted["order"]["id"]
    assert converted["order"]["lines"] == [
        {"productId": str(shop.fridge), "unitPrice": "5799.00", "discount": "0.00"}
    ]

    got = (await run("GetQuote", {"id": created["id"]}))["quote"]
    assert got["orderId"] == converted["order"]["id"] and got["pdfUrl"] == f"/quotes/{created['id']}/pdf"
    found = (await run("ListQuotes", {"filter": {"status": "accepted"}}))["quotes"]
    assert [e["node"]["id"] for e in found["edges"]] == [created["id"]]

    # Another team's salesperson finds nothing, and a malformed id is just an unknown one.
    li_na = await api_client(app, tenant, "sales_b")
    assert (await run("GetQuote", {"id": created["id"]}, li_na))["quote"]["__typename"] == "NotFoundError"
    assert (await run("GetQuote", {"id": "not-an-id"}, li_na))["quote"]["__typename"] == "NotFoundError"
    assert run.ran == set(MINE)

    # The PDF the quote names: a PDF, for staff who can see the quote.
    zhang = await logged_in(app, tenant, "sales_a")
    pdf = await zhang.get(got["pdfUrl"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
