"""Sentry: an unexpected resolver error arrives once, tagged with the tenant, without personal data.

sentry-sdk is process-global, so the test starts it with a capturing transport and always leaves a
disabled client behind.
"""

from __future__ import annotations

import json

import pytest
from crm_testkit import TenantKit, integrator, token_for
from gqlkit import create, operation
from litestar import Litestar
from sentry_capture import CapturingTransport

PHONE = "13912345678"


async def test_unhandled_resolver_error_is_reported_with_tenant_and_without_the_phone(
    app: Litestar, tenant: TenantKit, sentry: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = await create(app, tenant, "admin", name="程灵素", mobile=PHONE)

    async def broken_lookup(session: object, actor: object, customer_id: object) -> None:
        mobile = PHONE  # a local variable Sentry would otherwise ship with the stack frame
        raise RuntimeError(f"could not load customer with mobile {mobile}")

    monkeypatch.setattr("app.customers.service.get_customer", broken_lookup)
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    response = await client.post(
        "/graphql", json={"query": operation("GetCustomer"), "variables": {"id": str(customer.id)}}
    )
    assert response.json()["errors"][0]["message"] == "Unexpected error."

    events = sentry.events()
    assert len(events) == 1, [e.get("exception") for e in events]
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "could not load customer with mobile [mobile]"
    assert event["tags"]["tenant"] == tenant.slug
    assert event["tags"]["request_id"] == response.headers["x-request-id"]
    assert event["environment"] == "test"
    serialized = json.dumps(event, ensure_ascii=False)
    assert PHONE not in serialized
    assert "broken_lookup" in serialized  # the real traceback, not only the masked message


async def test_client_mistakes_are_not_reported(
    app: Litestar, tenant: TenantKit, sentry: CapturingTransport
) -> None:
    """Bad queries and refused input are the client's to read; they would only bury real failures."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    await client.gql("{ viewer { nme } }")
    await client.gql("{ customers(first: 500) { totalCount } }")
    await client.gql(operation("CreateCustomer"), {"input": {"name": "张三", "mobile": "123"}})
    assert sentry.events() == []
