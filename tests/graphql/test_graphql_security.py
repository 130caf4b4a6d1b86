"""What the GraphQL endpoint refuses, and how: never a stack trace, a suggestion or another tenant's data.

- no credentials, a token of another tenant, a revoked token → 401 (so introspection is for
  authenticated clients only); a suspended tenant → 403;
- malformed requests → a GraphQL-shaped JSON error; unknown names → validation errors without
  "Did you mean ...?"; depth, alias and token limits;
- an unexpected exception → "Unexpected error." while typed unions keep carrying business errors.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from crm_testkit import TenantKit, actor, browser, integrator, token_for
from gqlkit import create, errors_of, operation
from graphql import get_introspection_query
from litestar import Litestar

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.platform import service as platform
from app.security import token_hash

VIEWER = "{ viewer { name } }"


def _anonymous(app: Litestar, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"https://{host}")


async def test_no_credentials_no_schema(app: Litestar, tenant: TenantKit) -> None:
    """Without a token or session even introspection is refused; with one it works."""
    bogus_token = integrator(app, tenant.host, f"dcrm_{tenant.slug}_not-a-real-secret")
    no_session = browser(app, tenant.host)  # holds a CSRF token, like a logged-out admin tab
    for query in (VIEWER, get_introspection_query()):
        # No credentials at all: nothing for CSRF to protect, so authentication refuses it.
        bare = await _anonymous(app, tenant.host).post("/graphql", json={"query": query})
        assert bare.status_code == 401
        token = await bogus_token.post("/graphql", json={"query": query})
        assert token.status_code == 401
        assert token.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        session = await no_session.post(
            "/graphql", json={"query": query}, headers={"X-CSRF-Token": await no_session.ensure_csrf()}
        )
        assert session.status_code == 401
        for response in (bare, token, session):
            assert response.json()["errors"]
            assert "__schema" not in response.text and "Customer" not in response.text

    client = integrator(app, tenant.host, await token_for(app, tenant, "viewer"))
    schema = (await client.gql(get_introspection_query()))["data"]["__schema"]
    assert "Customer" in {t["name"] for t in schema["types"]}


async def test_a_token_works_only_on_its_own_tenants_host(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    token = await token_for(app, tenant, "admin")
    await create(app, other_tenant, "admin", name="别家的客户")
    at_home = integrator(app, tenant.host, token)
    assert (await at_home.gql(VIEWER))["data"]["viewer"]["name"] == "李静"

    abroad = integrator(app, other_tenant.host, token)
    response = await abroad.post("/graphql", json={"query": "{ customers { edges { node { name } } } }"})
    assert response.status_code == 401
    assert "别家的客户" not in response.text

    # A token whose prefix is rewritten to name the other tenant fails its hash check there.
    forged = token.replace(f"dcrm_{tenant.slug}_", f"dcrm_{other_tenant.slug}_")
    response = await integrator(app, other_tenant.host, forged).post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401


async def test_a_revoked_token_is_refused(app: Litestar, tenant: TenantKit) -> None:
    token = await token_for(app, tenant, "sales_a")
    client = integrator(app, tenant.host, token)
    assert (await client.gql(VIEWER))["data"]["viewer"]["name"] == "张伟"
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await accounts_repo.token_by_hash(session, token_hash(token))
        assert record is not None
        await accounts.revoke_api_token(session, await actor(app, tenant, "sales_a"), record.id)
    response = await client.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "token is invalid or revoked"


async def test_a_suspended_tenants_tokens_are_refused_until_it_resumes(
    app: Litestar, tenant: TenantKit
) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    await platform.suspend(app.state.db.engine, tenant.slug)
    try:
        response = await client.post("/graphql", json={"query": VIEWER})
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "TENANT_SUSPENDED"
    finally:
        await platform.resume(app.state.db.engine, tenant.slug)
    assert (await client.gql(VIEWER))["data"]["viewer"]["name"] == "王建国"


async def test_unknown_host_is_a_json_404(app: Litestar) -> None:
    response = await _anonymous(app, "no-such-dealer.localhost").post("/graphql", json={"query": VIEWER})
    assert response.status_code == 404
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"variables": {}}', 400),
        (b'{"query": "{ viewer { name } "}', 200),
        (b'{"query": "query { viewer { name } } query { viewer { email } }"}', 200),
        (b'{"query": "{ viewer { name } }", "variables": "[1, 2]"}', 400),
    ],
)
async def test_malformed_requests_get_a_clean_json_error(
    app: Litestar, tenant: TenantKit, body: bytes, status: int
) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert payload["errors"] and payload["errors"][0]["message"]
    assert payload.get("data") is None
    assert "Traceback" not in response.text and ".py" not in response.text


async def test_other_methods_get_a_json_error(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    response = await client.get("/graphql", params={"query": VIEWER})
    assert response.status_code in (400, 404, 405)
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ viewer { nme } }", None),  # would suggest "name"
        ("{ custmers { totalCount } }", None),  # would suggest "customers"
        ("{ customers(frist: 5) { totalCount } }", None),  # would suggest "first"
        ("{ customers(filter: {statu: WON}) { totalCount } }", None),  # would suggest "status"
        ("{ customers(filter: {status: LEADS}) { totalCount } }", None),  # would suggest "LEAD"
        ("query($s: CustomerStatus) { customers(filter: {status: $s}) { totalCount } }", {"s": "LEADS"}),
        (
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename } }",
            {"i": {"name": "x", "mobil": "13912345678"}},  # would suggest "mobile"
        ),
        ("{ customer(id: 1) { ... on Custmer { name } } }", None),  # would suggest "Customer"
    ],
)
async def test_validation_errors_never_suggest_names(
    app: Litestar, tenant: TenantKit, query: str, variables: dict[str, Any] | None
) -> None:
    """Suggestions would let a client without the schema discover it field by field."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    result = await client.gql(query, variables)
    assert result.get("data") is None
    messages = errors_of(result)
    assert messages
    assert not any("Did you mean" in m for m in messages), messages


