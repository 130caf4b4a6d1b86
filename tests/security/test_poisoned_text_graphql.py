"""NUL bytes and lone surrogates in GraphQL inputs, filters and cursors are refused with a field error.

PostgreSQL refuses NUL in text and asyncpg cannot encode a lone surrogate: the probe got a 500 for
each, and the traceback logged the customer's data in clear. Now the request is refused before
anything runs, as a ``BAD_USER_INPUT`` error naming the argument, without echoing the text, and
nothing is written, logged as an error or sent to Sentry.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar
from security_kit import LIST_IDS, operation

from app.text_input import NUL, SURROGATE

SECRET = "客户的秘密备注"
POISONS = {NUL: f"{SECRET}\x00", SURROGATE: f"{SECRET}\ud800"}


def _json(payload: dict) -> bytes:
    # ensure_ascii keeps the lone surrogate as the escape \ud800 (what a hostile client sends).
    return json.dumps(payload, ensure_ascii=True).encode()


async def _send(client, query: str, variables: dict | None = None):
    return await client.post(
        "/graphql",
        content=_json({"query": query, "variables": variables or {}}),
        headers={"Content-Type": "application/json"},
    )


def _assert_refused(response, code: str, path_head: str, caplog) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    field = error["extensions"]["fields"][0]
    assert field["code"] == code and field["path"][0] == path_head
    # The customer's text is neither echoed nor logged.
    assert SECRET not in response.text
    assert SECRET not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("code", sorted(POISONS))
async def test_poisoned_text_in_a_mutation_input_is_a_field_error_and_nothing_is_written(
    app: Litestar, tenant: TenantKit, sentry, caplog, code: str
) -> None:
    """createCustomer with a NUL or lone surrogate in the name or notes: refused, no customer created."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    for field in ("name", "notes"):
        variables = {"input": {"name": "张三", "mobile": "13912345678", field: POISONS[code]}}
        response = await _send(client, operation("CreateCustomer"), variables)
        _assert_refused(response, code, "$input", caplog)
        assert response.json()["errors"][0]["extensions"]["fields"][0]["path"] == ["$input", field]
    listed = await client.gql(LIST_IDS, {"first": 10})
    assert listed["data"]["customers"]["totalCount"] == 0
    assert sentry.events() == []


@pytest.mark.parametrize("code", sorted(POISONS))
async def test_poisoned_text_in_a_filter_or_cursor_is_a_field_error(
    app: Litestar, tenant: TenantKit, sentry, caplog, code: str
) -> None:
    """A search filter, a tag filter and a cursor carrying NUL or a lone surrogate: refused, no 500."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    for variables in (
        {"first": 5, "filter": {"search": POISONS[code]}},
        {"first": 5, "filter": {"tag": POISONS[code]}},
        {"first": 5, "after": POISONS[code]},
    ):
        _assert_refused(
            await _send(client, LIST_IDS, variables),
            code,
            "$filter" if "filter" in variables else "$after",
            caplog,
        )
    assert sentry.events() == []


async def test_poisoned_text_inside_a_well_formed_cursor_is_a_bad_cursor(
    app: Litestar, tenant: TenantKit, sentry
) -> None:
    """A cursor that is clean base64 but decodes to a NUL-bearing sort value: BAD_USER_INPUT, no 500."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    raw = json.dumps(["name", f"{SECRET}\x00", "00000000-0000-0000-0000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    result = await client.gql(LIST_IDS, {"first": 5, "after": cursor, "orderBy": {"field": "NAME"}})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", result
    assert SECRET not in json.dumps(result)
    assert sentry.events() == []


@pytest.mark.parametrize("code", sorted(POISONS))
async def test_poisoned_text_in_an_inline_literal_is_a_field_error(
    app: Litestar, tenant: TenantKit, sentry, caplog, code: str
) -> None:
    """The same text written into the query as a string literal (GraphQL's \\u escapes) is refused too."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    escape = "\\u0000" if code == NUL else "\\uD800"
    query = f'{{ customers(first: 5, filter: {{search: "{SECRET}{escape}"}}) {{ totalCount }} }}'
    response = await _send(client, query)
    if code == SURROGATE:
        # GraphQL itself refuses an escaped lone surrogate as a syntax error: still the client's error.
        assert response.status_code == 200 and response.json()["errors"], response.text
        assert "Unexpected error" not in response.text
        assert sentry.events() == []
        return
    _assert_refused(response, code, "customers", caplog)
    assert response.json()["errors"][0]["extensions"]["fields"][0]["path"] == [
        "customers",
        "filter",
        "search",
    ]
    assert sentry.events() == []
