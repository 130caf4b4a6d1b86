"""Cross-tenant attacks on every admin route and every GraphQL field.

Tenant A's staff (session and token) try every route and field with tenant B's ids, on A's own
host and on B's host. Each attempt must end in a refusal or "not found", never B's data, and B's
records must be exactly as they were. The suite enumerates the app's routes and the schema's
fields: a new route or field without a case here fails ``test_every_route_has_a_case`` /
``test_every_graphql_field_has_a_case``, so nothing ships without an isolation check.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from crm_testkit import browser, integrator, logged_in
from isolation_world import (
    GRAPHQL,
    PLATFORM,
    PUBLIC,
    TENANT,
    GraphQLCase,
    RouteCase,
    World,
    b_is_untouched,
    build_world,
    case_modules,
    leaked,
)
from litestar import Litestar

POLICY_FORM = {
    "password_min_length": "8",
    "idle_timeout_minutes": "30",
    "session_lifetime_hours": "12",
    "ip_allowlist": "",
}

# (method, path template) -> how to attack it. Keep in step with web/controllers.
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/healthz"): RouteCase(PUBLIC),
    ("GET", "/readyz"): RouteCase(PUBLIC),
    ("GET", "/metrics"): RouteCase(PUBLIC),
    ("GET", "/static/{file_path:path}"): RouteCase(PUBLIC),
    ("GET", "/graphql"): RouteCase(GRAPHQL),
    ("POST", "/graphql"): RouteCase(GRAPHQL),
    ("GET", "/"): RouteCase(TENANT),
    ("GET", "/login"): RouteCase(TENANT),
    ("POST", "/login"): RouteCase(TENANT, {"email": "nobody@nowhere.example", "password": "x"}),
    ("GET", "/login/2fa"): RouteCase(TENANT),
    ("POST", "/login/2fa"): RouteCase(TENANT, {"code": "000000"}),
    ("POST", "/logout"): RouteCase(TENANT),
    ("GET", "/signup"): RouteCase(PLATFORM),
    ("POST", "/signup"): RouteCase(PLATFORM, {"company_name": "x", "slug": "x"}),
    ("GET", "/signup/check-slug"): RouteCase(PLATFORM),
    ("GET", "/operator"): RouteCase(PLATFORM),
    ("GET", "/operator/login"): RouteCase(PLATFORM),
    ("POST", "/operator/login"): RouteCase(PLATFORM, {"email": "x@x.example", "password": "x"}),
    ("POST", "/operator/logout"): RouteCase(PLATFORM),
    ("POST", "/operator/tenants/{slug:str}/suspend"): RouteCase(PLATFORM),
    ("POST", "/operator/tenants/{slug:str}/resume"): RouteCase(PLATFORM),
    ("GET", "/customers"): RouteCase(TENANT),
    ("POST", "/customers"): RouteCase(TENANT, {"name": "甲方客户"}),
    ("GET", "/customers/new"): RouteCase(TENANT),
    ("GET", "/customers/divisions"): RouteCase(TENANT),
    ("GET", "/customers/{customer_id:uuid}"): RouteCase(TENANT),
    ("POST", "/customers/{customer_id:uuid}"): RouteCase(TENANT, {"name": "被篡改", "version": "1"}),
    ("GET", "/customers/{customer_id:uuid}/edit"): RouteCase(TENANT),
    ("POST", "/customers/{customer_id:uuid}/delete"): RouteCase(TENANT),
    ("POST", "/customers/{customer_id:uuid}/restore"): RouteCase(TENANT),
    ("GET", "/audit"): RouteCase(TENANT),
    ("GET", "/tokens"): RouteCase(TENANT),
    ("POST", "/tokens"): RouteCase(TENANT, {"name": "attack"}),
    ("POST", "/tokens/{token_id:uuid}/revoke"): RouteCase(TENANT),
    ("GET", "/exports"): RouteCase(TENANT),
    ("POST", "/exports"): RouteCase(TENANT, {"format": "csv"}),
    ("GET", "/exports/rows"): RouteCase(TENANT),
    ("GET", "/exports/{export_id:uuid}/download"): RouteCase(TENANT),
    ("POST", "/exports/{export_id:uuid}/retry"): RouteCase(TENANT),
    ("GET", "/security"): RouteCase(TENANT),
    ("POST", "/security/policy"): RouteCase(TENANT, POLICY_FORM),
    ("POST", "/security/password"): RouteCase(
        TENANT, {"current_password": "wrong", "new_password": "whatever-123"}
    ),
    ("POST", "/security/sessions/{session_id:uuid}/revoke"): RouteCase(TENANT),
    ("GET", "/security/2fa/setup"): RouteCase(TENANT),
    ("POST", "/security/2fa/setup"): RouteCase(TENANT, {"code": "000000"}),
    ("POST", "/security/2fa/setup/start"): RouteCase(TENANT),
    ("POST", "/security/2fa/disable"): RouteCase(TENANT),
    # Tenant lifecycle: the console's tenant pages (base domain only), email verification and
    # support access (tenant hosts).
    ("GET", "/operator/tenants/{slug:str}"): RouteCase(PLATFORM),
    ("POST", "/operator/tenants/{slug:str}/plan"): RouteCase(PLATFORM, {"plan": "basic"}),
    ("POST", "/operator/tenants/{slug:str}/delete"): RouteCase(PLATFORM, {"confirm": "x"}),
    ("POST", "/operator/tenants/{slug:str}/restore"): RouteCase(PLATFORM),
    ("POST", "/operator/tenants/{slug:str}/support"): RouteCase(PLATFORM),
    ("GET", "/operator/jobs"): RouteCase(PLATFORM),
    ("GET", "/operator/audit"): RouteCase(PLATFORM),
    ("GET", "/operator/mail"): RouteCase(PLATFORM),
    ("GET", "/verify-email"): RouteCase(TENANT),
    ("GET", "/verify-email/pending"): RouteCase(TENANT),
    ("POST", "/verify-email/resend"): RouteCase(TENANT),
    ("GET", "/settings/support"): RouteCase(TENANT),
    ("POST", "/settings/support"): RouteCase(TENANT, {"hours": "72"}),
    ("POST", "/settings/support/revoke"): RouteCase(TENANT),
    ("GET", "/support/enter"): RouteCase(TENANT),
    ("GET", "/support/ended"): RouteCase(TENANT),
    ("POST", "/support/leave"): RouteCase(TENANT),
    # Roles: A's own role editor; B's role by id reads as absent and stays as it was.
    ("GET", "/roles"): RouteCase(TENANT),
    ("GET", "/roles/new"): RouteCase(TENANT),
    ("POST", "/roles"): RouteCase(TENANT, {"name": "甲方角色", "data_scope": "own"}),
    ("GET", "/roles/{role_id:uuid}"): RouteCase(TENANT),
    ("POST", "/roles/{role_id:uuid}"): RouteCase(TENANT, {"name": "被篡改", "version": "1"}),
    ("POST", "/roles/{role_id:uuid}/reset"): RouteCase(TENANT),
    ("POST", "/roles/{role_id:uuid}/delete"): RouteCase(TENANT),
    # Workflows: the editor (A's own workflow; a stale version and blank names change nothing) and
    # the stage card of B's customer.
    ("GET", "/workflows"): RouteCase(TENANT),
    ("GET", "/workflows/{entity:str}"): RouteCase(TENANT),
    ("POST", "/workflows/{entity:str}"): RouteCase(TENANT, {"version": "999", "s0_zh": "被篡改"}),
    ("GET", "/customers/{customer_id:uuid}/stage"): RouteCase(TENANT),
    ("POST", "/customers/{customer_id:uuid}/stage"): RouteCase(TENANT, {"to": "lost", "version": "1"}),
    # Custom fields: the settings page of A's own fields; B's field by id reads as absent.
    ("GET", "/settings/custom-fields"): RouteCase(TENANT),
    ("GET", "/settings/custom-fields/new"): RouteCase(TENANT),
    ("GET", "/settings/custom-fields/type-inputs"): RouteCase(TENANT),
    ("POST", "/settings/custom-fields"): RouteCase(
        TENANT, {"key": "mobile", "label_zh": "冲突", "type": "text"}
    ),
    ("GET", "/settings/custom-fields/{field_id:uuid}/edit"): RouteCase(TENANT),
    ("POST", "/settings/custom-fields/{field_id:uuid}"): RouteCase(
        TENANT, {"label_zh": "被篡改", "type": "text"}
    ),
    ("POST", "/settings/custom-fields/{field_id:uuid}/archive"): RouteCase(TENANT),
    ("POST", "/settings/custom-fields/{field_id:uuid}/restore"): RouteCase(TENANT),
    ("POST", "/settings/custom-fields/{field_id:uuid}/move"): RouteCase(TENANT, {"direction": "up"}),
    ("POST", "/list-columns/{entity:str}"): RouteCase(TENANT, {"col.secret": "1", "next": "/customers"}),
    # Kit children (contacts, addresses) on B's customer: every route reads as absent.
    **{
        (method, f"/customers/{{customer_id:uuid}}/{slug}{tail}"): RouteCase(TENANT, form)
        for slug, key, form in (
            ("contacts", "contact", {"name": "被篡改", "version": "1"}),
            ("addresses", "address", {"detail": "被篡改", "province": "浙江省", "version": "1"}),
        )
        for method, tail in (
            ("GET", ""),
            ("GET", "/new"),
            ("POST", ""),
            ("GET", f"/{{{key}_id:uuid}}/edit"),
            ("POST", f"/{{{key}_id:uuid}}"),
            ("POST", f"/{{{key}_id:uuid}}/delete"),
            ("POST", f"/{{{key}_id:uuid}}/restore"),
        )
    },
}

# GraphQL field -> (operation, variables from the world). B's ids everywhere.
GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "customFieldDefinitions": (
        'query { customFieldDefinitions(entity: "customer", includeArchived: true) { key labelZh } }',
        lambda w: {},
    ),
    "defineCustomField": (
        'mutation { defineCustomField(input: {entity: "customer", key: '
        '"secret", labelZh: "甲方字段", type: TEXT}) '
        "{ __typename } }",
        lambda w: {},
    ),
    "updateCustomField": (
        'mutation($id: ID!) { updateCustomField(input: {id: $id, labelZh: "被篡改"}) { __typename } }',
        lambda w: {"id": str(w.b_field_id)},
    ),
    "archiveCustomField": (
        "mutation($id: ID!) { archiveCustomField(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_field_id)},
    ),
    "restoreCustomField": (
        "mutation($id: ID!) { restoreCustomField(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_field_id)},
    ),
    "viewer": ("{ viewer { id name email } }", lambda w: {}),
    "customer": (
        "query($id: ID!) { customer(id: $id) { __typename ... on Customer { name mobile tags } } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "customers": (
        'query { customers(first: 100, filter: {search: "欧阳"}) { totalCount edges '
        "{ node { name mobile tags } } } }",
        lambda w: {},
    ),
    "tags": ("{ tags }", lambda w: {}),
    "createCustomer": (
        'mutation { createCustomer(input: {name: "甲方新客户"}) { __typename } }',
        lambda w: {},
    ),
    "updateCustomer": (
        'mutation($id: ID!) { updateCustomer(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": str(w.b_customer)},
    ),
    "deleteCustomer": (
        "mutation($id: ID!) { deleteCustomer(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "restoreCustomer": (
        "mutation($id: ID!) { restoreCustomer(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_deleted_customer)},
    ),
    "workflow": (
        'query { workflow(entity: "customer") { __typename ... on Workflow { version states { key } } } }',
        lambda w: {},
    ),
    "updateWorkflow": (
        'mutation { updateWorkflow(input: {entity: "customer", version: 999, states: [{key: "lead", '
        'label: {zhCn: "被篡改"}, category: OPEN}], transitions: []}) { __typename } }',
        lambda w: {},
    ),
    "transitionCustomer": (
        'mutation($id: ID!) { transitionCustomer(id: $id, to: "lost", version: 1) { __typename } }',
        lambda w: {"id": str(w.b_customer)},
    ),
    "createContact": (
        'mutation($id: ID!) { createContact(input: {customerId: $id, name: "甲方"}) { __typename } }',
        lambda w: {"id": str(w.b_customer)},
    ),
    "updateContact": (
        'mutation($id: ID!) { updateContact(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": str(w.b_contact_id)},
    ),
    "deleteContact": (
        "mutation($id: ID!) { deleteContact(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_contact_id)},
    ),
    "restoreContact": (
        "mutation($id: ID!) { restoreContact(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_contact_id)},
    ),
    "createCustomerAddress": (
        "mutation($id: ID!) { createCustomerAddress(input: {customerId: $id, "
        'province: "浙江省", detail: "x"}) '
        "{ __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "updateCustomerAddress": (
        "mutation($id: ID!) { updateCustomerAddress(input: {id: $id, version: 1, "
        'detail: "被篡改"}) { __typename } }',
        lambda w: {"id": str(w.b_address_id)},
    ),
    "deleteCustomerAddress": (
        "mutation($id: ID!) { deleteCustomerAddress(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_address_id)},
    ),
    "restoreCustomerAddress": (
        "mutation($id: ID!) { restoreCustomerAddress(id: $id) { __typename } }",
        lambda w: {"id": str(w.b_address_id)},
    ),
    "roles": ("{ roles { id name permissions } }", lambda w: {}),
    "permissions": ("{ permissions { key } }", lambda w: {}),
    "createRole": ('mutation { createRole(input: {name: "甲方角色"}) { __typename } }', lambda w: {}),
    "updateRole": (
        'mutation($id: ID!) { updateRole(input: {id: $id, version: 1, name: "被篡改"}) { __typename } }',
        lambda w: {"id": str(w.b_role_id)},
    ),
}


for _module in case_modules():
    ROUTE_CASES.update(getattr(_module, "ROUTE_CASES", {}))
    GRAPHQL_CASES.update(getattr(_module, "GRAPHQL_CASES", {}))


def _routes(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            found.add((method, route.path))
    return found


def _graphql_fields() -> set[str]:
    from app.graphql.schema import schema

    graphql_schema = schema._schema
    names = set(graphql_schema.query_type.fields)
    if graphql_schema.mutation_type is not None:
        names |= set(graphql_schema.mutation_type.fields)
    return names


def _fill(path: str, world: World) -> str:
    ids = world.ids()
    return re.sub(r"\{(\w+):\w+\}", lambda m: ids[m.group(1)], path)


@pytest.fixture
async def world(app: Litestar) -> World:
    return await build_world(app, secrets.token_hex(3))


def test_every_route_has_a_case(app: Litestar) -> None:
    missing = sorted(_routes(app) - set(ROUTE_CASES))
    assert not missing, f"routes without an isolation case (add them to ROUTE_CASES): {missing}"


def test_every_graphql_field_has_a_case() -> None:
    missing = sorted(_graphql_fields() - set(GRAPHQL_CASES))
    assert not missing, f"GraphQL fields without an isolation case (add them to GRAPHQL_CASES): {missing}"


async def _send(client: Any, method: str, url: str, form: dict[str, str]) -> Any:
    if method == "GET":
        return await client.get(url)
    return await client.post_form(url, form)


async def test_a_staff_cannot_reach_b_through_any_admin_route(app: Litestar, world: World) -> None:
    failures: list[str] = []
    # Logging out would end the session the later attacks use, so it goes last.
    ordered = sorted(ROUTE_CASES.items(), key=lambda item: (item[0] == ("POST", "/logout"), item[0]))
    own = await logged_in(app, world.a, "owner")
    for (method, path), case in ordered:
        url = _fill(path, world)
        if case.kind == GRAPHQL:
            continue
        if case.kind == PLATFORM:
            # The base domain's pages do not exist on a dealer's host.
            response = await _send(world.a_admin, method, url, case.form)
            if response.status_code != 404:
                failures.append(f"{method} {path} on a tenant host: {response.status_code}, expected 404")
            continue
        # 1. A's own session, on A's host, with B's ids.
        response = await _send(own, method, url, case.form)
        if response.status_code >= 500 or leaked(response.text):
            failures.append(
                f"{method} {path} with B's ids on A's host: {response.status_code}, "
                f"leaked={leaked(response.text)}"
            )
        # 2. A's session cookie replayed on B's host.
        stolen = browser(app, world.b.host)
        stolen.cookies.set("dcrm_session", own.cookies.get("dcrm_session") or "", domain=world.b.host)
        response = await _send(stolen, method, url, case.form)
        allowed_open = (
            case.kind == PUBLIC
            or path in {"/login", "/login/2fa", "/"}
            or (method, path) == ("POST", "/login")
        )
        if (
            response.status_code >= 500
            or leaked(response.text)
            or (response.status_code == 200 and not allowed_open)
        ):
            failures.append(
                f"{method} {path} with A's cookie on B's host: {response.status_code}, "
                f"leaked={leaked(response.text)}"
            )
        problems = await b_is_untouched(app, world)
        if problems:
            failures.append(f"{method} {path}: {problems}")
            break
    assert not failures, "\n".join(failures)


async def test_a_token_cannot_reach_b_through_any_graphql_field(app: Litestar, world: World) -> None:
    failures: list[str] = []
    for name, (operation, variables) in sorted(GRAPHQL_CASES.items()):
        response = await world.a_integrator.post(
            "/graphql", json={"query": operation, "variables": variables(world)}
        )
        if response.status_code >= 500 or leaked(response.text):
            failures.append(f"{name} with B's ids on A's host: {response.status_code} {response.text[:200]}")
        # A's token on B's host is refused outright.
        a_token = world.a_integrator.headers["authorization"].split(" ", 1)[1]
        on_b = integrator(app, world.b.host, a_token)
        response = await on_b.post("/graphql", json={"query": operation, "variables": variables(world)})
        if response.status_code != 401 or leaked(response.text):
            failures.append(f"{name} with A's token on B's host: {response.status_code}")
        # A's session cookie on B's host is not a login there.
        stolen = browser(app, world.b.host)
        stolen.cookies.set(
            "dcrm_session", world.a_admin.cookies.get("dcrm_session") or "", domain=world.b.host
        )
        token = await stolen.ensure_csrf()
        response = await stolen.post(
            "/graphql",
            json={"query": operation, "variables": variables(world)},
            headers={"X-CSRF-Token": token},
        )
        if response.status_code != 401 or leaked(response.text):
            failures.append(f"{name} with A's cookie on B's host: {response.status_code}")
    problems = await b_is_untouched(app, world)
    assert not failures and not problems, "\n".join(failures + problems)


async def test_b_sees_its_own_data(app: Litestar, world: World) -> None:
    """The control: the same requests as B's owner do reach B's data (so the checks above can fail)."""
    page = await world.b_admin.get(f"/customers/{world.b_customer}")
    assert page.status_code == 200 and leaked(page.text)
    b_token = integrator(app, world.b.host, world.a_integrator.headers["authorization"].split(" ", 1)[1])
    assert (await b_token.post("/graphql", json={"query": "{ viewer { id } }"})).status_code == 401
    result = await world.b_admin.gql(*[GRAPHQL_CASES["customer"][0], GRAPHQL_CASES["customer"][1](world)])
    assert leaked(str(result)), result
