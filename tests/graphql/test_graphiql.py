"""GraphiQL: staff who open /graphql in a browser get the IDE (vendored files, no CDN, the app's
script policy), with the example operations of graphql/operations/ to pick from; anonymous
visitors go to the login; API clients get JSON, never the IDE, and never a query over GET."""

from __future__ import annotations

import json
import re
from pathlib import Path

from crm_testkit import TenantKit, browser, integrator, logged_in, token_for
from litestar import Litestar

HTML = {"accept": "text/html,application/xhtml+xml"}
OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


async def test_staff_get_graphiql_with_the_example_operations(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "sales_a")
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Everything is served from here: no CDN, no script from anywhere else.
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for vendored in (
        "graphiql/graphiql.min.js",
        "react/react.production.min.js",
        "react/react-dom.production.min.js",
    ):
        assert f"/static/vendor/{vendored}" in page.text
        assert (await client.get(f"/static/vendor/{vendored}")).status_code == 200
    listed = json.loads(re.search(r'id="graphql-operations">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert {op["name"] for op in listed} == {p.stem for p in OPERATIONS.glob("*.graphql")}
    # The IDE's requests ride on the session cookie, so the page hands them the CSRF token.
    assert re.search(r'data-csrf="[^"]+"', page.text)


async def test_the_page_keeps_scripts_to_self(app: Litestar, tenant: TenantKit) -> None:
    page = await (await logged_in(app, tenant, "owner")).get("/graphql", headers=HTML)
    policy = dict(
        part.strip().split(" ", 1)
        for part in page.headers["content-security-policy"].split(";")
        if part.strip()
    )
    assert policy["script-src"] == "'self'"
    # GraphiQL's stylesheet embeds its fonts: data: fonts are the one relaxation, on this page only.
    assert policy["font-src"] == "'self' data:"
    home = await (await logged_in(app, tenant, "owner")).get("/")
    assert "data:" not in home.headers["content-security-policy"].split("font-src")[1].split(";")[0]


async def test_the_ide_runs_a_query_with_the_session_and_its_csrf_token(
    app: Litestar, tenant: TenantKit
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    page = await client.get("/graphql", headers=HTML)
    token = re.search(r'data-csrf="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    viewer = await client.post(
        "/graphql", json={"query": "{ viewer { name } }"}, headers={"X-CSRF-Token": token}
    )
    assert viewer.json() == {"data": {"viewer": {"name": "张伟"}}}
    # Without the token a request riding on the cookie is refused (cross-site request forgery).
    forged = await client.post("/graphql", json={"query": "{ viewer { name } }"})
    assert forged.status_code == 403


async def test_anonymous_visitors_are_sent_to_the_login(app: Litestar, tenant: TenantKit) -> None:
    response = await browser(app, tenant.host).get("/graphql", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fgraphql"


async def test_api_clients_never_get_the_ide(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    as_api = await client.get("/graphql", params={"query": "{ viewer { name } }"})
    assert (
        as_api.status_code == 405 and as_api.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    )
    # A token is no browser session: even asking for HTML, it gets the login, not the IDE.
    as_html = await client.get("/graphql", headers=HTML)
    assert as_html.status_code == 303 and "GraphiQL" not in as_html.text
