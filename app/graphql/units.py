"""Units customers own, as the API shows them: ``unitBySerial(serial:)`` (which customer has this
serial number, bought when, under warranty until) and ``customerUnits(customerId:)``. Read through
the units service (app/units): its permission and the customer's data scope apply."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.graphql.context import GraphQLContext
from app.graphql.kit import graphql_enum, query, record_id
from app.units.fields import UnitStatus as UnitStatusEnum
from app.units.service import UnitService

KitInfo = Info[GraphQLContext, None]
UnitStatus = graphql_enum(UnitStatusEnum, "Whether the customer still uses the unit.")


@strawberry.type(description="An appliance a customer owns: registered on delivery or by hand.")
class Unit:
    id: strawberry.ID
    customer_id: strawberry.ID
    product_id: strawberry.ID
    serial_number: str | None = strawberry.field(description="Empty for goods sold without serial numbers.")
    order_id: strawberry.ID | None
    bought_on: date
    delivered_on: date | None
    installed_on: date | None
    installation_address: str | None
    warranty_ends_on: date | None = strawberry.field(
        description="The product's warranty months after the purchase, else its category's 三包 baseline."
    )
    status: UnitStatus  # type: ignore[valid-type]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, r: Any) -> Unit:
        return cls(
            id=strawberry.ID(str(r.id)),
            customer_id=strawberry.ID(str(r.customer_id)),
            product_id=strawberry.ID(str(r.product_id)),
            serial_number=r.serial_number,
            order_id=strawberry.ID(str(r.order_id)) if r.order_id else None,
            bought_on=r.bought_on,
            delivered_on=r.delivered_on,
            installed_on=r.installed_on,
            installation_address=r.installation_address,
            warranty_ends_on=r.warranty_ends_on,
            status=UnitStatus(r.status),
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


@strawberry.type
class UnitQueries:
    @strawberry.field(
        description="The units with this serial number among the customers you can see, the one in use first."
    )
    async def unit_by_serial(self, info: KitInfo, serial: str) -> list[Unit]:
        found = await query(info, lambda s, a: UnitService(s, a).by_serial(serial[:64]))
        return [Unit.from_model(u) for u in found]

    @strawberry.field(
        description="A customer's units, newest purchase first (empty for a customer you cannot see)."
    )
    async def customer_units(self, info: KitInfo, customer_id: strawberry.ID) -> list[Unit]:
        async def load(session: Any, actor: Any) -> list[Any]:
            parent: uuid.UUID = record_id(customer_id, "customer")
            return await UnitService(session, actor).for_parent(parent)

        return [Unit.from_model(u) for u in await query(info, load)]
