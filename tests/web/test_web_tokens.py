"""API tokens in the admin: created and shown once, listed, revoked, and both steps audited.

刘洋 (manager_a) and 郑丽 (service) hold tokens:create; 李静 (admin) sees and revokes everyone's;
孙强 (technician) and the salespeople have no token permission.
"""

from __future__ import annotations

import re

from crm_testkit import TenantKit, form_errors, integrator, logged_in
from litestar import Litestar
from sqlalchemy import select

from app.audit.models import AuditRecord

VIEWER = "{ viewer { name } }"


async def audit_of(app: Litestar, tenant: TenantKit, entity: str) -> list[AuditRecord]:
    async with app.state.db.tenant_session(tenant.schema) as session:
        query = select(AuditRecord).where(AuditRecord.entity == entity).order_by(AuditRecord.id)
        return list((await session.scalars(query)).all())


async def test_create_shows_the_token_once_and_it_works(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "manager_a")
    created = await client.htmx("POST", "/tokens", data={"name": "ERP 同步"})
    assert created.status_code == 201
    token = re.search(rf"value=\"(dcrm_{re.escape(tenant.slug)}_[A-Za-z0-9_-]+)\"", created.text).group(1)
    assert "只显示这一次" in created.text

    api = integrator(app, tenant.host, token)
    assert (await api.gql(VIEWER))["data"]["viewer"]["name"] == "刘洋"

    again = await client.get("/tokens")
    assert token not in again.text and "ERP 同步" in again.text
    # The audit record names the token, never its secret.
    (record,) = await audit_of(app, tenant, "api_token")
    assert record.action == "create" and record.actor_label.startswith("刘洋")
    assert token not in str(record.after) and record.after["name"] == "ERP 同步"


async def test_revoke_stops_the_token_and_is_audited(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "manager_a")
    created = await client.post_form("/tokens", {"name": "网店"})
    token = re.search(r'id="new-token" class="mono" readonly value="([^"]+)"', created.text).group(1)
    token_id = re.search(r'action="/tokens/([0-9a-f-]{36})/revoke"', created.text).group(1)

    revoked = await client.htmx("POST", f"/tokens/{token_id}/revoke", data={})
    assert revoked.status_code == 200
    assert "已吊销令牌 网店" in revoked.headers["HX-Trigger"].encode().decode("unicode_escape")
    assert "已吊销" in revoked.text

    refused = await integrator(app, tenant.host, token).post("/graphql", json={"query": VIEWER})
    assert refused.status_code == 401
    actions = [r.action for r in await audit_of(app, tenant, "api_token")]
    assert actions == ["create", "revoke"]
    # Revoking twice changes nothing and records nothing more.
    again = await client.post_form(f"/tokens/{token_id}/revoke", {})
    assert again.status_code == 303
    assert len(await audit_of(app, tenant, "api_token")) == 2


async def test_people_see_their_own_tokens_and_admins_see_all(app: Litestar, tenant: TenantKit) -> None:
    liu = await logged_in(app, tenant, "manager_a")
    created = await liu.post_form("/tokens", {"name": "刘洋的令牌"})
    token_id = re.search(r'action="/tokens/([0-9a-f-]{36})/revoke"', created.text).group(1)

    zheng = await logged_in(app, tenant, "service")
    assert "刘洋的令牌" not in (await zheng.get("/tokens")).text
    assert (await zheng.post_form(f"/tokens/{token_id}/revoke", {})).status_code == 404

    admin = await logged_in(app, tenant, "admin")
    page = await admin.get("/tokens")
    assert "刘洋的令牌" in page.text and "刘洋" in page.text
    assert (await admin.post_form(f"/tokens/{token_id}/revoke", {})).status_code == 303
    (_, revoke) = await audit_of(app, tenant, "api_token")
    assert revoke.actor_label.startswith("李静")


async def test_bad_name_and_missing_permission(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "manager_a")
    overlong = await client.htmx("POST", "/tokens", data={"name": "令" * 61})
    assert overlong.status_code == 422 and form_errors(overlong.text) == ["最多 60 个字符。"]
    assert await audit_of(app, tenant, "api_token") == []

    technician = await logged_in(app, tenant, "technician")
    assert (await technician.get("/tokens")).status_code == 403
    assert (await technician.post_form("/tokens", {"name": "x"})).status_code == 403
    assert await audit_of(app, tenant, "api_token") == []
    assert (await client.post("/tokens", data={"name": "no csrf"})).status_code == 403
