"""Units: the appliances a customer owns, one per serial number (or a line of goods without one),
with where they came from and when their warranty ends. A child of the customer on the kit (its
section, routes, audit and timeline come from the declaration), registered by hand or by the
completion of a delivery (``register_delivered``, exactly once however often it is retried).

The warranty ends ``warranty months`` after the purchase: the product's own months, else its
category's 三包 baseline for the whole unit (app.reference's appliances data, copied into the
tenant's categories); no months known, no end date.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.audit import service as audit
from app.customers.models import Customer
from app.domain import Actor, FieldError, ValidationFailed
from app.events import service as events
from app.kit.enums import N_
from app.kit.fields import LOCAL_TZ, Choice, Day, Fields, Ref, Text
from app.kit.registry import EntitySpec, register
from app.kit.scope import ParentScope
from app.kit.service import EntityService, json_ready
from app.units import repository as repo
from app.units.fields import UnitStatus
from app.units.models import Unit
from app.workflows.actions import system_actor

SPEC = register(
    EntitySpec(
        key="unit",
        label=N_("Owned unit"),
        plural=N_("Owned units"),
        module="customers",
        model=Unit,
        fields={
            "customer_id": N_("Customer"),
            "product_id": N_("Product"),
            "serial_number": N_("Serial number"),
            "order_id": N_("Order"),
            "bought_on": N_("Bought on"),
            "delivered_on": N_("Delivered on"),
            "installed_on": N_("Installed on"),
            "installation_address": N_("Installation address"),
            "warranty_ends_on": N_("Warranty ends on"),
            "status": N_("Status"),
        },
        choices={"status": UnitStatus},
        errors={
            "unknown_product": N_("Choose a product from the catalog."),
            "unknown_order": N_("Choose an order of this customer."),
            "serial_in_use": N_("A unit with this serial number is already in use."),
            "before_purchase": N_("This date is before the purchase."),
        },
        actions={"register": N_("Registered on delivery"), "install": N_("Installed")},
        page="/customers/{customer_id}#units",
        staff_fields=(),
        parent="customer",
        parent_field="customer_id",
        slug="units",
        section_order=30,
        title=lambda unit: unit.serial_number or str(unit.id)[:8],
    )
)


def months_after(day: date, months: int) -> date:
    """``day`` ``months`` later (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


class UnitService(EntityService[Unit]):
    spec = SPEC
    model = Unit
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "product_id": Ref(required=True),
            "serial_number": Text(max_length=64),
            "order_id": Ref(),
            "bought_on": Day(required=True, past_only=True),
            "delivered_on": Day(past_only=True),
            "installed_on": Day(past_only=True),
            "installation_address": Text(max_length=300),
            "warranty_ends_on": Day(),
            "status": Choice(enum=UnitStatus),
        }
    )
    scope = ParentScope(Customer, "customer_id", "customer")
    create_only = ("customer_id",)
    section_order_by = ("-bought_on", "created_at")

    async def before_create(self, values: dict[str, Any]) -> None:
        values["status"] = values.get("status") or UnitStatus.IN_USE.value
        await self._check(values, None)

    async def before_update(self, record: Unit, values: dict[str, Any]) -> None:
        merged = {name: getattr(record, name) for name in self.fields.types}
        merged.update(values)
        merged["customer_id"] = record.customer_id
        await self._check(merged, record)
        values.update({k: merged[k] for k in ("warranty_ends_on", "status") if k in merged})

    async def _check(self, values: dict[str, Any], record: Unit | None) -> None:
        errors: list[FieldError] = []
        product = (
            await repo.live_product(self.session, values["product_id"]) if values.get("product_id") else None
        )
        if product is None:
            errors.append(FieldError("product_id", "unknown_product", "is not a product of the catalog"))
        order_id = values.get("order_id")
        if order_id is not None:
            order = await repo.order(self.session, order_id)
            if order is None or order.customer_id != values["customer_id"] or order.deleted_at is not None:
                errors.append(FieldError("order_id", "unknown_order", "is not an order of this customer"))
        bought = values.get("bought_on")
        for name in ("delivered_on", "installed_on", "warranty_ends_on"):
            if bought and values.get(name) and values[name] < bought:
                errors.append(FieldError(name, "before_purchase", "is before the purchase"))
        serial, status = values.get("serial_number"), values.get("status") or UnitStatus.IN_USE.value
        if product is not None and serial and status == UnitStatus.IN_USE.value:
            taken = await repo.in_use_with_serial(
                self.session, product.id, serial, record.id if record is not None else None
            )
            if taken is not None:
                errors.append(FieldError("serial_number", "serial_in_use", "is in use at a customer already"))
        if errors:
            raise ValidationFailed(errors)
        if not values.get("warranty_ends_on") and bought and product is not None:
            months = (await repo.warranty_months(self.session, [product.id])).get(product.id)
            values["warranty_ends_on"] = months_after(bought, months) if months else None

    async def options(self, name: str, parent_id: Any) -> list[tuple[str, str]] | None:
        if name == "product_id":
            choices = await repo.product_choices(self.session)
            return [(str(pid), f"{label} {model}" if model else label) for pid, label, model in choices]
        if name == "order_id":
            return [(str(oid), number) for oid, number in await repo.customer_orders(self.session, parent_id)]
        return None

    async def by_serial(self, serial: str) -> list[Unit]:
        """The visible units with this serial number, the one in use first, newest first."""
        self.require("read")
        query = await self.visible(
            select(Unit).where(Unit.serial_number == serial.strip(), Unit.deleted_at.is_(None))
        )
        order = ((Unit.status == UnitStatus.IN_USE.value).desc(), Unit.created_at.desc())
        return list((await self.session.scalars(query.order_by(*order))).all())


