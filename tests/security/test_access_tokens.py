"""Personal access tokens: they expire (90 days unless chosen otherwise), die with a password change or
a deactivation, and a read-only token cannot change data.

Before the fix, a token outlived the password it was made under and the staff member's departure,
never expired, and every token could write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_testkit import PASSWORD, TenantKit, actor, integrator, logged_in
from litestar import Litestar
from sqlalchemy import select, update

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.accounts.models import ApiToken

VIEWER = "{ viewer { email } }"
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename ... on Error { message } ... on PermissionDeniedError { permission } } }"""


async def _token(app: Litestar, tenant: TenantKit, key: str, **options: object) -> str:
    async with app.state.db.tenant_session(tenant.schema) as session:
        user = await accounts_repo.user_by_id(session, tenant.people[key])
        assert user is not None
        plaintext, _ = await accounts.create_api_token(
            session, user, tenant_slug=tenant.slug, name="erp", **options
        )  # type: ignore[arg-type]
    return plaintext


async def test_a_token_expires_after_the_lifetime_it_was_given(app: Litestar, tenant: TenantKit) -> None:
    token = await _token(app, tenant, "manager_a", days=7)
    client = integrator(app, tenant.host, token)
    assert (await client.gql(VIEWER))["data"]["viewer"]["email"] == tenant.email("manager_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(select(ApiToken).where(ApiToken.user_id == tenant.people["manager_a"]))
        assert record is not None and record.expires_at is not None
        assert timedelta(days=6) < record.expires_at - datetime.now(UTC) <= timedelta(days=7)
        await session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 401


async def test_tokens_default_to_ninety_days(app: Litestar, tenant: TenantKit) -> None:
    await _token(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(select(ApiToken).where(ApiToken.user_id == tenant.people["owner"]))
        assert record is not None and record.expires_at is not None
        assert timedelta(days=89) < record.expires_at - datetime.now(UTC) <= timedelta(days=90)


async def test_a_password_change_revokes_the_tokens_made_under_the_old_one(
    app: Litestar, tenant: TenantKit
) -> None:
    """Whoever learnt the old password may have made a token with it."""
    token = await _token(app, tenant, "service")
    client = integrator(app, tenant.host, token)
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 200
    browser = await logged_in(app, tenant, "service")
    changed = await browser.post_form(
        "/security/password", {"current_password": PASSWORD, "new_password": "a-much-longer-9"}
    )
    assert changed.status_code == 303
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 401


async def test_deactivation_revokes_tokens_for_good(app: Litestar, tenant: TenantKit) -> None:
    """A leaver's integration stops at once, and reactivating them does not bring old tokens back."""
    token = await _token(app, tenant, "manager_b")
    client = integrator(app, tenant.host, token)
    admin = await actor(app, tenant, "admin")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await accounts.set_active(session, admin, tenant.people["manager_b"], False)
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 401
    async with app.state.db.tenant_session(tenant.schema) as session:
        await accounts.set_active(session, admin, tenant.people["manager_b"], True)
    assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 401


async def test_a_read_only_token_cannot_run_mutations(app: Litestar, tenant: TenantKit) -> None:
    """A BI tool's token reads; a createCustomer with it gets a clear error and writes nothing."""
    token = await _token(app, tenant, "owner", scopes="read")
    client = integrator(app, tenant.host, token)
    assert (await client.gql(VIEWER))["data"]["viewer"]["email"] == tenant.email("owner")
    result = await client.gql(CREATE, {"input": {"name": "刘德华", "mobile": "13912345678"}})
    payload = result["data"]["createCustomer"]
    assert payload["__typename"] == "PermissionDeniedError"
    assert "read-only" in payload["message"] and payload["permission"] == "token:write"
    writer = integrator(app, tenant.host, await _token(app, tenant, "owner"))
    written = await writer.gql(CREATE, {"input": {"name": "刘德华", "mobile": "13912345678"}})
    assert written["data"]["createCustomer"]["__typename"] == "CustomerPayload"


async def test_tokens_page_offers_lifetimes_and_access_and_lists_last_use_and_expiry(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "owner")
    page = await client.get("/tokens")
    assert page.status_code == 200
    for days in ("7", "30", "90", "365"):
        assert f'<option value="{days}"' in page.text
    created = await client.post_form("/tokens", {"name": "BI 报表", "days": "30", "scopes": "read"})
    assert created.status_code == 201
    # The list shows each token's access, last use and expiry.
    assert "只读" in created.text and "到期时间" in created.text and "最近使用" in created.text
    async with app.state.db.tenant_session(tenant.schema) as session:
        record = await session.scalar(select(ApiToken).where(ApiToken.name == "BI 报表"))
        assert record is not None and record.scopes == ["read"] and record.expires_at is not None
        assert timedelta(days=29) < record.expires_at - datetime.now(UTC) <= timedelta(days=30)
    refused = await client.post_form("/tokens", {"name": "forever", "days": "100000", "scopes": "read write"})
    assert refused.status_code == 422
    sneaky = await client.post_form("/tokens", {"name": "admin", "days": "30", "scopes": "read write admin"})
    assert sneaky.status_code == 422
