"""Customers' batch actions (app.batches): assign owner, add or remove tags, move stage, delete,
on ticked customers or on every customer matching the list's filter."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.batches.service import ACTIONS, BatchTarget, register_target
from app.customers import repository as repo
from app.customers.entity import SPEC
from app.customers.fields import LIMITS
from app.customers.filters import CUSTOMER_FILTERS
from app.customers.models import Customer
from app.customers.repository import CustomerFilter
from app.customers.service import ENTITY, CustomerService
from app.customfields import service as custom_fields
from app.domain import Actor, ValidationFailed
from app.kit.service import EntityService


async def matching_ids(
    session: AsyncSession, actor: Actor, filters: CustomerFilter, limit: int
) -> list[uuid.UUID]:
    """The ids of the customers the actor's list shows for ``filters`` (their scope, live or in the
    recycle bin as the filter says), oldest first, at most ``limit``."""
    service = CustomerService(session, actor)
    service.require("read")
    errors = list(CUSTOMER_FILTERS.parse(vars(filters)).errors)
    if filters.custom:
        conditions, problems = custom_fields.resolve_filters(
            await custom_fields.active_definitions(session, ENTITY), filters.custom
        )
        errors.extend(problems)
        filters = replace(filters, custom=conditions)
    if errors:
        raise ValidationFailed(
            [replace(e, field=f"filter.{e.field}".replace("filter.filter.", "filter.")) for e in errors]
        )
    query: Any = (
        repo._filtered(filters, await service.owners())
        .with_only_columns(Customer.id)
        .order_by(Customer.created_at, Customer.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def check_owner(service: EntityService[Any], owner_id: uuid.UUID) -> None:
    """Who may receive customers: an active staff member within the actor's scope (the service's rule)."""
    assert isinstance(service, CustomerService)
    await service._check_owner(owner_id)


TARGET = register_target(
    BatchTarget(
        spec=SPEC,
        service=CustomerService,
        actions=ACTIONS,
        matching=matching_ids,
        tag_field="tags",
        tag_max_length=LIMITS["tag"],
        check_owner=check_owner,
    )
)
