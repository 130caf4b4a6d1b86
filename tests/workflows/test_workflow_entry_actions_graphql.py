"""Entry actions through GraphQL: an ERP reads the order workflow with its stock actions, moves the
reservation from 已审批 to 已提交, and is refused a stock action on the customer lifecycle or a
notification without its text, as typed errors naming the input path (nothing saved)."""

from __future__ import annotations

from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

READ = """query($entity: String!) { workflow(entity: $entity) { __typename ... on Workflow {
  entity version
  states { key label { zhCn en } category onEnter { kind field value to text dueInDays topic } }
  transitions { from to guards { kind field role permission op value when { field op value } } } } } }"""

UPDATE = """mutation($input: UpdateWorkflowInput!) { updateWorkflow(input: $input) { __typename
  ... on WorkflowPayload { workflow { version states { key onEnter { kind text } } } }
  ... on ValidationError { fields { path code } } } }"""


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _as_input(workflow: dict[str, Any]) -> dict[str, Any]:
    """The workflow as read, as UpdateWorkflowInput (entry actions included)."""
    return {
        "entity": workflow["entity"],
        "version": workflow["version"],
        "states": [
            _clean({k: s[k] for k in ("key", "label", "category", "onEnter")}) for s in workflow["states"]
        ],
        "transitions": _clean(workflow["transitions"]),
    }


def _state(document: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in document["states"] if s["key"] == key)


async def _read(client: Any, entity: str) -> dict[str, Any]:
    result = await client.gql(READ, {"entity": entity})
    assert "errors" not in result, result
    workflow: dict[str, Any] = result["data"]["workflow"]
    return workflow


async def _save(client: Any, document: dict[str, Any]) -> dict[str, Any]:
    result = await client.gql(UPDATE, {"input": document})
    assert "errors" not in result, result
    saved: dict[str, Any] = result["data"]["updateWorkflow"]
    return saved


async def test_an_erp_moves_the_reservation_to_submission(app: Litestar, tenant: TenantKit) -> None:
    admin = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    workflow = await _read(admin, "order")
    assert _state(workflow, "approved")["onEnter"][0]["kind"] == "STOCK_RESERVE"
    document = _as_input(workflow)
    _state(document, "approved")["onEnter"] = [{"kind": "NOTIFY", "to": "owner", "text": "订单已审批"}]
    _state(document, "submitted")["onEnter"] = [{"kind": "STOCK_RESERVE"}]
    saved = await _save(admin, document)
    assert saved["__typename"] == "WorkflowPayload", saved
    states = {s["key"]: s["onEnter"] for s in saved["workflow"]["states"]}
    assert states["submitted"] == [{"kind": "STOCK_RESERVE", "text": None}]
    assert states["approved"] == [{"kind": "NOTIFY", "text": "订单已审批"}]


async def test_bad_entry_actions_are_typed_errors_naming_the_input_path(
    app: Litestar, tenant: TenantKit
) -> None:
    admin = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    customer = _as_input(await _read(admin, "customer"))
    customer["states"][1]["onEnter"] = [{"kind": "STOCK_RESERVE"}]
    refused = await _save(admin, customer)
    assert refused["__typename"] == "ValidationError", refused
    assert refused["fields"] == [
        {"path": ["input", "states", "1", "onEnter", "0", "kind"], "code": "invalid_choice"}
    ]

    order = _as_input(await _read(admin, "order"))
    _state(order, "shipped")["onEnter"].append({"kind": "CREATE_TASK", "to": "owner", "dueInDays": 400})
    refused = await _save(admin, order)
    assert refused["__typename"] == "ValidationError", refused
    assert {(tuple(f["path"]), f["code"]) for f in refused["fields"]} == {
        (("input", "states", "3", "onEnter", "1", "text"), "required"),
    }
    # Nothing was saved: the workflow is still the one every tenant starts with.
    assert (await _read(admin, "order"))["version"] == 1
