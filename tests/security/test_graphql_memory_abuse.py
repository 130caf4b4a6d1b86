"""Large GraphQL documents cannot grow the server: the query text is capped before parsing, and the
document cache is bounded by entries and by bytes.

The probe sent 40 distinct queries each carrying a 4 MB comment: the parser and validation caches
kept every one (text, source and AST), and the server grew from 207 to 514 MB. bench/graphql_memory.py
measures a real server's memory after 1,000 distinct large queries.
"""

from __future__ import annotations

from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

from app.graphql import document_cache as document_cache_module
from app.graphql.document_cache import DocumentLRU, document_cache
from app.settings import get_settings


async def test_a_query_over_the_size_limit_is_refused_before_parsing(
    app: Litestar, tenant: TenantKit
) -> None:
    """A 4 MB comment, or a query just over GRAPHQL_MAX_QUERY_BYTES: 413 with a JSON error, nothing cached."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    limit = get_settings().graphql_max_query_bytes
    cache = document_cache()
    before = len(cache)
    for padding in (4 * 1024 * 1024, limit):
        query = "{ viewer { name } }\n#" + "x" * padding
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 413, response.text[:200]
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert len(cache) == before
    # Just under the limit still works: the cap is for abuse, not for ordinary documents.
    query = "{ viewer { name } }\n#" + "x" * (limit - 100)
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200 and response.json()["data"]["viewer"]["name"] == "张伟"


async def test_many_distinct_large_queries_stay_within_the_cache_byte_bound(
    app: Litestar, tenant: TenantKit, monkeypatch
) -> None:
    """Distinct near-limit documents, twice what the cache may hold: evicted by bytes, never above the bound.

    The process's cache is swapped for one of 2 MB (same class, smaller bound) so the test sends
    ~70 documents instead of ~1,000; bench/graphql_memory.py runs the full-size one."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    cache = DocumentLRU(max_entries=get_settings().graphql_cache_entries, max_bytes=2 * 1024 * 1024)
    monkeypatch.setattr(document_cache_module, "_cache", cache)
    near_limit = get_settings().graphql_max_query_bytes - 1024
    sent = 0
    for i in range(2 * cache.max_bytes // near_limit + 10):
        query = f"{{ viewer {{ name }} }}\n# {i}" + "x" * near_limit
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200
        sent += len(query)
        assert cache.bytes <= cache.max_bytes
    # Far more was sent than the cache may hold, and it kept to its bound.
    assert sent > 2 * cache.max_bytes
    assert len(cache) <= cache.max_entries
    # The usual operations are still cached: the same text parses once.
    repeat = "{ viewer { email } }"
    await client.post("/graphql", json={"query": repeat})
    entries = len(cache)
    await client.post("/graphql", json={"query": repeat})
    assert len(cache) == entries
