"""Leads as a file from a trade show, a purchased list or another CRM brings them: the header names
each field goes by (the kit's importer, ``app.kit.imports``, does the rest through ``LeadService``:
``/imports?entity=lead``). Imported leads are assigned by the tenant's rules like any other."""

from __future__ import annotations

from typing import Any

from app.kit.imports.spec import ImportSpec, register_import
from app.leads.entity import LEAD
from app.leads.fields import LeadSource


def _prepare(raw: dict[str, Any]) -> None:
    raw["source"] = LeadSource.IMPORT.value


LEAD_IMPORT = register_import(
    ImportSpec(
        entity=LEAD.key,
        aliases={
            "name": ("姓名", "客户姓名", "联系人", "名称", "name", "contact", "full name"),
            "mobile": ("手机", "手机号", "手机号码", "联系电话", "电话", "mobile", "phone", "cellphone"),
            "email": ("邮箱", "电子邮箱", "email", "e-mail"),
            "company": ("公司", "单位", "企业", "公司名称", "company", "organisation", "organization"),
            "province": ("省", "省份", "province"),
            "city": ("市", "城市", "city"),
            "district": ("区", "区县", "district", "county"),
            "product_category": ("意向产品", "产品", "品类", "感兴趣的产品", "product", "interest"),
            "message": ("留言", "需求", "备注", "message", "notes", "remarks"),
            "owner_id": ("负责人", "销售", "业务员", "owner", "salesperson"),
        },
        match=("mobile",),
        prepare=_prepare,
        file_title="线索",
    )
)