async def test_depth_alias_and_token_limits(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    deep = "{ viewer " + "{ a " * 11 + "}" * 12
    assert any("exceeds maximum operation depth of 10" in m for m in errors_of(await client.gql(deep)))

    aliases = "{ " + " ".join(f"v{n}: viewer {{ name }}" for n in range(31)) + " }"
    assert errors_of(await client.gql(aliases)) == ["31 aliases found. Allowed: 30"]
    thirty = "{ " + " ".join(f"v{n}: viewer {{ name }}" for n in range(30)) + " }"
    assert (await client.gql(thirty))["data"]["v29"]["name"] == "李静"

    # Aliases hidden in fragments count too.
    fragmented = (
        "{ ...F ...G } fragment F on Query { "
        + " ".join(f"f{n}: viewer {{ name }}" for n in range(16))
        + " } fragment G on Query { "
        + " ".join(f"g{n}: viewer {{ name }}" for n in range(16))
        + " }"
    )
    assert errors_of(await client.gql(fragmented)) == ["32 aliases found. Allowed: 30"]

    huge = "{ viewer { " + "name " * 2100 + "} }"
    (message,) = errors_of(await client.gql(huge))
    assert "2000 tokens" in message


async def test_an_unexpected_failure_is_masked_and_business_errors_still_typed(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug inside a resolver shows the client "Unexpected error." and nothing of the exception."""
    customer = await create(app, tenant, "admin", name="程灵素", mobile="13912345678")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("customer lookup exploded for 13912345678 at /srv/app/secret.py")

    monkeypatch.setattr("app.customers.service.get_customer", broken)
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    result = await client.gql(
        """
        query($id: ID!) {
          customer(id: $id) { __typename }
          viewer { name }
        }
        """,
        {"id": str(customer.id)},
    )
    assert result["errors"] == [
        {"message": "Unexpected error.", "locations": [{"line": 3, "column": 11}], "path": ["customer"]}
    ]
    assert result["data"] is None  # customer is non-null, so the error bubbles to the root

    # Business errors in the same API keep their types.
    missing = await client.gql(
        operation("UpdateCustomer"), {"input": {"id": str(uuid.uuid4()), "version": 1}}
    )
    assert missing["data"]["updateCustomer"]["__typename"] == "NotFoundError"
