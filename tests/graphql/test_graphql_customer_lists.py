"""Listing customers through GraphQL: search over Chinese text, filters, ordering, keyset pages, limits."""

from __future__ import annotations

from crm_testkit import TenantKit, integrator, token_for
from gqlkit import LIST_IDS, create, names, operation
from litestar import Litestar


async def test_two_chinese_characters_find_names_and_addresses(app: Litestar, tenant: TenantKit) -> None:
    """秀英 matches 王秀英 but not 李秀兰 (a shared character is not a match); 海淀 finds the district."""
    await create(app, tenant, "admin", name="王秀英", mobile="13811112222")
    await create(app, tenant, "admin", name="李秀兰", province="上海市", city="市辖区", district="浦东新区")
    await create(app, tenant, "admin", name="张伟强", province="北京市", city="市辖区", district="海淀区")
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))

    assert await names(client, filter={"search": "秀英"}) == ["王秀英"]
    assert await names(client, filter={"search": "海淀"}) == ["张伟强"]
    assert await names(client, filter={"search": "1111"}) == ["王秀英"]  # a digit run of the mobile
    assert await names(client, filter={"search": "秀"}) == ["李秀兰", "王秀英"]  # newest first
    assert await names(client, filter={"search": "不存在"}) == []

    # The operation integrators copy does the same.
    listed = await client.gql(operation("ListCustomers"), {"filter": {"search": "秀英"}})
    connection = listed["data"]["customers"]
    assert connection["totalCount"] == 1 and connection["totalCountIsCapped"] is False
    assert connection["edges"][0]["node"]["mobile"] == "13811112222"


async def test_pagination_walks_every_customer_exactly_once(app: Litestar, tenant: TenantKit) -> None:
    """23 customers in pages of 5, by creation and by name: no duplicates, no gaps, a stable total."""
    created = [await create(app, tenant, "admin", name=f"客户{n:02d}") for n in range(23)]
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))

    for order, expected in (
        (None, [c.name for c in reversed(created)]),
        ({"field": "NAME", "direction": "ASC"}, sorted(c.name for c in created)),
        ({"field": "UPDATED_AT", "direction": "DESC"}, [c.name for c in reversed(created)]),
    ):
        seen: list[str] = []
        after = None
        pages = 0
        while True:
            result = await client.gql(LIST_IDS, {"first": 5, "after": after, "orderBy": order})
            connection = result["data"]["customers"]
            assert connection["totalCount"] == 23
            edges = connection["edges"]
            info = connection["pageInfo"]
            assert info["hasPreviousPage"] is (after is not None)
            assert info["startCursor"] == edges[0]["cursor"] and info["endCursor"] == edges[-1]["cursor"]
            seen += [e["node"]["name"] for e in edges]
            pages += 1
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
        assert pages == 5 and len(edges) == 3
        assert seen == expected


async def test_filters_by_owner_tag_status_tier_source_and_recycle_bin(
    app: Litestar, tenant: TenantKit
) -> None:
    await create(
        app, tenant, "sales_a", name="甲", status="won", tier="vip", source="referral", tags=["空调"]
    )
    await create(
        app, tenant, "sales_a2", name="乙", status="won", tier="gold", source="online", tags=["冰箱"]
    )
    binned = await create(app, tenant, "sales_b", name="丙", status="lost", source="online", tags=["空调"])
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    deleted = await client.gql(operation("DeleteCustomer"), {"id": str(binned.id)})
    assert deleted["data"]["deleteCustomer"]["__typename"] == "CustomerPayload"

    assert await names(client, filter={"status": "WON"}) == ["乙", "甲"]
    assert await names(client, filter={"tier": "VIP"}) == ["甲"]
    assert await names(client, filter={"source": "ONLINE"}) == ["乙"]  # 丙 is in the recycle bin
    assert await names(client, filter={"tag": "空调"}) == ["甲"]
    assert await names(client, filter={"ownerId": str(tenant.people["sales_a2"])}) == ["乙"]
    assert await names(client, filter={"trashed": True}) == ["丙"]
    assert await names(client, filter={"status": "WON", "source": "REFERRAL", "tag": "空调"}) == ["甲"]
    assert await names(client, filter={"status": "LOST"}) == []
    assert (await client.gql("{ tags }"))["data"]["tags"] == ["冰箱", "空调"]


