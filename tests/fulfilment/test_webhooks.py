"""Outbound webhooks: the owner registers the ERP's URL for some events; committed events are
relayed from the outbox to a delivery per endpoint, signed and POSTed; a failing ERP is retried
with backoff, then the delivery is failed and can be replayed. The receiver is a real local HTTP
server (tests only: production refuses private addresses)."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from crm_testkit import TenantKit, actor
from fulfilment_world import codes
from litestar import Litestar
from receiver import erp_receiver
from sqlalchemy import select, update

from app.customers.service import CustomerService
from app.domain import PermissionDenied, ValidationFailed
from app.erp import webhooks
from app.erp.models import WebhookDelivery
from app.erp.webhooks import WebhookEndpointService, deliver, relay, sign, verify
from app.settings import get_settings


@pytest.fixture
def local_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test's receiver listens on 127.0.0.1, which production refuses."""
    allowed = dataclasses.replace(
        get_settings(), webhook_allow_private_targets=True, webhook_timeout_seconds=3
    )
    monkeypatch.setattr(webhooks, "get_settings", lambda: allowed)


async def _make_due(app: Litestar, tenant: TenantKit) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        await session.execute(
            update(WebhookDelivery).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()


async def test_an_event_reaches_the_erp_signed_and_once(
    app: Litestar, tenant: TenantKit, local_targets: None
) -> None:
    owner = await actor(app, tenant, "owner")
    with erp_receiver() as erp:
        async with app.state.db.tenant_session(tenant.schema) as session:
            hooks = WebhookEndpointService(session, owner)
            endpoint = await hooks.create(
                {"name": "金蝶 ERP", "url": erp.url, "events": ["customer.created"]}
            )
            secret = hooks.new_secret
            assert secret and secret.startswith("whsec_")
            sales = await actor(app, tenant, "sales_a")
            customer = await CustomerService(session, sales).create(
                {"name": "钱多多", "mobile": "13911112222"}
            )
            assert await relay(session) == 1
            # Relaying again finds the events dispatched: no second delivery.
            assert await relay(session) == 0
            [delivery] = await hooks.deliveries(endpoint_id=endpoint.id)
            delivery_id = delivery.id
        attempt = await deliver(app.state.db, tenant.schema, delivery_id)
        assert (attempt.status, attempt.status_code) == ("sent", 200)
        # Delivered once: running the job again (arq retried it) sends nothing.
        assert (await deliver(app.state.db, tenant.schema, delivery_id)).status == "skipped"
    [request] = erp.requests
    assert request.path == "/erp/hooks"
    assert request.headers["x-dealercrm-event"] == "customer.created"
    assert request.headers["x-dealercrm-delivery"] == str(delivery_id)
    assert verify(secret, request.headers["x-dealercrm-signature"], request.body)
    body = json.loads(request.body)
    assert (body["id"], body["event"], body["data"]["id"]) == (
        delivery_id,
        "customer.created",
        str(customer.id),
    )


async def test_a_failing_erp_is_retried_with_backoff_then_failed_and_replayed(
    app: Litestar, tenant: TenantKit, local_targets: None
) -> None:
    owner = await actor(app, tenant, "owner")
    with erp_receiver() as erp:
        erp.failures = 100
        async with app.state.db.tenant_session(tenant.schema) as session:
            hooks = WebhookEndpointService(session, owner)
            await hooks.create({"name": "ERP", "url": erp.url, "events": ["customer.created"]})
            await CustomerService(session, owner).create({"name": "孙悟空", "mobile": "13911113333"})
            await relay(session)
            [delivery] = await hooks.deliveries()
            delivery_id = delivery.id
        first = await deliver(app.state.db, tenant.schema, delivery_id)
        assert (first.status, first.status_code) == ("pending", 500)
        async with app.state.db.tenant_session(tenant.schema) as session:
            row = await session.get(WebhookDelivery, delivery_id)
            assert row is not None and row.attempts == 1 and row.last_error == "HTTP 500"
            # The next attempt waits: a minute after the first failure.
            assert row.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
        assert (await deliver(app.state.db, tenant.schema, delivery_id)).status == "skipped"
        for _ in range(webhooks.MAX_ATTEMPTS - 1):
            await _make_due(app, tenant)
            outcome = await deliver(app.state.db, tenant.schema, delivery_id)
        assert outcome.status == "failed"
        assert len(erp.requests) == webhooks.MAX_ATTEMPTS
        # The ERP is back: the owner replays the delivery, with the same delivery id.
        erp.failures = 0
        async with app.state.db.tenant_session(tenant.schema) as session:
            replayed = await WebhookEndpointService(session, owner).replay(delivery_id)
            assert (replayed.status, replayed.attempts) == ("pending", 0)
        assert (await deliver(app.state.db, tenant.schema, delivery_id)).status == "sent"
        assert erp.requests[-1].headers["x-dealercrm-delivery"] == str(delivery_id)


async def test_an_erp_that_does_not_answer_is_retried(
    app: Litestar, tenant: TenantKit, local_targets: None
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        hooks = WebhookEndpointService(session, owner)
        # Nothing listens on this port (the receiver was closed): a connection error, retried.
        with erp_receiver() as gone:
            url = gone.url
        await hooks.create({"name": "ERP", "url": url, "events": ["customer.created"]})
        await CustomerService(session, owner).create({"name": "猪八戒", "mobile": "13911114444"})
        await relay(session)
        [delivery] = await hooks.deliveries()
        delivery_id = delivery.id
    attempt = await deliver(app.state.db, tenant.schema, delivery_id)
    assert (
        attempt.status == "pending"
        and attempt.status_code is None
        and "ConnectError" in (attempt.error or "")
    )


async def test_webhook_urls_must_be_public_http(app: Litestar, tenant: TenantKit) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        hooks = WebhookEndpointService(session, owner)
        for url, code in (
            ("ftp://erp.example.com/hooks", "invalid_url"),
            ("https://user:pw@erp.example.com/", "invalid_url"),
            ("http://127.0.0.1:8080/hooks", "private_address"),
            ("http://10.1.2.3/hooks", "private_address"),
            ("http://[::1]/hooks", "private_address"),
            ("http://169.254.169.254/latest/meta-data", "private_address"),
            ("http://localhost/hooks", "private_address"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                await hooks.create({"name": "ERP", "url": url, "events": ["order.approved"]})
            assert codes(caught.value) == [("url", code)], url
        with pytest.raises(ValidationFailed) as caught:
            await hooks.create({"name": "ERP", "url": "https://8.8.8.8/h", "events": ["order.exploded", ""]})
        assert codes(caught.value) == [("events.0", "unknown_event")]
        # Integrations are the owner's and admin's: a manager may not register a URL.
        with pytest.raises(PermissionDenied):
            await WebhookEndpointService(session, await actor(app, tenant, "manager_a")).create(
                {"name": "ERP", "url": "https://8.8.8.8/h", "events": ["order.approved"]}
            )


def test_a_receiver_can_check_the_signature() -> None:
    body = b'{"event":"order.approved"}'
    now = int(time.time())
    header = sign("whsec_test", now, body)
    assert verify("whsec_test", header, body)
    assert not verify("whsec_other", header, body)
    assert not verify("whsec_test", header, body.replace(b"approved", b"shipped"))
    # A replay of an old, correctly signed request is refused after five minutes.
    assert not verify("whsec_test", sign("whsec_test", now - 600, body), body)
    assert not verify("whsec_test", "t=abc,v1=00", body)


async def test_order_moves_are_published_by_their_public_names(app: Litestar, tenant: TenantKit) -> None:
    assert webhooks.public_event("order.transitioned", {"to": "approved"}) == "order.approved"
    assert webhooks.public_event("order.transitioned", {"to": "submitted"}) is None
    assert webhooks.public_event("stock.low", {}) == "stock.low"
    assert webhooks.public_event("role.created", {}) is None
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert (await session.scalar(select(WebhookDelivery.id).limit(1))) is None
