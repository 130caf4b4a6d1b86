"""Isolation cases of price lists and quotes.

B keeps a price list named with the marker and a draft quote for its secret customer, its note the
marker; nothing A does with B's ids reads, prints, moves, edits or converts the quote, or reads or
edits the price list (B's ids name no record in A: an attack is an unknown quote or price list)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar

from app.catalog.service import ProductService
from app.pricing.models import PriceList
from app.pricing.service import PriceListService
from app.quotes.models import Quote
from app.quotes.service import QuoteService

_QUOTE = "/quotes/{quote_id:uuid}"
_LIST = "/price-lists/{price_list_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/quotes"): RouteCase(TENANT),
    ("GET", "/quotes/new"): RouteCase(TENANT),
    ("POST", "/quotes"): RouteCase(TENANT, {"note": "被篡改"}),
    ("POST", "/quotes/lines"): RouteCase(TENANT, {"lines-0-quantity": "1"}),
    ("GET", "/quotes/pick/customers"): RouteCase(TENANT),
    ("GET", "/quotes/pick/products"): RouteCase(TENANT),
    ("GET", _QUOTE): RouteCase(TENANT),
    ("POST", _QUOTE): RouteCase(TENANT, {"version": "1", "note": "被篡改"}),
    ("GET", f"{_QUOTE}/edit"): RouteCase(TENANT),
    ("GET", f"{_QUOTE}/pdf"): RouteCase(TENANT),
    ("POST", f"{_QUOTE}/move"): RouteCase(TENANT, {"to": "sent", "version": "1"}),
    ("POST", f"{_QUOTE}/convert"): RouteCase(TENANT, {"version": "1"}),
    ("GET", "/quotes/letterhead"): RouteCase(TENANT),
    ("POST", "/quotes/letterhead"): RouteCase(TENANT, {"address": "被篡改"}),
    ("GET", "/catalog/products/new"): RouteCase(TENANT),
    ("POST", "/catalog/products/new"): RouteCase(TENANT, {"sku": "X-1", "name": "被篡改"}),
    ("GET", "/catalog/products/{product_id:uuid}/edit"): RouteCase(TENANT),
    ("POST", "/catalog/products/{product_id:uuid}/edit"): RouteCase(
        TENANT, {"version": "1", "name": "被篡改"}
    ),
    ("GET", "/price-lists"): RouteCase(TENANT),
    ("GET", "/price-lists/new"): RouteCase(TENANT),
    ("POST", "/price-lists"): RouteCase(TENANT, {"name": "被篡改"}),
    ("GET", _LIST): RouteCase(TENANT),
    ("POST", _LIST): RouteCase(TENANT, {"version": "1", "name": "被篡改"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "quotes": (
        "query($q: String) { quotes(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { number note } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "quote": (
        "query($id: ID!) { quote(id: $id) { __typename ... on Quote { number note lines { unitPrice } } } }",
        lambda w: {"id": w.extra["quote_id"]},
    ),
    "createQuote": (
        "mutation($c: ID!, $p: ID!) { createQuote(input: {customerId: $c, "
        "lines: [{productId: $p, quantity: 1}]}) { __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"c": str(w.b_customer), "p": w.extra["quote_product_id"]},
    ),
    "updateQuote": (
        'mutation($id: ID!) { updateQuote(input: {id: $id, version: 1, note: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["quote_id"]},
    ),
    "transitionQuote": (
        'mutation($id: ID!) { transitionQuote(id: $id, to: "sent", version: 1) { __typename } }',
        lambda w: {"id": w.extra["quote_id"]},
    ),
    "convertQuoteToOrder": (
        "mutation($id: ID!, $w: ID!) { convertQuoteToOrder(input: {id: $id, version: 1, warehouseId: $w}) "
        "{ __typename } }",
        lambda w: {"id": w.extra["quote_id"], "w": w.extra.get("order_warehouse_id", w.extra["quote_id"])},
    ),
    "priceLists": ("{ priceLists(first: 100) { edges { node { name note } } } }", lambda w: {}),
    "priceList": (
        "query($id: ID!) { priceList(id: $id) { __typename ... on PriceList { name note } } }",
        lambda w: {"id": w.extra["price_list_id"]},
    ),
    "createPriceList": (
        'mutation($p: ID!) { createPriceList(input: {name: "偷价", validFrom: "2030-01-01", '
        'items: [{productId: $p, price: "1"}]}) { __typename ... on ValidationError { fields { code } } } }',
        lambda w: {"p": w.extra["quote_product_id"]},
    ),
    "updatePriceList": (
        'mutation($id: ID!) { updatePriceList(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["price_list_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    product = await ProductService(session, b_owner).create(
        {"sku": f"BQ-{MARKER_MOBILE}", "name": MARKER_NAME, "list_price": "9999"}
    )
    price_list = await PriceListService(session, b_owner).create(
        {
            "name": MARKER_NAME,
            "kind": "member",
            "tier": "vip",
            "valid_from": date.today() - timedelta(days=1),
            "note": MARKER_MOBILE,
            "items": [{"product_id": product.id, "price": "7777"}],
        }
    )
    quote = await QuoteService(session, b_owner).create(
        {
            "customer_id": world.b_customer,
            "price_list_id": price_list.id,
            "lines": [{"product_id": product.id, "quantity": 1}],
            "note": MARKER_NAME,
        }
    )
    return {
        "quote_id": str(quote.id),
        "quote_product_id": str(product.id),
        "price_list_id": str(price_list.id),
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    quote = await session.get(Quote, uuid.UUID(world.extra["quote_id"]))
    if quote is None or (quote.version, quote.status, quote.note, quote.order_id) != (
        1,
        "draft",
        MARKER_NAME,
        None,
    ):
        problems.append("B's quote changed")
    price_list = await session.get(PriceList, uuid.UUID(world.extra["price_list_id"]))
    if price_list is None or (price_list.version, price_list.name) != (1, MARKER_NAME):
        problems.append("B's price list changed")
    return problems