async def test_page_size_outside_1_to_100_and_bad_arguments_are_typed_errors(
    app: Litestar, tenant: TenantKit
) -> None:
    """Refused with code BAD_USER_INPUT and the argument's path, never a crash and never a huge page."""
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    for first in (0, -1, 101, 100_000):
        result = await client.gql(LIST_IDS, {"first": first})
        assert result["data"] is None
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == [
            {"path": ["first"], "code": "out_of_range", "message": "must be between 1 and 100"}
        ]
    assert (await client.gql(LIST_IDS, {"first": 100}))["data"]["customers"]["edges"] == []

    bad_owner = await client.gql(LIST_IDS, {"first": 5, "filter": {"ownerId": "someone"}})
    assert bad_owner["errors"][0]["extensions"]["fields"][0]["path"] == ["filter", "ownerId"]
    bad_cursor = await client.gql(LIST_IDS, {"first": 5, "after": "not-a-cursor"})
    assert bad_cursor["errors"][0]["extensions"]["fields"][0]["path"] == ["after"]
    long_search = await client.gql(LIST_IDS, {"first": 5, "filter": {"search": "秀" * 201}})
    assert long_search["errors"][0]["extensions"]["fields"][0]["path"] == ["filter", "search"]


async def test_a_cursor_from_another_ordering_is_refused(app: Litestar, tenant: TenantKit) -> None:
    for n in range(3):
        await create(app, tenant, "admin", name=f"排序{n}")
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    first_page = await client.gql(LIST_IDS, {"first": 1})
    cursor = first_page["data"]["customers"]["pageInfo"]["endCursor"]
    by_name = await client.gql(LIST_IDS, {"first": 1, "after": cursor, "orderBy": {"field": "NAME"}})
    assert by_name["errors"][0]["extensions"]["fields"][0]["code"] == "invalid_cursor"


async def test_total_count_is_capped(app: Litestar, tenant: TenantKit, monkeypatch: object) -> None:
    """Past settings.search_count_cap the count stops and says so (shown as e.g. "10,000+")."""
    import dataclasses

    from app import settings as settings_module

    for n in range(4):
        await create(app, tenant, "admin", name=f"计数{n}")
    capped = dataclasses.replace(settings_module.get_settings(), search_count_cap=3)
    monkeypatch.setattr("app.customers.service.get_settings", lambda: capped)  # type: ignore[attr-defined]
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    result = await client.gql(LIST_IDS, {"first": 2})
    connection = result["data"]["customers"]
    assert connection["totalCount"] == 3 and connection["totalCountIsCapped"] is True
    assert len(connection["edges"]) == 2


async def test_a_text_search_counts_up_to_its_own_lower_cap(
    app: Litestar, tenant: TenantKit, monkeypatch: object
) -> None:
    """A search stops counting at settings.search_text_count_cap (1,000: "1,000+"), below the list's
    cap: counting the thousands of customers a common given name matches was most of a search's
    time at a million customers. The plain list keeps its own cap."""
    import dataclasses

    from app import settings as settings_module

    for n in range(4):
        await create(app, tenant, "admin", name=f"计数{n}")
    capped = dataclasses.replace(settings_module.get_settings(), search_text_count_cap=2)
    monkeypatch.setattr("app.customers.service.get_settings", lambda: capped)  # type: ignore[attr-defined]
    client = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    searched = (await client.gql(LIST_IDS, {"first": 10, "filter": {"search": "计数"}}))["data"]["customers"]
    assert (searched["totalCount"], searched["totalCountIsCapped"], len(searched["edges"])) == (2, True, 4)
    listed = (await client.gql(LIST_IDS, {"first": 10}))["data"]["customers"]
    assert (listed["totalCount"], listed["totalCountIsCapped"]) == (4, False)
