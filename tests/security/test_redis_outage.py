"""Redis down is a degraded service, not an outage: the app starts, reads and writes keep working.

The probe stopped Redis: every bearer GraphQL call was a 500 (the API-quota counter), ``/readyz``
was 503 (so every pod would leave the Service at once) and the server would not start. Here the
same app is built against a Redis URL nobody listens on (127.0.0.1:1) and the real PostgreSQL;
nothing is mocked. The choices (quota and rate limit fail open) are in docs/security.md.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest
from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar
from security_kit import LIST_IDS, operation

from app.factory import services
from app.settings import get_settings
from web.main import create_web_app

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
async def app_without_redis(app: Litestar, caplog) -> AsyncIterator[Litestar]:
    """The web app started (its real services) while Redis is unreachable.

    ``app`` first: the process's logging is set up once, before caplog listens."""
    settings = dataclasses.replace(
        get_settings(), redis_url=CLOSED_PORT, redis_startup_attempts=3, redis_startup_delay_seconds=0.05
    )
    application = create_web_app(settings)
    with caplog.at_level(logging.INFO):
        async with services(settings) as found:
            for key, value in found.items():
                application.state[key] = value
            yield application


async def test_the_server_starts_after_bounded_retries_when_redis_is_down(
    app_without_redis: Litestar, caplog
) -> None:
    """Start-up retries Redis a bounded number of times, says so in the log, and then starts anyway."""
    started = [r.getMessage() for r in caplog.get_records("setup")]
    assert any("Redis unreachable after 3 attempts" in line for line in started), started
    assert app_without_redis.state.db is not None


async def test_readyz_stays_ready_with_redis_down_and_says_it_is_degraded(
    app_without_redis: Litestar,
) -> None:
    """/readyz is 200 while PostgreSQL answers (the pod stays in the Service); Redis shows as degraded."""
    from httpx import ASGITransport, AsyncClient

    client = AsyncClient(transport=ASGITransport(app=app_without_redis), base_url="http://localhost")
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("degraded")
    assert body["status"] == "degraded"


async def test_bearer_graphql_reads_and_writes_work_with_redis_down(
    app: Litestar, app_without_redis: Litestar, tenant: TenantKit, sentry
) -> None:
    """An integrator's reads and a create still work: the API quota and the rate limit fail open."""
    token = await token_for(app, tenant, "sales_a")
    client = integrator(app_without_redis, tenant.host, token)
    viewer = await client.post("/graphql", json={"query": "{ viewer { name } }"})
    assert viewer.status_code == 200, viewer.text
    assert viewer.json()["data"]["viewer"]["name"] == "张伟"
    created = await client.gql(
        operation("CreateCustomer"), {"input": {"name": "停电客户", "mobile": "13912345678"}}
    )
    assert created["data"]["createCustomer"]["__typename"] == "CustomerPayload", created
    listed = await client.gql(LIST_IDS, {"first": 10})
    assert [e["node"]["name"] for e in listed["data"]["customers"]["edges"]] == ["停电客户"]
    assert sentry.events() == []