async def register_delivered(
    session: Any, actor: Actor, *, order_id: uuid.UUID, kind: str, done_on: date, address: str
) -> list[Unit]:
    """A visit of ``order_id`` done on ``done_on``: each serial number the order shipped becomes a
    unit of its customer (once: a retried completion adds nothing), and an installation marks the
    order's units installed. Runs in the visit's transaction, as the system on the actor's behalf
    (a technician registers units of a customer they may not otherwise see); audited per unit."""
    order = await repo.order(session, order_id)
    if order is None:
        return []
    installs = kind in ("installation", "both")
    bought = local_day(order.created_at)
    lines = await repo.serial_lines(session, order_id)
    months = await repo.warranty_months(
        session, sorted({line.product_id for line, _ in lines if line.product_id})
    )
    rows: list[dict[str, Any]] = []
    for line, tracked in lines:
        if not tracked or line.product_id is None:
            continue
        span = months.get(line.product_id)
        for serial in line.serial_numbers or []:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "customer_id": order.customer_id,
                    "product_id": line.product_id,
                    "serial_number": serial,
                    "order_id": order.id,
                    "order_line_id": line.id,
                    "bought_on": bought,
                    "delivered_on": done_on,
                    "installed_on": done_on if installs else None,
                    "installation_address": address or None,
                    "warranty_ends_on": months_after(bought, span) if span else None,
                    "status": UnitStatus.IN_USE.value,
                    "custom": {},
                    "version": 1,
                    "created_by": actor.user_id,
                    "updated_by": actor.user_id,
                }
            )
    system = system_actor(actor, "booking→done unit.register")
    added = await repo.insert_new(session, rows)
    for unit in added:
        audit.record(
            session,
            system,
            entity="unit",
            entity_id=unit.id,
            action="register",
            before=None,
            after=_snapshot(unit),
        )
        events.emit(session, "unit.created", {"id": str(unit.id), "order_id": str(order.id)})
    if installs:
        for unit in await repo.mark_installed(session, order.id, done_on, address):
            audit.record(
                session,
                system,
                entity="unit",
                entity_id=unit.id,
                action="install",
                before={"installed_on": None},
                after={"installed_on": done_on.isoformat()},
            )
    return added


def _snapshot(unit: Unit) -> dict[str, Any]:
    names = (
        "customer_id",
        "product_id",
        "serial_number",
        "order_id",
        "bought_on",
        "delivered_on",
        "installed_on",
        "installation_address",
        "warranty_ends_on",
        "status",
    )
    return {name: json_ready(getattr(unit, name)) for name in names} | {"version": unit.version}
