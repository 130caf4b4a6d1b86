"""Clients are limited by the objects they ask for per minute, not only by request count."""

from __future__ import annotations

import dataclasses

import pytest
from crm_testkit import TenantKit, integrator, token_for
from graphql import parse
from litestar import Litestar

from app.graphql import rate_limit
from app.settings import get_settings

LIST_100 = "{ customers(first: 100) { totalCount edges { node { id } } } }"


def test_cost_counts_list_sizes_through_variables_and_fragments() -> None:
    assert rate_limit.request_cost(parse("{ viewer { id } }"), {}) == 1
    assert rate_limit.request_cost(parse(LIST_100), {}) == 101
    assert (
        rate_limit.request_cost(parse("query($n: Int!) { customers(first: $n) { totalCount } }"), {"n": 7})
        == 8
    )
    # Without `first` a connection costs its default page.
    assert rate_limit.request_cost(parse("{ customers { totalCount } }"), {}) == 21
    fragment = "query { ...F } fragment F on Query { customers(first: 50) { totalCount } }"
    assert rate_limit.request_cost(parse(fragment), {}) == 51


async def test_a_client_over_its_object_budget_is_refused_until_the_next_minute(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dataclasses.replace(get_settings(), api_objects_per_minute=250)
    monkeypatch.setattr(rate_limit, "get_settings", lambda: small)
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    first = await client.post("/graphql", json={"query": LIST_100})
    second = await client.post("/graphql", json={"query": LIST_100})
    assert "errors" not in first.json() and "errors" not in second.json()
    third = (await client.post("/graphql", json={"query": LIST_100})).json()
    error = third["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["cost"] == 101 and 0 < error["extensions"]["retryAfter"] <= 60
    assert third["data"] is None
    # Another client of the same tenant has its own budget.
    other = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    assert "errors" not in (await other.post("/graphql", json={"query": LIST_100})).json()
