"""Customers as a file from Excel or another CRM brings them: the header names each field goes
by (the kit's importer, ``app.kit.imports``, does the rest through ``CustomerService``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.customers import repository as repo
from app.customers.entity import ENTITY
from app.kit.enums import N_
from app.kit.fields import normalize_mobile
from app.kit.imports.spec import ImportSpec, register_import


def _prepare(raw: dict[str, Any]) -> None:
    """A customer has one mobile field: a landline column (电话) fills it when it holds a mobile and
    the mobile column is empty; otherwise the number is kept in the notes, not lost."""
    phone = raw.pop("phone", None)
    if not phone:
        return
    if not raw.get("mobile") and normalize_mobile(str(phone)):
        raw["mobile"] = phone
        return
    note = f"电话：{phone}"
    raw["notes"] = f"{raw['notes']}\n{note}" if raw.get("notes") else note


async def _tags(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found = await repo.tags_by_customer(session, list(ids))
    return {cid: [t.name for t in tags] for cid, tags in found.items()}


async def _put_tags_back(session: AsyncSession, customer_id: uuid.UUID, tags: list[str] | None) -> None:
    await repo.replace_tags(session, customer_id, tags or [])


CUSTOMER_IMPORT = register_import(
    ImportSpec(
        entity=ENTITY,
        aliases={
            "name": (
                "姓名",
                "客户名称",
                "客户姓名",
                "客户",
                "名称",
                "name",
                "customer",
                "customer name",
                "full name",
            ),
            "kind": ("类型", "客户类型", "type", "customer type"),
            "gender": ("性别", "gender", "sex"),
            "mobile": (
                "手机",
                "手机号码",
                "手机号",
                "联系电话",
                "移动电话",
                "mobile",
                "mobile phone",
                "cell",
                "cellphone",
            ),
            "phone": ("电话", "座机", "固定电话", "phone", "telephone", "landline"),
            "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
            "province": ("省", "省份", "所在省", "province"),
            "city": ("市", "城市", "所在市", "city"),
            "district": ("区", "区县", "县区", "区/县", "district", "county"),
            "address_detail": ("详细地址", "地址", "街道地址", "address", "street address"),
            "birthday": ("生日", "出生日期", "birthday", "date of birth", "birth date"),
            "tags": ("标签", "客户标签", "tags", "tag"),
            "source": ("客户来源", "来源", "source", "lead source"),
            "tier": ("客户级别", "级别", "等级", "客户等级", "tier", "level", "grade"),
            "status": ("客户状态", "状态", "阶段", "status", "stage"),
            "owner_id": ("负责人", "所属销售", "销售", "业务员", "owner", "sales rep", "salesperson"),
            "notes": ("备注", "说明", "notes", "remark", "remarks", "comment"),
        },
        labels={"phone": N_("Landline")},
        match=("mobile",),
        prepare=_prepare,
        extra_state=(_tags, _put_tags_back),
        quota="customers",
        file_title="客户",
    )
)
