"""Helpers for the GraphQL tests: customers made through the service, and the queries the tests send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.customers import service
from app.customers.models import Customer
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    """The text of ``graphql/operations/<name>.graphql`` (the tests send what integrators copy)."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def create(app: Litestar, kit: TenantKit, who: str, **fields: Any) -> Customer:
    """A customer created by ``who`` through the service (arranging a test, not the thing tested)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        return await service.create_customer(session, await actor(app, kit, who), CustomerInput(**fields))


def errors_of(result: dict[str, Any]) -> list[str]:
    return [e["message"] for e in result.get("errors") or []]


LIST_IDS = """
query Ids($first: Int!, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    totalCountIsCapped
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}
"""


async def names(client: Any, **variables: Any) -> list[str]:
    """The names of the customers ``client`` sees with these list arguments (first 100)."""
    result = await client.gql(LIST_IDS, {"first": 100, **variables})
    assert "errors" not in result, result
    return [edge["node"]["name"] for edge in result["data"]["customers"]["edges"]]
