"""The GraphQL kit's shared pieces (app/graphql/kit.py) as every module's resolvers rely on them:
records shown field by field, inputs as service data, optional ids refused by their argument's
path, and every list refusing a bad filter by its path under ``filter``."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
import strawberry
from crm_testkit import TenantKit
from graphql_helpers import api_client
from litestar import Litestar
from strawberry.scalars import JSON

from app.domain import ValidationFailed
from app.graphql.kit import from_record, input_values, optional_id
from app.graphql.types.customers import CustomerTier
from app.graphql.types.quotes import PriceListKind
from app.pricing.fields import PriceListKind as PriceListKindEnum


@strawberry.type
class Shown:
    id: strawberry.ID
    kind: PriceListKind  # type: ignore[valid-type]
    tier: CustomerTier | None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None
    member_ids: list[strawberry.ID]
    note: str | None
    custom_fields: JSON
    amount: int


@strawberry.input
class Line:
    product_id: strawberry.ID
    quantity: int | None = strawberry.UNSET


@strawberry.input
class Change:
    id: strawberry.ID
    version: int
    note: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET
    lines: list[Line] | None = strawberry.UNSET


def test_a_record_is_shown_by_its_fields_names() -> None:
    ident, member = uuid.uuid4(), uuid.uuid4()
    record = SimpleNamespace(
        id=ident, kind="wholesale", tier="", owner_id=None, member_ids=[member], note="周六送货", custom=None
    )
    shown = from_record(Shown, record, amount=3)
    # Ids as text, an enum from its stored value, an empty optional enum as null, custom fields as a dict.
    assert (shown.id, shown.kind, shown.tier, shown.owner_id) == (
        str(ident),
        PriceListKindEnum.WHOLESALE,
        None,
        None,
    )
    assert (shown.member_ids, shown.note, shown.custom_fields, shown.amount) == (
        [str(member)],
        "周六送货",
        {},
        3,
    )
    # What is given wins over the record's attribute of the same name.
    assert from_record(Shown, record, amount=3, note=None).note is None


def test_a_field_the_record_lacks_must_be_given() -> None:
    record = SimpleNamespace(
        id=uuid.uuid4(), kind="retail", tier=None, owner_id=None, member_ids=[], note=None, custom={}
    )
    with pytest.raises(AttributeError, match="amount"):
        from_record(Shown, record)


def test_an_input_becomes_service_data() -> None:
    product = uuid.uuid4()
    change = Change(
        id=strawberry.ID("x"), version=2, custom_fields={"楼层": 5}, lines=[Line(product_id=product)]
    )
    # The id and version go to the verb apart; what was not given is left out; child inputs as dicts.
    assert input_values(change, "lines") == {"custom": {"楼层": 5}, "lines": [{"product_id": str(product)}]}
    assert input_values(Change(id=strawberry.ID("x"), version=2)) == {}


def test_an_optional_id_is_none_absent_and_refused_malformed() -> None:
    ident = uuid.uuid4()
    assert optional_id(None, "filter.customerId") is None
    assert optional_id(strawberry.UNSET, "filter.customerId") is None
    assert optional_id(str(ident), "filter.customerId") == ident
    with pytest.raises(ValidationFailed) as refused:
        optional_id("不是编号", "filter.customerId")
    [error] = refused.value.errors
    assert (error.field, error.code) == ("filter.customerId", "invalid_id")


LISTS = ("quotes", "orders", "opportunities", "contracts", "leads", "products")


@pytest.mark.parametrize("field", LISTS)
async def test_every_list_refuses_a_bad_filter_by_its_path(
    app: Litestar, tenant: TenantKit, field: str
) -> None:
    client = await api_client(app, tenant, "manager_a")
    long = await client.gql(f'{{ {field}(filter: {{search: "{"长" * 101}"}}) {{ totalCount }} }}')
    [error] = long["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [(f["path"], f["code"]) for f in error["extensions"]["fields"]] == [
        (["filter", "search"], "too_long")
    ]
    assert long["data"] is None


@pytest.mark.parametrize("field", ["quotes", "orders", "opportunities", "contracts"])
async def test_a_malformed_filter_id_is_a_bad_argument_not_an_empty_list(
    app: Litestar, tenant: TenantKit, field: str
) -> None:
    client = await api_client(app, tenant, "manager_a")
    result = await client.gql(f'{{ {field}(filter: {{customerId: "nope"}}) {{ totalCount }} }}')
    [error] = result["errors"]
    assert [(f["path"], f["code"]) for f in error["extensions"]["fields"]] == [
        (["filter", "customerId"], "invalid_id")
    ]


async def test_an_id_that_names_nothing_reads_as_not_found(app: Litestar, tenant: TenantKit) -> None:
    client = await api_client(app, tenant, "manager_a")
    for field in (
        "quote",
        "order",
        "opportunity",
        "contract",
        "product",
        "priceList",
        "stockCount",
        "booking",
    ):
        result = await client.gql(f'{{ {field}(id: "nope") {{ __typename ... on NotFoundError {{ id }} }} }}')
        assert result["data"][field] == {"__typename": "NotFoundError", "id": "nope"}, field
