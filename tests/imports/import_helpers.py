"""Files as dealers bring them, and a shortcut through upload → start → run."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar
from openpyxl import Workbook

from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.kit.imports.models import ImportBatch


def csv_bytes(rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    app: Litestar, kit: TenantKit, who: str, data: bytes, name: str = "客户.csv", **options: Any
) -> ImportBatch:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await imports.upload(
            session, await actor(app, kit, who), kit.schema, "customer", name, io.BytesIO(data), **options
        )


async def run(app: Litestar, kit: TenantKit, who: str, batch: ImportBatch, **kw: Any) -> ImportBatch:
    """Start the batch as mapped and do what the worker does."""
    async with app.state.db.tenant_session(kit.schema) as session:
        await imports.start(session, await actor(app, kit, who), batch.id)
    outcome = await runs.run_import(app.state.db, kit.schema, batch.id, **kw)
    assert outcome.startswith(("done", "failed")), outcome
    return await reload(app, kit, batch.id)


async def reload(app: Litestar, kit: TenantKit, batch_id: uuid.UUID) -> ImportBatch:
    async with app.state.db.tenant_session(kit.schema) as session:
        from app.kit.imports import repository

        found = await repository.get(session, batch_id)
        assert found is not None
        return found


async def import_file(
    app: Litestar, kit: TenantKit, who: str, data: bytes, name: str = "客户.csv", **options: Any
) -> ImportBatch:
    return await run(app, kit, who, await upload(app, kit, who, data, name, **options))
