"""Global search (top bar and Ctrl-K palette): every entity registered with the kit is searched,
by name, phone fragment, pinyin or initials, with the searcher's permission and data scope.

张伟 (sales_a) owns 张三丰 and the company 杭州西湖家电有限公司 (contact 周经理); 李娜 (sales_b, the
other team) owns 李四海. 张伟 finds only his own; the owner 王建国 finds everyone's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from crm_testkit import TenantKit, actor, integrator, logged_in, token_for
from litestar import Litestar

from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.domain import ValidationFailed
from app.kit import search as global_search
from app.kit.registry import entity


async def add_customer(app: Litestar, kit: TenantKit, by: str, name: str, **fields: object) -> uuid.UUID:
    """``by`` creates (and owns) the customer."""
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(name=name, **fields)  # type: ignore[arg-type]
        return (await customers.create_customer(session, await actor(app, kit, by), data)).id


@dataclass
class Book:
    zhang: uuid.UUID
    company: uuid.UUID
    li: uuid.UUID


@pytest.fixture
async def book(app: Litestar, tenant: TenantKit) -> Book:
    zhang = await add_customer(app, tenant, "sales_a", "张三丰", mobile="13812345678")
    company = await add_customer(app, tenant, "sales_a", "杭州西湖家电有限公司", kind="company")
    li = await add_customer(app, tenant, "sales_b", "李四海", mobile="13612345678")
    async with app.state.db.tenant_session(tenant.schema) as session:
        contacts = ContactService(session, await actor(app, tenant, "sales_a"))
        await contacts.create({"customer_id": company, "name": "周经理", "mobile": "13911112222"})
    return Book(zhang, company, li)


async def _search(app: Litestar, kit: TenantKit, who: str, q: str) -> dict[str, list[str]]:
    async with app.state.db.tenant_session(kit.schema) as session:
        groups = await global_search.search(session, await actor(app, kit, who), q)
    return {g.entity: [h.title for h in g.hits] for g in groups}


async def test_customers_are_found_by_name_phone_fragment_pinyin_and_initials(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    for q in ("三丰", "3812345", "zhangsanfeng", "zsf"):
        assert await _search(app, tenant, "owner", q) == {"customer": ["张三丰"]}, q


async def test_contacts_appear_in_their_own_group_linking_to_their_customer(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        groups = await global_search.search(session, await actor(app, tenant, "owner"), "周经理")
    assert [g.entity for g in groups] == ["contact"]
    hit = groups[0].hits[0]
    assert hit.url == f"/customers/{book.company}#contacts"
    assert "13911112222" in hit.subtitle


async def test_search_keeps_to_the_searchers_data_scope(app: Litestar, tenant: TenantKit, book: Book) -> None:
    # 李四海 belongs to 李娜 of the other team: for 张伟 he does not exist.
    assert await _search(app, tenant, "sales_a", "李四海") == {}
    assert await _search(app, tenant, "sales_a", "13612345678") == {}
    assert await _search(app, tenant, "sales_b", "李四海") == {"customer": ["李四海"]}
    # Nor does 张伟's contact for 李娜.
    assert await _search(app, tenant, "sales_b", "周经理") == {}


async def test_a_role_without_customer_access_finds_nothing(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "owner")
        stripped = type(who)(**{**who.__dict__, "permissions": frozenset()})
        assert await global_search.search(session, stripped, "张三丰") == []


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("张" * 1000, "too_long"),
        ("a" * 101, "too_long"),
        ("张\x07三", "control_characters"),
        ("\x1b[31m", "control_characters"),
    ],
)
async def test_too_long_or_control_characters_are_refused_with_a_reason(
    app: Litestar, tenant: TenantKit, q: str, code: str
) -> None:
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await global_search.search(session, await actor(app, tenant, "owner"), q)
    assert [(e.field, e.code) for e in caught.value.errors] == [("query", code)]


async def test_blank_and_punctuation_only_searches_find_nothing_quietly(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    assert await _search(app, tenant, "owner", "   ") == {}
    assert await _search(app, tenant, "owner", "%") == {}
    assert await _search(app, tenant, "owner", "_") == {}


async def test_the_palette_fragment_lists_groups_as_links(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    client = await logged_in(app, tenant, "sales_a")
    response = await client.get("/search/palette", params={"q": "zsf"})
    assert response.status_code == 200
    assert f'href="/customers/{book.zhang}"' in response.text
    assert "客户" in response.text  # the group's label, translated
    assert f"/customers/{book.li}" not in (await client.get("/search/palette", params={"q": "李四海"})).text


@pytest.mark.parametrize("q", ["张" * 1000, "张\x07三"])
async def test_the_pages_answer_a_refused_search_with_a_message_not_an_error(
    app: Litestar, tenant: TenantKit, q: str
) -> None:
    client = await logged_in(app, tenant, "owner")
    palette = await client.get("/search/palette", params={"q": q})
    assert palette.status_code == 200 and 'role="alert"' in palette.text
    full = await client.get("/search", params={"q": q})
    assert full.status_code == 400 and 'role="alert"' in full.text
    assert "Traceback" not in full.text


async def test_the_results_page_works_without_javascript(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    client = await logged_in(app, tenant, "owner")
    response = await client.get("/search", params={"q": "李"})
    assert response.status_code == 200
    assert "李四海" in response.text and f"/customers/{book.li}" in response.text


async def test_anonymous_visitors_are_sent_to_login(app: Litestar, tenant: TenantKit) -> None:
    from crm_testkit import browser

    response = await browser(app, tenant.host).get("/search/palette", params={"q": "张"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_every_search_source_names_a_declared_entity_with_a_page() -> None:
    import app.entities  # noqa: F401

    for source in global_search.search_sources():
        spec = entity(source.entity)
        assert spec is not None and spec.page, source.entity


async def test_another_dealers_customers_are_never_found(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    """Dealer B's 欧阳秘密 (and her mobile) do not exist for anyone of dealer A, not even its owner."""
    from crm_testkit import make_tenant

    other = await make_tenant(app, f"{tenant.slug}-b")
    secret = await add_customer(app, other, "owner", "欧阳秘密", mobile="13987654321")
    client = await logged_in(app, tenant, "owner")
    for q in ("欧阳秘密", "7654321", "oymm"):
        assert await _search(app, tenant, "owner", q) == {}, q
        page = await client.get("/search", params={"q": q})
        assert page.status_code == 200 and str(secret) not in page.text and "search-empty" in page.text
    assert await _search(app, other, "owner", "oymm") == {"customer": ["欧阳秘密"]}


