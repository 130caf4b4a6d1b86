"""The admin's integration pages: webhooks (/settings/webhooks: create with the secret shown once,
edit, disable, the delivery log, replay) and the ERP connector's settings and sync log
(/settings/erp); only holders of integrations:manage reach them."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar
from sqlalchemy import select, update

from app.customers.service import CustomerService
from app.erp import webhooks
from app.erp.models import ErpConnector, WebhookDelivery, WebhookEndpoint
from app.erp.webhooks import relay
from app.settings import get_settings


@pytest.fixture
def public_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name resolution in the test: literal public addresses only."""
    allowed = dataclasses.replace(get_settings(), webhook_allow_private_targets=False)
    monkeypatch.setattr(webhooks, "get_settings", lambda: allowed)


async def test_a_webhook_is_created_edited_disabled_and_its_delivery_replayed(
    app: Litestar, tenant: TenantKit, public_hosts: None
) -> None:
    owner = await logged_in(app, tenant, "owner")
    bad = await owner.post_form(
        "/settings/webhooks", {"name": "ERP", "url": "ftp://erp", "event.order.approved": "1"}
    )
    assert bad.status_code == 422 and "http://" in bad.text
    made = await owner.post_form(
        "/settings/webhooks",
        {"name": "金蝶 ERP", "url": "https://8.8.8.8/hooks", "event.customer.created": "1", "active": "1"},
    )
    assert made.status_code == 201 and "whsec_" in made.text
    # The secret is shown once: the list shows the endpoint, never the secret again.
    listed = await owner.get("/settings/webhooks")
    assert "金蝶 ERP" in listed.text and "whsec_" not in listed.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        endpoint = await session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == "金蝶 ERP"))
        assert endpoint is not None and endpoint.events == ["customer.created"]
        endpoint_id = endpoint.id
        await CustomerService(session, await actor(app, tenant, "sales_a")).create(
            {"name": "孙丽", "mobile": f"135{uuid.uuid4().int % 10**8:08d}"}
        )
        await relay(session)
        await session.execute(
            update(WebhookDelivery).values(status="failed", last_status_code=502, attempts=8)
        )
        await session.commit()
        delivery_id = await session.scalar(
            select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
        )
    page = await owner.get(f"/settings/webhooks/{endpoint_id}")
    assert page.status_code == 200 and "customer.created" in page.text and "502" in page.text
    edited = await owner.post_form(
        f"/settings/webhooks/{endpoint_id}",
        {
            "name": "金蝶云",
            "url": "https://8.8.8.8/v2",
            "event.order.approved": "1",
            "active": "1",
            "version": "1",
        },
    )
    assert edited.status_code == 303
    stale = await owner.post_form(
        f"/settings/webhooks/{endpoint_id}",
        {"name": "旧表单", "url": "https://8.8.8.8/v3", "active": "1", "version": "1"},
    )
    assert stale.status_code == 409
    replayed = await owner.post_form(f"/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", {})
    assert replayed.status_code == 303
    again = await owner.post_form(f"/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", {})
    assert again.status_code == 422  # still on its way: not replayable yet
    assert (await owner.post_form(f"/settings/webhooks/{endpoint_id}/disable", {})).status_code == 303
    async with app.state.db.tenant_session(tenant.schema) as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        delivery = await session.get(WebhookDelivery, delivery_id)
        assert endpoint is not None and (endpoint.name, endpoint.events, endpoint.active) == (
            "金蝶云",
            ["order.approved"],
            False,
        )
        assert delivery is not None and (delivery.status, delivery.attempts) == ("pending", 0)


async def test_erp_settings_are_saved_checked_and_kept_from_other_roles(
    app: Litestar, tenant: TenantKit
) -> None:
    sales = await logged_in(app, tenant, "sales_a")
    assert (await sales.get("/settings/erp")).status_code == 403
    assert (await sales.get("/settings/webhooks")).status_code == 403
    assert (await sales.post_form("/settings/erp/sync", {})).status_code == 403
    owner = await logged_in(app, tenant, "owner")
    assert (await owner.get("/settings/erp")).status_code == 200
    bad = await owner.post_form(
        "/settings/erp", {"enabled": "1", "mode": "http", "base_url": "", "product_mapping": "[1, 2]"}
    )
    assert bad.status_code == 422
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.get(ErpConnector, 1) is None  # nothing saved
    saved = await owner.post_form(
        "/settings/erp",
        {
            "enabled": "1",
            "mode": "http",
            "base_url": "https://8.8.8.8/erp",
            "token": "s3cret-token",
            "product_mapping": '{"ItemNo": "external_id", "Name": "name"}',
            "stock_mapping": "",
        },
    )
    assert saved.status_code == 303
    page = await owner.get("/settings/erp")
    assert "https://8.8.8.8/erp" in page.text and "s3cret-token" not in page.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        connector = await session.get(ErpConnector, 1)
        assert (
            connector is not None
            and connector.enabled
            and connector.token
            and "s3cret" not in connector.token
        )
        assert connector.product_mapping == {"ItemNo": "external_id", "Name": "name"}
    # Sync now: handed to the worker (the run itself is tested in test_erp_connector.py).
    queued = await owner.post_form("/settings/erp/sync", {})
    assert queued.status_code == 303 and queued.headers["location"].startswith("/settings/erp?queued=")
