"""A login redirect built from what the client says: ``Referer`` and ``HX-Current-URL`` of any shape.

An unauthenticated POST carrying ``Referer: http://host`` (no path) used to end in a 500 (an index
error while cutting the path out) with a pooled connection left to the garbage collector. Any shape
now gives a redirect to the login page, and only a path on this very host is offered as ``next``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from crm_testkit import TenantKit, browser
from litestar import Litestar


def next_of(location: str) -> str:
    assert location.startswith("/login?"), location
    return parse_qs(urlsplit(location).query)["next"][0]


async def test_referer_without_a_path_gets_a_login_redirect_not_a_500(
    app: Litestar, tenant: TenantKit
) -> None:
    client = browser(app, tenant.host)
    pool = app.state.db.engine.pool
    await client.post_form("/customers/", {"name": "张三"})  # warm up: the pool as a request leaves it
    checked_out = pool.checkedout()
    for headers in (
        {"Referer": f"http://{tenant.host}"},
        {"Referer": "http://host"},
        {"HX-Current-URL": f"https://{tenant.host}", "HX-Request": "true"},
        {"Referer": "http://[::1"},  # not even a valid URL
        {"Referer": "garbage"},
    ):
        response = await client.post_form("/customers/", {"name": "张三"}, headers=headers)
        assert response.status_code in (200, 303), (headers, response.status_code)
        location = response.headers.get("location") or response.headers.get("hx-redirect")
        target = next_of(location)
        assert target.startswith("/") and not target.startswith("//"), (headers, target)
    # No request left a connection behind (a 500 on this path used to).
    assert pool.checkedout() <= checked_out


async def test_referer_of_another_site_is_not_offered_as_next(app: Litestar, tenant: TenantKit) -> None:
    client = browser(app, tenant.host)
    response = await client.post_form(
        "/customers/", {"name": "张三"}, headers={"Referer": "https://evil.example/phish?x=1"}
    )
    assert response.status_code == 303
    assert "evil" not in next_of(response.headers["location"])
    same_host = await client.post_form(
        "/customers/", {"name": "张三"}, headers={"Referer": f"https://{tenant.host}/customers/new?from=list"}
    )
    assert next_of(same_host.headers["location"]) == "/customers/new?from=list"
