"""Isolation cases of the home page and the global search (top bar, Ctrl-K palette, GraphQL).

The home page and the search read only the caller's own tenant: A's owner searching for B's marker
customer by name or mobile finds nothing (tests/search/test_global_search.py searches for it
explicitly), and the home page's numbers are A's."""

from __future__ import annotations

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/search"): RouteCase(TENANT),
    ("GET", "/search/palette"): RouteCase(TENANT),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {}

# What A types into the search (used by the search tests against the isolation world).
SEARCHES = (MARKER_NAME, MARKER_MOBILE[3:], "欧阳")
