"""Bodies that are not a GraphQL request at all get a 400 with a GraphQL-shaped JSON error, never a 500.

The probe sent invalid UTF-8, random bytes, a top-level ``null`` or ``42`` and 5,000-deep nested
JSON to ``/graphql`` with a valid token: each was a 500 (and a Sentry event).
"""

from __future__ import annotations

import json
import os

import pytest
from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

DEEP = 5000

BODIES: dict[str, bytes] = {
    "invalid_utf8": b'{"query": "{ viewer { name } }\xff\xfe"}',
    "random_bytes": bytes(range(256)) * 4 + os.urandom(64),
    "top_level_null": b"null",
    "top_level_number": b"42",
    "top_level_string": b'"{ viewer { name } }"',
    "top_level_list_of_numbers": b"[1, 2, 3]",
    "deeply_nested_lists": b"[" * DEEP + b"]" * DEEP,
    "deeply_nested_objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deeply_nested_variables": b'{"query": "{ viewer { name } }", "variables": {"v": '
    + b"[" * DEEP
    + b"]" * DEEP
    + b"}}",
    "variables_a_number": b'{"query": "{ viewer { name } }", "variables": 7}',
    "query_a_number": b'{"query": 7}',
    "operation_name_a_list": b'{"query": "{ viewer { name } }", "operationName": [1]}',
    "extensions_a_string": b'{"query": "{ viewer { name } }", "extensions": "x"}',
}


@pytest.mark.parametrize("name", sorted(BODIES))
async def test_a_malformed_graphql_body_is_a_400_with_a_json_error(
    app: Litestar, tenant: TenantKit, sentry, name: str
) -> None:
    """Each malformed body: 400, ``{"errors": [{"message", "extensions": {"code"}}]}``, nothing for Sentry."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    response = await client.post(
        "/graphql", content=BODIES[name], headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, (name, response.status_code, response.text[:300])
    body = json.loads(response.text)
    error = body["errors"][0]
    assert error["message"] and error["extensions"]["code"] == "BAD_REQUEST"
    # The client's mistake is not a server error.
    assert sentry.events() == []


async def test_a_string_for_an_int_page_size_is_a_variable_error_not_a_server_error(
    app: Litestar, tenant: TenantKit, sentry
) -> None:
    """{"f": "abc"} for ``$f: Int`` used as ``first``: the object rate limiter used to call int() on it
    ("invalid literal for int()", a server error in Sentry); now the variable coercion error wins."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    query = "query($f: Int) { customers(first: $f) { totalCount } }"
    for value in ("abc", "12", 3.5, [1], {"a": 1}, True):
        response = await client.post("/graphql", json={"query": query, "variables": {"f": value}})
        assert response.status_code == 200, response.text
        message = response.json()["errors"][0]["message"]
        assert message.startswith("Variable '$f' has invalid value"), message
        assert "invalid literal" not in message
    assert sentry.events() == []
