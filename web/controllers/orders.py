"""The order pages: the list (search, stage), the order form (a customer picked, lines with the kit's
editor priced from the customer's price list, trade-ins, invoice details and a delivery address
defaulted from the customer, notes) for a new order and a draft's edits, an order with its lines,
its stage moves (the stock moves with them) and its payments (回款), recorded from the page.

Thin: parse the query or form, call the order and payment services, render. A refused save, move or
payment shows the page again with the reasons (422; a stale edit 409), everything typed kept;
nothing half-saved.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.inventory.service import WarehouseService
from app.kit.enums import N_
from app.kit.paging import Order
from app.orders.entity import ORDER, ORDERS_EDIT
from app.orders.fields import InvoiceType, PaymentMethod, PlanKind
from app.orders.filters import ORDER_FILTERS, OrderFilter, list_orders
from app.orders.lines import delivery_text
from app.orders.payments import PaymentService
from app.orders.service import OrderService
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import division_options, messages
from web.kit.lines import (
    LinesEditor,
    customer_options,
    customer_picker,
    form_lines,
    lines_input,
    product_picker,
    stored_rows,
)
from web.kit.lists import VIEW_ROW, Column, ListSpec, list_response, open_workflow_list

ORDER_FIELDS = (
    "customer_id", "warehouse_id", "invoice_type", "invoice_title", "invoice_tax_no", "delivery_province",
    "delivery_city", "delivery_district", "delivery_detail", "delivery_recipient", "delivery_phone", "note",
)  # fmt: skip
DELIVERY_FIELDS = tuple(name for name in ORDER_FIELDS if name.startswith("delivery_"))
ORDER_LIST = ListSpec(
    entity=ORDER,
    path="/orders",
    filters=ORDER_FILTERS,
    columns=(
        Column("number", N_("Order number"), title=True, cls="mono"),
        Column("customer_id", N_("Customer")),
        Column("status", N_("Order status")),
        Column("total", N_("Order total"), sort="total", cls="num"),
        Column("paid", N_("Paid"), wide_only=True, cls="num"),
        Column("stock", N_("Stock"), wide_only=True),
        Column("created_at", N_("Created"), sort="created_at", wide_only=True, cls="muted"),
    ),
    sorts={"created_at": N_("Created"), "updated_at": N_("Updated"), "total": N_("Order total")},
    ascending=(),
    actions=(VIEW_ROW,),
    bulk=(),
    views=False,
    new_label=N_("New order"),
    new_in_drawer=False,
    empty_label=N_("No orders yet."),
    row_prefix="order",
    search_hint=N_("Order number, invoice title or note"),
)
EDITOR = LinesEditor(
    "order", "/orders/lines", "/orders/pick/products", N_("Order total"), reprice_on="#f-customer_id"
)


def _STALE() -> str:  # noqa: N802 (reads like the message it is)
    return _("Someone else saved this order after you opened it; reload to see their changes.")


def order_input(data: dict[str, str]) -> dict[str, Any]:
    """The form as typed: the order's fields and the editor's rows."""
    values: dict[str, Any] = {k: str(data.get(k) or "").strip() for k in ORDER_FIELDS if k in data}
    if "delivery_address_id" in data:  # the "fill from the customer's address" select
        values["delivery_address_id"] = str(data.get("delivery_address_id") or "").strip()
    values["rows"] = form_lines(data)
    return values


def service_input(values: dict[str, Any], *, editing: bool = False) -> dict[str, Any]:
    """The form's values as the order service takes them, rows as lines. A new order leaves empty
    fields out (the service's defaults apply, a missing required one is named); an edit sends what
    the form shows, so a cleared title or note is cleared."""
    found: dict[str, Any] = {}
    for name in ORDER_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if value or (editing and name != "invoice_type") or name in DELIVERY_FIELDS:
            found[name] = value
    found["lines"] = lines_input(values.get("rows") or [])
    return found


def _label(labels: dict[str, str], locale: Any) -> str:
    return labels.get(str(locale or "zh_CN")) or labels.get("zh_CN") or ""


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


class OrdersController(Controller):
    path = "/orders"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="OrderListPage", name="orders.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Orders the actor can see on the list kit, newest first: search by number, invoice title or
        note, filter by stage; sortable by creation, update and total; paged both ways."""
        service = OrderService(db_session, actor)

        async def fetch(filters: OrderFilter, **paging: Any) -> Any:
            return await list_orders(db_session, actor, filters, **paging)

        view = await open_workflow_list(request, db_session, actor, ORDER_LIST, OrderFilter, fetch, "status")
        stages = dict(view.options["status"])
        view.names = await service.names(view.rows)
        ctx = page(request, actor, nav="orders", spec=ORDER, stages=stages)
        return list_response(request, view, "orders/list.html", "orders/_results.html", ctx)

    # -- the form ---------------------------------------------------------------------------------

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        *,
        values: dict[str, Any],
        record: Any = None,
        errors: dict[str, str] | None = None,
        conflict: str | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OrderService(db_session, actor)
        warehouses = await WarehouseService(db_session, actor).page(
            order=Order("code", descending=False), first=100
        )
        ctx = page(
            request,
            actor,
            nav="orders",
            record=record,
            values=values,
            errors=errors or {},
            conflict=conflict,
            customers=await customer_options(db_session, actor, chosen=str(values.get("customer_id") or "")),
            warehouses=[(str(w.id), w.name) for w in warehouses.items],
            invoice_types=InvoiceType.labels(),
            **await self._customer_part(service, values),
            **await self._editor(db_session, actor, service, values),
        )
        return Template("orders/form.html", context=ctx, status_code=status_code)

    async def _customer_part(self, service: OrderService, values: dict[str, Any]) -> dict[str, Any]:
        """The chosen customer's addresses; their invoice details fill what is still empty, and the
        delivery address starts as their first (default) address, or the one picked to fill it."""
        customer_id = _uuid(str(values.get("customer_id") or ""))
        found: dict[str, Any] = {"addresses": [], **division_options(values, "delivery_")}
        if customer_id is None:
            return found
        defaults = await service.customer_defaults(customer_id)
        if not values.get("invoice_title") and not values.get("invoice_tax_no"):
            values.update(invoice_title=defaults.invoice_title, invoice_tax_no=defaults.invoice_tax_no)
            if defaults.invoice_type != InvoiceType.NONE or not values.get("invoice_type"):
                values["invoice_type"] = defaults.invoice_type
        picked = str(values.pop("delivery_address_id", "") or "")
        if picked not in defaults.delivery and not any(values.get(n) for n in DELIVERY_FIELDS):
            picked = defaults.addresses[0][0] if defaults.addresses else ""
        if picked in defaults.delivery:
            values.update(defaults.delivery[picked])
        return {**found, **division_options(values, "delivery_"), "addresses": defaults.addresses}

    async def _editor(
        self, db_session: AsyncSession, actor: Actor, service: OrderService, values: dict[str, Any]
    ) -> dict[str, Any]:
        """The lines editor's context: rows as typed, priced for the chosen customer."""
        rows = list(values.get("rows") or [])
        preview = None
        if rows:
            preview = await service.preview(service_input(values))
        return await EDITOR.context(db_session, actor, ORDER, rows, preview)

    @get("/new", operation_id="NewOrderForm", name="orders.new")
    async def new_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """An empty order (a customer given as ?customer_id= is chosen, with their invoice details
        and addresses) with one blank line."""
        OrderService(db_session, actor).require("create")
        customer = (request.query_params.get("customer_id") or "").strip()
        values: dict[str, Any] = {"customer_id": customer, "rows": EDITOR.blank()}
        return await self._form(request, db_session, actor, values=values)

    @post("/lines", operation_id="OrderLinesEditor", name="orders.lines")
    async def lines_editor(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """The lines editor again (HTMX): a line or trade-in added or removed, prices and totals
        recomputed for the chosen customer."""
        service = OrderService(db_session, actor)
        service.require("read")
        values = order_input(data)
        values["rows"] = EDITOR.edited(request, values["rows"])
        ctx = page(request, actor, values=values, **await self._editor(db_session, actor, service, values))
        return Template("kit/_lines.html", context=ctx)

    @post("/customer", operation_id="OrderCustomerDetails", name="orders.customer")
    async def customer_details(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """The invoice and delivery part of the form for the chosen customer (HTMX): their addresses,
        and their invoice details where nothing was typed yet."""
        service = OrderService(db_session, actor)
        service.require("read")
        values = order_input(data)
        if data.get("customer_changed"):  # the new customer's default address, not the old one's
            values.pop("delivery_address_id", None)
            for name in DELIVERY_FIELDS:
                values.pop(name, None)
        ctx = page(
            request,
            actor,
            values=values,
            errors={},
            invoice_types=InvoiceType.labels(),
            **await self._customer_part(service, values),
        )
        return Template("orders/_customer_part.html", context=ctx)

    @get("/pick/customers", operation_id="OrderCustomerOptions", name="orders.pick_customers")
    async def pick_customers(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Customers the actor can see matching ``q``, as the options of the customer select."""
        return await customer_picker(request, db_session, actor)

    @get("/pick/products", operation_id="OrderProductOptions", name="orders.pick_products")
    async def pick_products(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Products matching what a line's search box holds, as that line's product options."""
        OrderService(db_session, actor).require("read")
        return await product_picker(request, db_session, actor)

    @post("/", operation_id="CreateOrderPage", name="orders.create")
    async def create(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save a new order (in the workflow's first stage) and show it."""
        values = order_input(data)
        try:
            record = await OrderService(db_session, actor).create(service_input(values))
        except ValidationFailed as exc:
            return await self._form(
                request, db_session, actor, values=values, errors=messages(ORDER, exc), status_code=422
            )
        return Redirect(f"/orders/{record.id}", status_code=303)

    @get("/{order_id:uuid}/edit", operation_id="EditOrderForm", name="orders.edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, order_id: uuid.UUID
    ) -> Template:
        """The order's form with its lines, at the version it was opened."""
        service = OrderService(db_session, actor)
        service.require("edit")
        record = await service.get(order_id)
        lines = (await service.lines([record.id]))[record.id]
        values: dict[str, Any] = {
            "customer_id": str(record.customer_id),
            "warehouse_id": str(record.warehouse_id),
            "invoice_type": record.invoice_type,
            "invoice_title": record.invoice_title or "",
            "invoice_tax_no": record.invoice_tax_no or "",
            **{name: getattr(record, name) or "" for name in DELIVERY_FIELDS},
            "note": record.note or "",
            "version": str(record.version),
            "rows": stored_rows(lines),
        }
        return await self._form(
            request, db_session, actor, values=values, record=record, **await self._draft(service, record)
        )

    async def _draft(self, service: OrderService, record: Any) -> dict[str, Any]:
        """A note for an order past its draft: its lines no longer change."""
        if not await service.editable(record):
            return {"errors": {"lines": _(ORDER.errors["not_editable"])}}
        return {}

    @post("/{order_id:uuid}", operation_id="UpdateOrderPage", name="orders.update")
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        order_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Save the order's changes against the version the form was opened at; a stale form says so
        and keeps what was typed."""
        service = OrderService(db_session, actor)
        values = order_input(data)
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await service.update(order_id, version, service_input(values, editing=True))
        except (ValidationFailed, VersionConflict) as exc:
            # Shown again as typed: a stale form says so (409), refused fields say why (422).
            record = await OrderService(db_session, actor).get(order_id)
            values["version"] = str(version)
            stale = isinstance(exc, VersionConflict)
            return await self._form(
                request,
                db_session,
                actor,
                values=values,
                record=record,
                conflict=_STALE() if stale else None,
                errors=messages(ORDER, exc) if isinstance(exc, ValidationFailed) else None,
                status_code=409 if stale else 422,
            )
        return Redirect(f"/orders/{order_id}", status_code=303)

    # -- one order --------------------------------------------------------------------------------

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        order_id: uuid.UUID,
        *,
        problem: str | None = None,
        payment_errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        service = OrderService(db_session, actor)
        order = await service.get(order_id)
        lines = (await service.lines([order.id]))[order.id]
        payments = PaymentService(db_session, actor)
        locale = request.scope.get("state", {}).get("locale")
        stages = dict((key, _label(labels, locale)) for key, labels in await service.stages())
        ctx = page(
            request,
            actor,
            nav="orders",
            o=order,
            delivery=delivery_text(order),
            lines=lines,
            names=await service.names([order], lines),
            plan=await payments.plan(order.id),
            payments=await payments.payments(order.id),
            moves=[(key, _label(labels, locale)) for key, labels in await service.moves(order)],
            stage=stages.get(order.status, order.status),
            can_edit=actor.can(ORDERS_EDIT),
            can_contract=actor.can("contracts:create") and order.deleted_at is None,
            editable=await service.editable(order),
            methods=PaymentMethod.labels(),
            plan_kinds=PlanKind.labels(),
            spec=ORDER,
            problem=problem,
            payment_errors=payment_errors or {},
            form=form or {},
        )
        return Template("orders/detail.html", context=ctx, status_code=status_code)

    @get("/{order_id:uuid}", operation_id="OrderPage", name="orders.detail")
    async def detail(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, order_id: uuid.UUID
    ) -> Template:
        """One order: customer, lines (trade-ins negative), stock, stage moves, payment plan and payments."""
        return await self._detail(request, db_session, actor, order_id)

    @post("/{order_id:uuid}/move", operation_id="MoveOrder", name="orders.move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        order_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Move the order to another stage (approve, ship, cancel...), given the version the page showed."""
        try:
            version = int(data.get("version") or 0)
        except ValueError:
            version = 0
        try:
            await OrderService(db_session, actor).transition(
                order_id, str(data.get("to") or ""), version, (data.get("note") or "").strip() or None
            )
        except (NotAllowedTransition, GuardFailed) as exc:
            return await self._detail(
                request, db_session, actor, order_id, problem=refusal_text(exc), status_code=422
            )
        except ValidationFailed as exc:
            text = "；".join(dict.fromkeys(messages(ORDER, exc).values()))
            return await self._detail(request, db_session, actor, order_id, problem=text, status_code=422)
        return Redirect(f"/orders/{order_id}", status_code=303)

    @post("/{order_id:uuid}/payments", operation_id="RecordOrderPayment", name="orders.payment")
    async def record_payment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        order_id: uuid.UUID,
        data: FormData,
    ) -> Template | Redirect:
        """Record money received against the order (回款)."""
        fields = {
            k: data.get(k) for k in ("amount", "method", "received_on", "reference", "overpayment", "note")
        }
        try:
            await PaymentService(db_session, actor).record_payment(order_id, fields)
        except ValidationFailed as exc:
            return await self._detail(
                request,
                db_session,
                actor,
                order_id,
                payment_errors=messages(ORDER, exc),
                form={k: str(v or "") for k, v in fields.items()},
                status_code=422,
            )
        return Redirect(f"/orders/{order_id}", status_code=303)
