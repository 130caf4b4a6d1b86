"""Leads and the pool through the API, as a call-centre integration and a salesperson's app use them:
refusals are typed errors naming the input path; a duplicate on conversion is shown, not merged."""

from __future__ import annotations

from crm_testkit import TenantKit, actor, integrator, token_for
from lead_world import add_pool, mobile, pooled_customer
from litestar import Litestar

from app.customers.service import CustomerService

CREATE = """mutation($input: CreateLeadInput!) { createLead(input: $input) { __typename
  ... on LeadPayload { lead { id version name ownerId source status respondBy overdue } }
  ... on ValidationError { fields { path code } } } }"""
CONVERT = """mutation($id: ID!, $v: Int!) { convertLead(id: $id, version: $v) { __typename
  ... on ConvertLeadPayload { lead { status customerId } customer { id name } }
  ... on DuplicateCustomerError { matches { field ownerName customerId } confirmable }
  ... on ValidationError { fields { path code } } } }"""


async def test_create_list_assign_and_convert_a_lead(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    bad = (await client.gql(CREATE, {"input": {"name": "  ", "mobile": "123"}}))["data"]["createLead"]
    assert bad["__typename"] == "ValidationError"
    assert {tuple(f["path"]) for f in bad["fields"]} >= {("input", "name"), ("input", "mobile")}

    made = (
        await client.gql(CREATE, {"input": {"name": "孙先生", "mobile": mobile(), "productCategory": "冰箱"}})
    )["data"]["createLead"]
    lead = made["lead"]
    assert made["__typename"] == "LeadPayload" and lead["source"] == "API" and lead["status"] == "NEW"
    assert lead["ownerId"] == str(tenant.people["sales_a"]) and lead["overdue"] is False

    listed = (
        await client.gql('{ leads(filter: {search: "孙先生"}) { totalCount edges { node { name } } } }')
    )["data"]
    assert listed["leads"]["totalCount"] == 1

    stale = (
        await client.gql(
            "mutation($id: ID!) { assignLead(id: $id, version: 99) { __typename } }", {"id": lead["id"]}
        )
    )["data"]["assignLead"]
    assert stale["__typename"] == "VersionConflictError"
    bad_owner = (
        await client.gql(
            'mutation($id: ID!) { assignLead(id: $id, version: 1, ownerId: "nonsense") '
            "{ __typename ... on ValidationError { fields { path code } } } }",
            {"id": lead["id"]},
        )
    )["data"]["assignLead"]
    assert bad_owner["fields"] == [{"path": ["ownerId"], "code": "invalid_id"}]

    done = (await client.gql(CONVERT, {"id": lead["id"], "v": lead["version"]}))["data"]["convertLead"]
    assert done["__typename"] == "ConvertLeadPayload" and done["customer"]["name"] == "孙先生"
    again = (await client.gql(CONVERT, {"id": lead["id"], "v": 2}))["data"]["convertLead"]
    assert again["fields"] == [{"path": ["lead"], "code": "already_converted"}]


async def test_conversion_hitting_a_duplicate_names_the_owner_only(app: Litestar, tenant: TenantKit) -> None:
    taken = mobile()
    async with app.state.db.tenant_session(tenant.schema) as session:
        await CustomerService(session, await actor(app, tenant, "sales_b")).create(
            {"name": "李娜的客户", "mobile": taken}
        )
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    lead = (await client.gql(CREATE, {"input": {"name": "撞单的人", "mobile": taken}}))["data"]["createLead"][
        "lead"
    ]
    dup = (await client.gql(CONVERT, {"id": lead["id"], "v": lead["version"]}))["data"]["convertLead"]
    assert dup["__typename"] == "DuplicateCustomerError"
    assert dup["matches"] == [{"field": "mobile", "ownerName": "李娜", "customerId": None}]


async def test_pools_claim_and_release_through_the_api(app: Litestar, tenant: TenantKit) -> None:
    pool = await add_pool(app, tenant, "公海")
    customer = await pooled_customer(app, tenant, "公海里的客户", pool)
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    pools = (await client.gql("{ pools { id name size } }"))["data"]["pools"]
    assert pools == [{"id": str(pool), "name": "公海", "size": 1}]
    listed = (
        await client.gql(
            "query($p: ID!) { poolCustomers(poolId: $p) { totalCount edges { node { id name city } } } }",
            {"p": str(pool)},
        )
    )["data"]["poolCustomers"]
    assert listed["edges"][0]["node"] == {"id": str(customer), "name": "公海里的客户", "city": "广州市"}
    claim = (
        "mutation($c: ID!) { claimCustomer(customerId: $c) { __typename "
        "... on CustomerMovePayload { customer { mobile } } "
        "... on ValidationError { fields { path code message } } } }"
    )
    won = (await client.gql(claim, {"c": str(customer)}))["data"]["claimCustomer"]
    assert won["__typename"] == "CustomerMovePayload" and won["customer"]["mobile"]
    other = integrator(app, tenant.host, await token_for(app, tenant, "sales_a2"))
    lost = (await other.gql(claim, {"c": str(customer)}))["data"]["claimCustomer"]
    assert lost["fields"][0]["code"] == "already_claimed" and lost["fields"][0]["message"].startswith("张伟")
    release = "mutation($c: ID!) { releaseCustomer(customerId: $c) { __typename } }"
    assert (await other.gql(release, {"c": str(customer)}))["data"]["releaseCustomer"][
        "__typename"
    ] == "NotFoundError"
    assert (await client.gql(release, {"c": str(customer)}))["data"]["releaseCustomer"][
        "__typename"
    ] == "CustomerMovePayload"
