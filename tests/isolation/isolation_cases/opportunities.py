"""Isolation cases of the pipeline, contracts and targets.

B holds a deal named with the marker for its secret customer (a product of interest, a competitor
named with the marker), a contract titled with the marker and a target of the marker's amount for
its owner; nothing A does with B's ids reads, moves, converts, edits or signs them, and A's
forecast and targets never show B's numbers (B's ids name no record in A)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from isolation_world import MARKER_MOBILE, MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import func, select

from app.catalog.service import ProductService
from app.opportunities.contracts import ContractService
from app.opportunities.forecast import SalesTargets
from app.opportunities.models import Contract, Opportunity, SalesTarget
from app.opportunities.service import OpportunityService

MARKER_AMOUNT = "98765.43"  # B's target: never in A's numbers

_DEAL_PAGE = "/opportunities/{opportunity_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/opportunities"): RouteCase(TENANT),
    ("GET", "/opportunities/list"): RouteCase(TENANT),
    ("GET", "/opportunities/new"): RouteCase(TENANT),
    ("POST", "/opportunities/new"): RouteCase(TENANT, {"name": "偷看", "customer_id": "{customer_id}"}),
    ("GET", "/opportunities/forecast"): RouteCase(TENANT),
    ("POST", "/opportunities/targets"): RouteCase(
        TENANT, {"holder": "user:", "month": "2026-12", "amount": "1"}
    ),
    ("GET", _DEAL_PAGE): RouteCase(TENANT),
    ("POST", f"{_DEAL_PAGE}/move"): RouteCase(TENANT, {"to": "won", "version": "1"}),
    ("POST", f"{_DEAL_PAGE}/order"): RouteCase(TENANT, {"warehouse_id": ""}),
    ("GET", "/contracts"): RouteCase(TENANT),
}

_DEAL = "query($id: ID!) { opportunity(id: $id) { __typename ... on Opportunity { name competitor } } }"

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "opportunities": (
        "query($q: String) { opportunities(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { name competitor } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "opportunity": (_DEAL, lambda w: {"id": w.extra["opportunity_id"]}),
    "opportunityStageHistory": (
        "query($id: ID!) { opportunityStageHistory(id: $id) { stage movedBy } }",
        lambda w: {"id": w.extra["opportunity_id"]},
    ),
    "pipelineStages": ("{ pipelineStages { key label } }", lambda w: {}),
    "contracts": (
        "query($q: String) { contracts(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { title } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "contract": (
        "query($id: ID!) { contract(id: $id) { __typename ... on Contract { title note } } }",
        lambda w: {"id": w.extra["contract_id"]},
    ),
    "targets": ('{ targets(month: "2026-12", months: 1) { amount userId } }', lambda w: {}),
    "forecast": (
        '{ forecast(month: "2026-12", months: 1) { people { name months { target weighted } } '
        "total { months { target weighted } } } }",
        lambda w: {},
    ),
    "createOpportunity": (
        'mutation($c: ID!) { createOpportunity(input: {name: "偷看", customerId: $c}) '
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"c": str(w.b_customer)},
    ),
    "updateOpportunity": (
        'mutation($id: ID!) { updateOpportunity(input: {id: $id, version: 1, note: "被篡改"}) '
        "{ __typename } }",
        lambda w: {"id": w.extra["opportunity_id"]},
    ),
    "moveOpportunity": (
        'mutation($id: ID!) { moveOpportunity(id: $id, to: "won", version: 1) { __typename } }',
        lambda w: {"id": w.extra["opportunity_id"]},
    ),
    "transitionOpportunity": (
        'mutation($id: ID!) { transitionOpportunity(id: $id, to: "won", version: 1) { __typename } }',
        lambda w: {"id": w.extra["opportunity_id"]},
    ),
    "createOrderFromOpportunity": (
        "mutation($id: ID!) { createOrderFromOpportunity(id: $id, warehouseId: $id) { __typename } }",
        lambda w: {"id": w.extra["opportunity_id"]},
    ),
    "createContract": (
        'mutation($c: ID!, $o: ID!) { createContract(input: {title: "偷看", customerId: $c, '
        'opportunityId: $o, amount: "1", startsOn: "2026-12-01"}) '
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"c": str(w.b_customer), "o": w.extra["opportunity_id"]},
    ),
    "updateContract": (
        'mutation($id: ID!) { updateContract(input: {id: $id, version: 1, note: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["contract_id"]},
    ),
    "transitionContract": (
        'mutation($id: ID!) { transitionContract(id: $id, to: "terminated", version: 1) { __typename } }',
        lambda w: {"id": w.extra["contract_id"]},
    ),
    "setSalesTarget": (
        'mutation($u: ID!) { setSalesTarget(input: {month: "2026-12", amount: "1", userId: $u}) '
        "{ __typename ... on ValidationError { fields { code } } } }",
        lambda w: {"u": str(w.b.people["sales_a"])},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    product = await ProductService(session, b_owner).create(
        {"sku": f"BP-{MARKER_MOBILE}", "name": MARKER_NAME, "list_price": "8888"}
    )
    deal = await OpportunityService(session, b_owner).create(
        {
            "name": MARKER_NAME,
            "customer_id": world.b_customer,
            "competitor": MARKER_NAME,
            "expected_close": "2026-12-15",
            "products": [{"product_id": product.id, "quantity": 1}],
        }
    )
    contract = await ContractService(session, b_owner).create(
        {
            "title": MARKER_NAME,
            "customer_id": world.b_customer,
            "opportunity_id": deal.id,
            "amount": "8888",
            "starts_on": "2026-12-01",
            "note": MARKER_NAME,
        }
    )
    await SalesTargets(session, b_owner).set_target(
        {"month": "2026-12", "user_id": b_owner.user_id, "amount": MARKER_AMOUNT}
    )
    return {"opportunity_id": str(deal.id), "contract_id": str(contract.id)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    deal = await session.get(Opportunity, uuid.UUID(world.extra["opportunity_id"]))
    if deal is None or (deal.version, deal.stage, deal.note, deal.order_id) != (1, "qualify", None, None):
        problems.append("B's opportunity changed")
    contract = await session.get(Contract, uuid.UUID(world.extra["contract_id"]))
    if contract is None or (contract.version, contract.status, contract.note) != (1, "draft", MARKER_NAME):
        problems.append("B's contract changed")
    amounts = (await session.scalars(select(SalesTarget.amount))).all()
    if list(amounts) != [Decimal(MARKER_AMOUNT)]:
        problems.append("B's targets changed")
    if await session.scalar(select(func.count()).select_from(Opportunity)) != 1:
        problems.append("B's opportunities changed")
    return problems
