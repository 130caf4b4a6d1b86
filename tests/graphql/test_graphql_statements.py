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
        await client.gql(LIST_WITH_OWNERS_AND_TAGS, {"first": first})  # warm-up
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


async def test_owners_and_tags_are_loaded_only_when_asked_for_however_the_query_is_written(
    app: Litestar, tenant: TenantKit
) -> None:
    """Through fragments and aliases the page still gets its owners and tags in one batch each; a
    list that does not ask for them does not load them."""
    for n in range(6):
        await create(app, tenant, "admin", name=f"客户{n}", owner_id=tenant.people["sales_a"], tags=["空调"])
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    await client.gql("{ viewer { name } }")  # warm-up: a first request may fill per-process caches

    async def run(query: str) -> tuple[int, list[dict[str, Any]]]:
        with counted_statements(app) as statements:
            result = await client.gql(query)
        assert "errors" not in result, result
        return len(statements), result["data"]["list"]["rows"]

    direct, rows = await run("{ list: customers(first: 6) { rows: edges { node { owner { name } tags } } } }")
    assert [r["node"] for r in rows] == [{"owner": {"name": "张伟"}, "tags": ["空调"]}] * 6
    fragments, rows = await run(
        """
        { list: customers(first: 6) { rows: edges { ...Row } } }
        fragment Row on CustomerEdge { node { ... on Customer { boss: owner { name } } ...Tags } }
        fragment Tags on Customer { tags }
        """
    )
    assert [r["node"] for r in rows] == [{"boss": {"name": "张伟"}, "tags": ["空调"]}] * 6
    assert fragments == direct
    bare, rows = await run("{ list: customers(first: 6) { rows: edges { node { name } } } }")
    assert len(rows) == 6
    assert bare == direct - 2  # no owners batch, no tags batch
