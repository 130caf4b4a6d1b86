"""Leads from a trade-show list through the kit's importer: headers recognised, each lead assigned
by the tenant's rules and marked as imported; a row without a way to reach the person is refused
with its reason, the others kept."""

from __future__ import annotations

import csv
import io

from crm_testkit import TenantKit, actor
from lead_world import mobile
from litestar import Litestar
from sqlalchemy import select

from app.kit.imports import run as runs
from app.kit.imports import service as imports
from app.leads.models import Lead


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


async def test_a_trade_show_list_becomes_leads(app: Litestar, tenant: TenantKit) -> None:
    data = _csv(
        [
            ["姓名", "手机号", "公司", "意向产品", "需求"],
            ["展会客户甲", mobile(), "甲公司", "空调", "三台柜机"],
            ["展会客户乙", mobile(), "", "冰箱", ""],
            ["没留电话的", "", "", "", ""],
        ]
    )
    wu = await actor(app, tenant, "marketing")
    async with app.state.db.tenant_session(tenant.schema) as session:
        batch = await imports.upload(session, wu, tenant.schema, "lead", "展会名单.csv", io.BytesIO(data))
        batch_id = batch.id
        await imports.start(session, wu, batch_id)
    outcome = await runs.run_import(app.state.db, tenant.schema, batch_id)
    assert outcome.startswith("done"), outcome
    async with app.state.db.tenant_session(tenant.schema) as session:
        leads = (await session.scalars(select(Lead).order_by(Lead.name))).all()
        assert sorted(lead.name for lead in leads) == ["展会客户乙", "展会客户甲"]
        assert {lead.source for lead in leads} == {"import"}
        # Marketing works no leads itself: each went to someone who does (no rules: fewest open leads).
        assert all(lead.owner_id is not None and lead.owner_id != wu.user_id for lead in leads)
        from app.kit.imports import repository

        done = await repository.get(session, batch_id)
        assert done is not None and (done.created_count, done.rejected_count) == (2, 1)
