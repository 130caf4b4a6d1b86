"""Saved views, batch changes with undo and tag management through GraphQL: the same rules as the
admin, refusals as typed errors naming the argument, another dealer's data never reachable."""

from __future__ import annotations

from typing import Any

from crm_testkit import TenantKit, logged_in

CREATE = """
mutation($name: String!, $m: String!, $tags: [String!]) {
  createCustomer(input: {name: $name, mobile: $m, tags: $tags}) { ... on CustomerPayload { customer { id } } }
}"""
BATCH = """
mutation($ids: [ID!], $filter: CustomerFilter, $change: BatchChangeInput!) {
  batchUpdateCustomers(ids: $ids, filter: $filter, change: $change) {
    __typename
    ... on BatchJobPayload { job { id status total done refused { reason count } canUndo } }
    ... on ValidationError { fields { path code } }
  }
}"""
UNDO = """
mutation($id: ID!) {
  undoBatch(id: $id) {
    __typename
    ... on BatchJobPayload { job { status undoDone undoKept canUndo } }
    ... on ValidationError { fields { path code } }
  }
}"""
VIEWS = 'query { savedViews(entity: "customer") { name visibility filters columns mine editable } }'
SAVE_VIEW = """
mutation($input: CreateSavedViewInput!) {
  createSavedView(input: $input) {
    __typename
    ... on SavedViewPayload { view { id name filters columns } }
    ... on ValidationError { fields { path code } }
    ... on PermissionDeniedError { permission }
  }
}"""


async def _customers(client: Any, *names: str) -> list[str]:
    ids = []
    for i, name in enumerate(names):
        data = await client.gql(CREATE, {"name": name, "m": f"1350000{i:04d}", "tags": ["空调"]})
        ids.append(data["data"]["createCustomer"]["customer"]["id"])
    return ids


async def test_an_integrator_changes_owners_in_a_batch_and_undoes_it(app: Any, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    ids = await _customers(admin, "曹一", "曹二")
    missing = await admin.gql(BATCH, {"ids": ids, "change": {"action": "OWNER"}})
    assert missing["data"]["batchUpdateCustomers"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["change", "ownerId"], "code": "required"}],
    }
    done = await admin.gql(
        BATCH,
        {
            "ids": [*ids, "not-an-id"][:2],
            "change": {"action": "OWNER", "ownerId": str(tenant.people["sales_b"])},
        },
    )
    job = done["data"]["batchUpdateCustomers"]["job"]
    assert (job["status"], job["total"], job["done"], job["refused"], job["canUndo"]) == (
        "done",
        2,
        2,
        [],
        True,
    )
    undone = await admin.gql(UNDO, {"id": job["id"]})
    assert undone["data"]["undoBatch"]["job"] == {
        "status": "undone",
        "undoDone": 2,
        "undoKept": 0,
        "canUndo": False,
    }
    twice = await admin.gql(UNDO, {"id": job["id"]})
    assert twice["data"]["undoBatch"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["id"], "code": "already_undone"}],
    }


async def test_all_matching_a_filter_by_tag_and_a_bad_filter(app: Any, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    await _customers(admin, "邓一", "邓二", "邓三")
    result = await admin.gql(
        BATCH, {"filter": {"tag": "空调"}, "change": {"action": "REMOVE_TAGS", "tags": ["空调"]}}
    )
    job = result["data"]["batchUpdateCustomers"]["job"]
    assert (job["total"], job["done"]) == (3, 3)
    empty = await admin.gql(BATCH, {"filter": {"tag": "空调"}, "change": {"action": "DELETE"}})
    assert empty["data"]["batchUpdateCustomers"]["fields"] == [{"path": ["filter"], "code": "empty"}]


async def test_saved_views_private_to_their_owner(app: Any, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    saved = await zhang.gql(
        SAVE_VIEW,
        {
            "input": {
                "entity": "customer",
                "name": "金卡",
                "filters": {"tier": "gold"},
                "columns": ["name", "tier"],
            }
        },
    )
    assert saved["data"]["createSavedView"]["view"]["filters"] == {"tier": "gold"}
    bad = await zhang.gql(
        SAVE_VIEW, {"input": {"entity": "customer", "name": "坏的", "columns": ["name", "password_hash"]}}
    )
    assert bad["data"]["createSavedView"]["fields"] == [
        {"path": ["input", "columns", "1"], "code": "unknown_column"}
    ]
    shared = await zhang.gql(
        SAVE_VIEW, {"input": {"entity": "customer", "name": "共享", "visibility": "TEAM"}}
    )
    assert shared["data"]["createSavedView"] == {
        "__typename": "PermissionDeniedError",
        "permission": "customers:manage",
    }
    assert (await zhang.gql(VIEWS))["data"]["savedViews"] == [
        {
            "name": "金卡",
            "visibility": "PRIVATE",
            "filters": {"tier": "gold"},
            "columns": ["name", "tier"],
            "mine": True,
            "editable": True,
        }
    ]
    wang = await logged_in(app, tenant, "sales_a2")
    assert (await wang.gql(VIEWS))["data"]["savedViews"] == []


async def test_tags_managed_through_the_api(app: Any, tenant: TenantKit) -> None:
    admin = await logged_in(app, tenant, "admin")
    await _customers(admin, "彭一")
    tags = (await admin.gql("query { managedTags { id name customerCount } }"))["data"]["managedTags"]
    assert [(t["name"], t["customerCount"]) for t in tags] == [("空调", 1)]
    merge = """mutation($id: ID!, $into: ID!) { mergeTags(id: $id, into: $into) {
        __typename ... on ValidationError { fields { path code } } } }"""
    itself = await admin.gql(merge, {"id": tags[0]["id"], "into": tags[0]["id"]})
    assert itself["data"]["mergeTags"]["fields"] == [{"path": ["into"], "code": "merge_into_itself"}]
    rename = """mutation($id: ID!) { updateTag(id: $id, name: "冷暖空调", color: "blue") {
        ... on TagPayload { tag { name color } } } }"""
    assert (await admin.gql(rename, {"id": tags[0]["id"]}))["data"]["updateTag"]["tag"] == {
        "name": "冷暖空调",
        "color": "blue",
    }
    sales = await logged_in(app, tenant, "sales_a")
    refused = await sales.gql("query { managedTags { id } }")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
