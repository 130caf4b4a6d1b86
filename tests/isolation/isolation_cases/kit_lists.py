"""Isolation cases of the kit's list pages: the bulk verbs.

A's staff tick B's customer by id (in the form and in the undo link's query string): each verb
reads it as absent (refused as not found), so B's customer is neither deleted, restored, given to
someone else nor tagged (the suite's own check of B's customer says so)."""

from __future__ import annotations

from isolation_world import TENANT, GraphQLCase, RouteCase

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("POST", "/customers/bulk"): RouteCase(TENANT, {"verb": "delete", "ids": "{customer_id}"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {}
