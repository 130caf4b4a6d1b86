"""Helpers for the custom-field tests: fields defined by the tenant's owner through the service."""

from __future__ import annotations

from typing import Any

from crm_testkit import TenantKit, actor
from litestar import Litestar

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.customfields import service
from app.customfields.models import CustomFieldDefinition
from app.customfields.service import FieldDraft

SOURCE_OPTIONS = [
    {"value": "tmall", "label_zh": "天猫", "label_en": "Tmall", "color": "#ff5000"},
    {"value": "jd", "label_zh": "京东", "label_en": "JD"},
    {"value": "store", "label_zh": "门店", "label_en": "Store"},
]


async def define(
    app: Litestar, kit: TenantKit, by: str = "owner", entity: str = "customer", **draft: Any
) -> CustomFieldDefinition:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await service.define_field(session, await actor(app, kit, by), entity, FieldDraft(**draft))


async def update(
    app: Litestar, kit: TenantKit, field_id: Any, by: str = "owner", **draft: Any
) -> CustomFieldDefinition:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await service.update_field(session, await actor(app, kit, by), field_id, FieldDraft(**draft))


async def new_customer(app: Litestar, kit: TenantKit, by: str = "owner", **fields: Any) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, by), CustomerInput(**fields))


async def edit_customer(
    app: Litestar, kit: TenantKit, customer: Customer, by: str = "owner", **fields: Any
) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.update_customer(
            session, await actor(app, kit, by), customer.id, customer.version, CustomerInput(**fields)
        )


async def purchase_channel(app: Litestar, kit: TenantKit, **extra: Any) -> CustomFieldDefinition:
    """购买渠道: a filterable single choice (天猫 / 京东 / 门店)."""
    draft = {
        "key": "channel",
        "label_zh": "购买渠道",
        "label_en": "Channel",
        "type": "single_select",
        "options": SOURCE_OPTIONS,
        "filterable": True,
        "show_in_list": True,
        **extra,
    }
    return await define(app, kit, **draft)


def codes(exc: Any) -> dict[str, str]:
    """Field → code of a ValidationFailed."""
    return {e.field: e.code for e in exc.errors}
