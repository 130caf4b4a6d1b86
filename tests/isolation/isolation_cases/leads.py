"""Isolation cases of leads and the pool (公海).

B holds a lead named with the marker and a customer of its own sitting in B's pool; nothing A does
with B's ids reads, converts, assigns or claims them (B's ids name no record in A). The public web
form is open on every dealer's host by design; without a token it signed for that dealer, nothing
is recorded."""

from __future__ import annotations

import uuid
from typing import Any

from isolation_world import MARKER_NAME, PUBLIC, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import func, select

from app.customers.models import Customer
from app.customers.service import CustomerService
from app.leads import rules as lead_rules
from app.leads.models import Lead, LeadRule, Pool
from app.leads.pools import PoolService
from app.leads.service import LeadService

_LEAD = "/leads/{lead_id:uuid}"
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/leads"): RouteCase(TENANT),
    ("GET", "/leads/new"): RouteCase(TENANT),
    ("POST", "/leads/new"): RouteCase(TENANT, {"name": "甲方线索", "mobile": "13700000001"}),
    ("GET", _LEAD): RouteCase(TENANT),
    ("POST", f"{_LEAD}/convert"): RouteCase(TENANT, {"version": "1"}),
    ("POST", f"{_LEAD}/assign"): RouteCase(TENANT, {"version": "1"}),
    ("GET", "/leads/rules"): RouteCase(TENANT),
    ("POST", "/leads/rules"): RouteCase(TENANT, {"name": "甲方规则"}),
    ("POST", "/leads/rules/{rule_id:uuid}/delete"): RouteCase(TENANT),
    ("GET", "/pools"): RouteCase(TENANT),
    ("POST", "/pools"): RouteCase(TENANT, {"name": "甲方公海"}),
    ("POST", "/pools/claim/{customer_id:uuid}"): RouteCase(TENANT),
    ("POST", "/pools/release/{customer_id:uuid}"): RouteCase(TENANT),
    ("POST", "/pools/settings"): RouteCase(TENANT, {"claim_cap": "5"}),
    ("GET", "/lead-form"): RouteCase(PUBLIC),
    ("POST", "/lead-form"): RouteCase(PUBLIC, {"name": "路人", "mobile": "13700000002"}),
}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "leads": (
        "query($q: String) { leads(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { name mobile } } } }",
        lambda w: {"q": MARKER_NAME},
    ),
    "createLead": (
        'mutation { createLead(input: {name: "甲方线索", mobile: "13700000003"}) { __typename } }',
        lambda w: {},
    ),
    "updateLead": (
        'mutation($id: ID!) { updateLead(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": w.extra["lead_id"]},
    ),
    "assignLead": (
        "mutation($id: ID!) { assignLead(id: $id, version: 1) { __typename } }",
        lambda w: {"id": w.extra["lead_id"]},
    ),
    "convertLead": (
        "mutation($id: ID!) { convertLead(id: $id, version: 1) { __typename } }",
        lambda w: {"id": w.extra["lead_id"]},
    ),
    "pools": ("{ pools { id name size } }", lambda w: {}),
    "poolCustomers": (
        "query($p: ID!) { poolCustomers(poolId: $p) { totalCount edges { node { name } } } }",
        lambda w: {"p": w.extra["pool_id"]},
    ),
    "claimCustomer": (
        "mutation($c: ID!) { claimCustomer(customerId: $c) { __typename } }",
        lambda w: {"c": w.extra["pooled_customer_id"]},
    ),
    "releaseCustomer": (
        "mutation($c: ID!) { releaseCustomer(customerId: $c) { __typename } }",
        lambda w: {"c": str(w.b_customer)},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    rule = await lead_rules.add_rule(session, b_owner, {"name": MARKER_NAME, "city": "广州市"})
    lead = await LeadService(session, b_owner).create(
        {"name": MARKER_NAME, "mobile": "13987654322", "message": MARKER_NAME}
    )
    pools = PoolService(session, b_owner)
    pool = await pools.create_pool(MARKER_NAME)
    pooled = await CustomerService(session, b_owner).create(
        {"name": MARKER_NAME + "公海", "mobile": "13987654323"}
    )
    await pools.release(pooled.id, pool.id)
    return {
        "lead_id": str(lead.id),
        "pool_id": str(pool.id),
        "pooled_customer_id": str(pooled.id),
        "rule_id": str(rule.id),
    }


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    lead = await session.get(Lead, uuid.UUID(world.extra["lead_id"]))
    if lead is None or (lead.version, lead.status, lead.name) != (1, "new", MARKER_NAME):
        problems.append("B's lead changed")
    if await session.scalar(select(func.count()).select_from(Lead)) != 1:
        problems.append("B's leads changed")
    pooled = await session.get(Customer, uuid.UUID(world.extra["pooled_customer_id"]))
    if pooled is None or pooled.owner_id is not None:
        problems.append("B's pooled customer was claimed")
    if await session.get(LeadRule, uuid.UUID(world.extra["rule_id"])) is None:
        problems.append("B's assignment rule was removed")
    if await session.scalar(select(func.count()).select_from(Pool)) != 1:
        problems.append("B's pools changed")
    return problems
