"""Pipelines through the API: an integrator with the owner's token adds a pipeline, a salesperson
opens a deal in it and sees it on the deal, filters by it, and a move to a stage of another
pipeline or a duplicate name or archiving the last open pipeline is refused with its code."""

from __future__ import annotations

from crm_testkit import TenantKit
from graphql_helpers import api_client
from litestar import Litestar
from pipeline_world import open_pipeline

CREATE = "mutation($n: String!) { createPipeline(input: {name: $n}) { __typename "
CREATE += "... on PipelinePayload { pipeline { key name isDefault stages { key } } } "
CREATE += "... on ValidationError { fields { path code } } } }"
DEAL = (
    'mutation($c: ID!, $p: String) { createOpportunity(input: {name: "工程", customerId: $c, pipeline: $p}) '
)
DEAL += "{ __typename ... on OpportunityPayload { opportunity { id stage pipeline { key name } } } "
DEAL += "... on ValidationError { fields { path code } } } }"


async def test_pipelines_through_the_api(app: Litestar, tenant: TenantKit) -> None:
    world = await open_pipeline(app, tenant)
    owner = await api_client(app, tenant, "owner")
    sales = await api_client(app, tenant, "sales_a")
    answer = await owner.gql(CREATE, {"n": "工程/团购"})
    assert answer.get("data"), answer
    made = answer["data"]["createPipeline"]
    assert made["pipeline"]["name"] == "工程/团购" and not made["pipeline"]["isDefault"]
    key = made["pipeline"]["key"]
    twice = (await owner.gql(CREATE, {"n": "工程/团购"}))["data"]["createPipeline"]
    assert twice["fields"] == [{"path": ["input", "name"], "code": "duplicate_name"}]
    refused = (await sales.gql(CREATE, {"n": "我的"}))["data"]["createPipeline"]
    assert refused["__typename"] == "PermissionDeniedError"

    customer = str(world.customers["sales_a"])
    opened = (await sales.gql(DEAL, {"c": customer, "p": key}))["data"]["createOpportunity"]
    assert opened["opportunity"]["pipeline"] == {"key": key, "name": "工程/团购"}
    unknown = (await sales.gql(DEAL, {"c": customer, "p": "nope"}))["data"]["createOpportunity"]
    assert unknown["fields"] == [{"path": ["input", "pipeline"], "code": "unknown_pipeline"}]

    listed = await sales.gql(
        "query($p: String) { opportunities(filter: {pipeline: $p}) { totalCount } }", {"p": key}
    )
    assert listed["data"]["opportunities"]["totalCount"] == 1
    archived = await owner.gql(
        'mutation { archivePipeline(key: "default") { __typename '
        "... on ValidationError { fields { code } } } }"
    )
    assert archived["data"]["archivePipeline"]["__typename"] == "PipelinePayload"  # no open deal there
    last = await owner.gql(
        "mutation($k: String!) { archivePipeline(key: $k) { __typename ... on ValidationError "
        "{ fields { code message } } } }",
        {"k": key},
    )
    assert last["data"]["archivePipeline"]["fields"][0]["code"] == "last_pipeline"
