"""One filter spec for the customer list (app/customers/filters.py on app/kit/filters.py): the admin
list, exports and the GraphQL filter input read the same declaration, so a bad value gets the same
refusal on every face, and the GraphQL input offers exactly the declared filters."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from crm_testkit import TenantKit, actor, logged_in
from litestar import Litestar

from app.customers import service as customers
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.repository import CustomerFilter
from app.domain import ValidationFailed
from app.exports import service as exports
from app.graphql.types.customers import CustomerFilterInput
from app.kit.enums import LabeledEnum
from app.kit.filters import AnyOf, FilterSpec


def codes(data: dict[str, object]) -> dict[str, str]:
    return {e.field: e.code for e in CUSTOMER_FILTERS.parse(data).errors}


def test_each_bad_value_is_a_field_error_naming_the_filter() -> None:
    assert codes({"status": "bogus"}) == {"filter.status": "invalid_choice"}
    assert codes({"owner_id": "nobody"}) == {"filter.owner_id": "invalid_id"}
    assert codes({"created_from": "2026-02-30"}) == {"filter.created_from": "invalid_date"}
    assert codes({"created_from": "2026-05-01", "created_to": "2026-01-01"}) == {
        "filter.created_to": "inverted_range"
    }
    assert codes({"search": "张" * 1000}) == {"filter.search": "too_long"}
    assert codes({"search": "张\x07三"}) == {"filter.search": "control_characters"}
    assert codes({"search": "张\x00三"}) == {"filter.search": "nul_byte"}
    assert codes({"tag": "长" * 31}) == {"filter.tag": "too_long"}
    # Good values come back typed; blanks are no condition at all.
    parsed = CUSTOMER_FILTERS.parse(
        {"search": " 张三 ", "status": "won", "created_from": "2026-01-01", "tier": "", "owner_id": None}
    )
    assert parsed.errors == []
    assert parsed.values == {"search": "张三", "status": "won", "created_from": date(2026, 1, 1)}


def test_the_query_string_uses_the_lists_parameter_names() -> None:
    owner = uuid.uuid4()
    parsed = CUSTOMER_FILTERS.from_params(
        {"q": "王", "owner": str(owner), "created.from": "2026-01-01", "trashed": "1", "tier": "x"}
    )
    assert parsed.values == {
        "search": "王",
        "owner_id": owner,
        "created_from": date(2026, 1, 1),
        "trashed": True,
    }
    assert parsed.kept == {"q": "王", "owner": str(owner), "created.from": "2026-01-01", "trashed": "1"}
    # The bad value is named by the parameter the person typed it in, with what they typed.
    assert parsed.given["filter.tier"] == ("tier", "x")


def test_a_multi_choice_filter_takes_repeated_or_comma_separated_values() -> None:
    class Colour(LabeledEnum):
        RED = "red", "Red"
        BLUE = "blue", "Blue"

    spec = FilterSpec(AnyOf("colour", "Colour", enum=Colour))
    assert spec.parse({"colour": ["red", "blue", "red"]}).values == {"colour": ("red", "blue")}
    assert spec.from_params({"colour": "blue,red"}).values == {"colour": ("blue", "red")}
    assert [e.code for e in spec.parse({"colour": ["red", "green"]}).errors] == ["invalid_choice"]


def test_the_graphql_filter_input_offers_exactly_the_declared_filters() -> None:
    declared = set(CUSTOMER_FILTERS.value_names())
    offered = {f.python_name for f in CustomerFilterInput.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert offered - {"custom_fields"} == declared


def test_the_graphql_input_refuses_what_the_list_refuses() -> None:
    with pytest.raises(ValidationFailed) as refused:
        CustomerFilterInput(
            search="张" * 201, owner_id="nobody", created_from=date(2026, 5, 1), created_to=date(2026, 1, 1)
        ).to_domain()
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("filter.search", "too_long"),
        ("filter.owner_id", "invalid_id"),
        ("filter.created_to", "inverted_range"),
    }


async def test_graphql_clients_get_typed_errors_for_bad_filters(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "admin")
    result = await client.gql(
        'query { customers(first: 5, filter: {createdFrom: "2026-05-01", createdTo: "2026-01-01"}) '
        "{ totalCount } }"
    )
    assert result.get("data") is None or result["data"].get("customers") is None
    text = str(result["errors"])
    assert "filter.createdTo" in text or "filter.created_to" in text or "inverted_range" in text
    control = await client.gql('query { customers(first: 5, filter: {search: "a\\u0007b"}) { totalCount } }')
    assert "control_characters" in str(control["errors"]) or "control" in str(control["errors"])


async def test_the_service_checks_whatever_face_built_the_filter(app: Litestar, tenant: TenantKit) -> None:
    """A filter value built in code (a worker, a bench) passes the same checks before SQL."""
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "admin")
        with pytest.raises(ValidationFailed) as refused:
            await customers.list_customers(session, who, CustomerFilter(status="bogus", search="\x00"))
        assert {e.code for e in refused.value.errors} == {"invalid_choice", "nul_byte"}
        found = await customers.list_customers(session, who, CustomerFilter(created_to=date(2000, 1, 1)))
        assert found.items == []


async def test_exports_read_stored_filters_through_the_spec(app: Litestar, tenant: TenantKit) -> None:
    """An export's stored filter comes back typed (dates too); a value the spec refuses is left out,
    and asking for an export with a bad value is refused like the list refuses it."""
    stored = {"search": "张", "created_from": "2026-01-01", "status": "bogus", "trashed": True}
    assert exports.filters_from_json(stored) == CustomerFilter(search="张", created_from=date(2026, 1, 1))
    async with app.state.db.tenant_session(tenant.schema) as session:
        who = await actor(app, tenant, "admin")
        with pytest.raises(ValidationFailed) as refused:
            await exports.request_customer_export(
                session,
                who,
                CustomerFilter(created_from=date(2026, 5, 1), created_to=date(2026, 1, 1)),
                "csv",
            )
    assert [(e.field, e.code) for e in refused.value.errors] == [("created_to", "inverted_range")]
    # A date filter survives the round trip through the export job's JSON.
    round_trip = exports.filters_from_json(CustomerFilter(created_to=date(2026, 3, 1)).as_dict())
    assert round_trip.created_to == date(2026, 3, 1)
