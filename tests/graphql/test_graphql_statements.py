"""Related records are batched: the SQL statements per list request do not grow with the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from gqlkit import create
from litestar import Litestar
from sqlalchemy import event

LIST_WITH_OWNERS_AND_TAGS = """
query($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node { name owner { name } tags } }
  }
}
"""


@contextmanager
def counted_statements(app: Litestar) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_statement_count_does_not_grow_with_the_page(app: Litestar, tenant: TenantKit) -> None:
    """5 or 50 customers with owners and tags: the same statements (auth, page, count, one batch each
    for owners and tags)."""
    owners = ["sales_a", "sales_a2", "sales_b", "manager_a", "admin"]
    for n in range(55):
        await create(
            app,
            tenant,
            "admin",
            name=f"批量客户{n}",
            owner_id=tenant.people[owners[n % 5]],
            tags=[f"标签{n % 7}", f"标签{n % 3 + 10}"],
        )

    async def statements_for(who: str, first: int) -> list[str]:
        client = integrator(app, tenant.host, await token_for(app, tenant, who))
        await client.gql(LIST_WITH_OWNERS_AND_TAGS, {"first": first})  # warm: the token's first use
        with counted_statements(app) as statements:
            result = await client.gql(LIST_WITH_OWNERS_AND_TAGS, {"first": first})
        edges = result["data"]["customers"]["edges"]
        assert len(edges) == min(first, result["data"]["customers"]["totalCount"])
        assert all(e["node"]["owner"]["name"] and len(e["node"]["tags"]) == 2 for e in edges)
        return statements

    for who in ("admin", "manager_a"):  # scope "all", and scope "team" (one more lookup)
        five, fifty = await statements_for(who, 5), await statements_for(who, 50)
        assert len(five) == len(fifty), (five, fifty)
        # The batches really are one statement each, not one per row that happens to fit.
        assert len(fifty) < 15, fifty
