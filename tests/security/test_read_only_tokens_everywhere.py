"""A read-only API token changes nothing, whichever mutation it tries: every mutation of the
schema is sent with one, and each answers with the read-only refusal (permission token:write)."""

from __future__ import annotations

from crm_testkit import TenantKit, integrator
from litestar import Litestar

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts

# Mutations and a minimal call of each (the refusal comes before any argument is looked at).
CALLS = {
    "defineCustomField": 'defineCustomField(input: {entity: "customer", key: "ro", labelZh: "只", '
    "type: TEXT})",
    "createContact": 'createContact(input: {customerId: "00000000-0000-0000-0000-000000000000", name: "x"})',
    "createCustomer": 'createCustomer(input: {name: "只读令牌"})',
    "createRole": 'createRole(input: {name: "只读角色"})',
}


async def test_a_read_only_token_is_refused_by_every_kind_of_mutation(
    app: Litestar, tenant: TenantKit
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        owner = await accounts_repo.user_by_id(session, tenant.people["owner"])
        assert owner is not None
        token, _ = await accounts.create_api_token(
            session, owner, tenant_slug=tenant.slug, name="bi", scopes="read"
        )
    client = integrator(app, tenant.host, token)
    for name, call in CALLS.items():
        selection = "{ __typename ... on PermissionDeniedError { permission } }"
        result = await client.gql(f"mutation {{ {call} {selection} }}")
        answer = result["data"][name]
        assert answer == {"__typename": "PermissionDeniedError", "permission": "token:write"}, (name, result)
