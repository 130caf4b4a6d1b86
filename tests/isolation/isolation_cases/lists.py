"""Isolation cases of the lists moved onto the kit (helper H4): the lead list's bulk verbs.

A's staff tick B's lead by id (in the form and in the undo link's query string): each verb reads it
as absent (refused as not found), so B's lead is neither deleted, restored nor given to someone
else (the leads cases' own check of B's lead says so)."""

from __future__ import annotations

from isolation_world import TENANT, GraphQLCase, RouteCase

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("POST", "/leads/bulk"): RouteCase(TENANT, {"verb": "delete", "ids": "{lead_id}"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {}
