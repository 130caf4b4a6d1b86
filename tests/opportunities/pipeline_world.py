"""A shop with a pipeline for the opportunity stories: 张伟 (sales, 门店一组) works his customer 赵敏
and 王芳 (same team) hers; 李娜 (门店二组) hers; 刘洋 manages 门店一组. Two products with list prices:
a 海尔 fridge (¥5,999) and a 美的 air conditioner (¥3,299)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.catalog.service import ProductService
from app.customers.service import CustomerService
from app.opportunities.contracts import ContractService
from app.opportunities.forecast import SalesTargets
from app.opportunities.service import OpportunityService

_mobiles = itertools.count(13900000001)


@dataclass
class Pipeline:
    kit: TenantKit
    fridge: uuid.UUID
    aircon: uuid.UUID
    customers: dict[str, uuid.UUID]  # person key → that person's customer


async def open_pipeline(app: Litestar, kit: TenantKit) -> Pipeline:
    manager = await actor(app, kit, "manager_a")
    async with app.state.db.tenant_session(kit.schema) as session:
        products = ProductService(session, manager)
        fridge = await products.create(
            {"sku": "HR-BCD-470", "name": "海尔十字门冰箱", "list_price": "5999.00"}
        )
        aircon = await products.create({"sku": "MD-KFR-35", "name": "美的空调挂机", "list_price": "3299.00"})
        customers = {}
        for key, name in (("sales_a", "赵敏"), ("sales_a2", "钱多多"), ("sales_b", "孙悦")):
            who = await actor(app, kit, key)
            customer = await CustomerService(session, who).create(
                {"name": name, "mobile": str(next(_mobiles))}
            )
            customers[key] = customer.id
    return Pipeline(kit, fridge.id, aircon.id, customers)


async def deals(app: Litestar, kit: TenantKit, who: str) -> OpportunityService:
    """An opportunity service on its own session (close it with ``await s.session.close()``)."""
    return OpportunityService(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


async def contracts(app: Litestar, kit: TenantKit, who: str) -> ContractService:
    return ContractService(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


async def targets(app: Litestar, kit: TenantKit, who: str) -> SalesTargets:
    return SalesTargets(app.state.db.tenant_session(kit.schema), await actor(app, kit, who))


def deal(world: Pipeline, who: str = "sales_a", **extra: Any) -> dict[str, Any]:
    return {"name": "新房全屋家电", "customer_id": world.customers[who], **extra}


def codes(exc: Any) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.errors]
