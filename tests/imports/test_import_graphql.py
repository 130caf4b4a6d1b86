"""Imports through the API: 刘洋's ERP (manager_a's token) sends the file as a GraphQL multipart
upload, polls the job and undoes it, with the example operations integrators copy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from import_helpers import csv_bytes
from litestar import Litestar

from app.kit.imports import run as runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphql"))
from gqlkit import OPERATIONS  # noqa: E402

TEXTS = {
    name: (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    for name in ("ImportCustomers", "ImportJob", "UndoImport")
}


async def _upload(client: Any, data: bytes, policy: str = "SKIP") -> dict[str, Any]:
    operations = {"query": TEXTS["ImportCustomers"], "variables": {"file": None, "policy": policy}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("客户.csv", data, "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_import_poll_and_undo_through_the_api(app: Litestar, tenant: TenantKit) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    result = await _upload(
        client, csv_bytes([["客户名称", "手机号码", "微信"], ["接口导入", "13000130001", "x"]])
    )
    assert result.get("data"), result
    job = result["data"]["importCustomers"]
    assert job["__typename"] == "ImportJobPayload", result
    assert (job["job"]["status"], job["job"]["rowsTotal"], job["job"]["columns"]) == (
        "queued",
        1,
        ["name", "mobile", None],
    )
    job_id = job["job"]["id"]

    # What the worker does; then the integrator polls.
    assert (await runs.run_import(app.state.db, tenant.schema, __import__("uuid").UUID(job_id))).startswith(
        "done"
    )
    polled = (await client.gql(TEXTS["ImportJob"], {"id": job_id}))["data"]["importJob"]
    assert (polled["status"], polled["createdCount"], polled["rejectedCount"]) == ("done", 1, 0)

    undone = (await client.gql(TEXTS["UndoImport"], {"id": job_id}))["data"]["undoImport"]
    assert undone["__typename"] == "ImportJobPayload" and undone["job"]["status"] == "undone"


async def test_a_bad_file_is_a_validation_error_and_others_see_no_job(
    app: Litestar, tenant: TenantKit
) -> None:
    client = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    result = (await _upload(client, b""))["data"]["importCustomers"]
    assert result["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in result["fields"]] == [(["file"], "empty")]

    ok = (await _upload(client, csv_bytes([["姓名"], ["甲"]])))["data"]["importCustomers"]
    colleague = integrator(app, tenant.host, await token_for(app, tenant, "manager_b"))
    assert (await colleague.gql(TEXTS["ImportJob"], {"id": ok["job"]["id"]}))["data"]["importJob"] is None
    # A salesperson may not import at all.
    sales = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    refused = (await _upload(sales, csv_bytes([["姓名"], ["乙"]])))["data"]["importCustomers"]
    assert refused["__typename"] == "PermissionDeniedError"
