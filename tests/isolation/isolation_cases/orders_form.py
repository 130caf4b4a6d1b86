"""Isolation cases of the order form (new order, the lines editor, the customer's invoice and
delivery part, the pickers, a draft's edit and its save).

B's draft order (seeded by ``orders.py``, its note the marker) is the target: A's staff open its edit
form and post changes to it by id (an unknown order: 404, B's order untouched at version 2, as the
orders cases check); the form's helpers on A's host answer with A's own catalog and customers only,
and with A's cookie on B's host they answer nothing."""

from __future__ import annotations

from isolation_world import TENANT, GraphQLCase, RouteCase

_ORDER = "/orders/{order_id:uuid}"
_LINE = {"lines-0-product_id": "", "lines-0-quantity": "1"}

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/orders/new"): RouteCase(TENANT),
    ("POST", "/orders"): RouteCase(TENANT, {"note": "被篡改", **_LINE}),
    ("POST", "/orders/lines"): RouteCase(TENANT, _LINE),
    ("POST", "/orders/customer"): RouteCase(TENANT, {"customer_changed": "1"}),
    ("GET", "/orders/pick/customers"): RouteCase(TENANT),
    ("GET", "/orders/pick/products"): RouteCase(TENANT),
    ("GET", f"{_ORDER}/edit"): RouteCase(TENANT),
    ("POST", _ORDER): RouteCase(TENANT, {"version": "2", "note": "被篡改", "invoice_title": "被篡改"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {}
