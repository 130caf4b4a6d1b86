"""The import pages: 李静 (admin) uploads the store's spreadsheet, checks the columns against the
preview, starts it, follows it, downloads the refused rows and undoes it. 周敏 (viewer) may not."""

from __future__ import annotations

from crm_testkit import TenantKit, logged_in
from import_helpers import csv_bytes, reload
from litestar import Litestar

from app.kit.imports import run as runs
from app.kit.imports.models import ImportStatus
from app.runtime import QUEUE_NAME

FILE = csv_bytes([["客户名称", "手机号码", "微信"], ["网页导入", "13100131001", "wx"], ["坏行", "123", ""]])


async def _upload(client, data: bytes = FILE, name: str = "门店客户.csv"):  # type: ignore[no-untyped-def]
    token = await client.ensure_csrf()
    return await client.post(
        "/imports",
        data={"entity": "customer"},
        files={"file": (name, data, "text/csv")},
        headers={"X-CSRF-Token": token},
    )


async def test_upload_check_columns_start_and_undo(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "admin")
    assert (await client.get("/imports?entity=customer")).status_code == 200
    response = await _upload(client)
    assert response.status_code == 303, response.text
    page_url = response.headers["location"]

    page = await client.get(page_url)
    assert page.status_code == 200
    # The mapping screen: each column with its guessed field, the unknown one said, a preview that
    # shows what each row will do and why a row will be refused.
    assert 'name="col_0"' in page.text and "微信" in page.text
    assert "网页导入" in page.text and "请输入有效的中国大陆手机号码" in page.text or "手机" in page.text
    batch_id = page_url.rsplit("/", 1)[1]

    response = await client.post_form(
        page_url, {"col_0": "name", "col_1": "mobile", "col_2": "", "policy": "skip", "action": "start"}
    )
    assert response.status_code == 303, response.text
    arq_id = runs.arq_job_id(tenant.schema, __import__("uuid").UUID(batch_id))
    assert await app.state.redis.zscore(QUEUE_NAME, arq_id) is not None
    # What the worker does.
    assert (await runs.run_import(app.state.db, tenant.schema, __import__("uuid").UUID(batch_id))).startswith(
        "done"
    )

    progress = await client.get(f"{page_url}/progress")
    assert "hx-trigger" not in progress.text  # finished: it stops polling
    assert "/rejects" in progress.text and "/undo" in progress.text
    rejects = await client.get(f"{page_url}/rejects")
    assert rejects.status_code == 200
    lines = rejects.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("行号,客户名称,手机号码,微信,")
    assert lines[1].startswith("3,坏行,123,")

    response = await client.post_form(f"{page_url}/undo", {})
    assert response.status_code == 303
    assert (await reload(app, tenant, __import__("uuid").UUID(batch_id))).status == ImportStatus.UNDONE


async def test_a_bad_file_is_refused_on_the_upload_page(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "admin")
    response = await _upload(client, b"", "empty.csv")
    assert response.status_code == 422
    assert "文件是空的" in response.text


async def test_a_viewer_gets_no_import_pages(app: Litestar, tenant: TenantKit) -> None:
    client = await logged_in(app, tenant, "viewer")
    assert (await client.get("/imports?entity=customer")).status_code == 403
    assert (await _upload(client)).status_code == 403