OPERATION = (
    Path(__file__).resolve().parents[2] / "graphql" / "operations" / "GlobalSearch.graphql"
).read_text()


async def test_the_graphql_search_finds_what_the_palette_finds(
    app: Litestar, tenant: TenantKit, book: Book
) -> None:
    """The example operation GlobalSearch, for an integrator's token: same groups, same scope."""
    owner = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    found = await owner.gql(OPERATION, {"query": "zsf", "first": 5})
    assert found == {
        "data": {
            "search": [
                {
                    "entity": "customer",
                    "hits": [
                        {
                            "id": str(book.zhang),
                            "title": "张三丰",
                            "subtitle": "13812345678",
                            "url": f"/customers/{book.zhang}",
                        }
                    ],
                }
            ]
        }
    }
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    assert (await zhang.gql(OPERATION, {"query": "李四海"}))["data"]["search"] == []


@pytest.mark.parametrize(
    ("variables", "path"),
    [
        ({"query": "张" * 1000}, ["query"]),
        ({"query": "张\x07"}, ["query"]),
        ({"query": "张", "first": 0}, ["first"]),
    ],
)
async def test_the_graphql_search_refuses_bad_arguments_with_their_path(
    app: Litestar, tenant: TenantKit, variables: dict[str, object], path: list[str]
) -> None:
    owner = integrator(app, tenant.host, await token_for(app, tenant, "owner"))
    answer = await owner.gql(OPERATION, variables)
    error = answer["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT" and error["fields"][0]["path"] == path
