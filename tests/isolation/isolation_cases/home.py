"""Isolation cases of the home page and the global search (top bar, Ctrl-K palette, GraphQL).

The home page and the search read only the caller's own tenant: A's owner searching for B's marker
customer by name or mobile finds nothing (tests/search/test_global_search.py searches for it
explicitly), and the home page's numbers are A's."""

from __future__ import annotations

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/search"): RouteCase(TENANT),
    ("GET", "/search/palette"): RouteCase(TENANT),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {}
# A searches for B's marker customer by name: nothing may come back.
GRAPHQL_CASES["search"] = (
    "query($q: String!) { search(query: $q, first: 20) { entity hits { id title subtitle url } } }",
    lambda w: {"q": MARKER_NAME},
)
