"""The order pages: the list (search, stage), an order with its lines, its stage moves (the stock
moves with them) and its payments (回款), recorded from the page.

Thin: parse the query or form, call the order and payment services, render. A refused move or
payment shows the order again with the reason (422); nothing half-moved. New orders come from the
API (createOrder) for now.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed
from app.i18n import gettext as _
from app.orders.entity import ORDER, ORDERS_EDIT
from app.orders.fields import PaymentMethod, PlanKind
from app.orders.payments import PaymentService
from app.orders.service import OrderService, order_conditions
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, page
from web.kit.forms import messages


def _label(labels: dict[str, str], locale: Any) -> str:
    return labels.get(str(locale or "zh_CN")) or labels.get("zh_CN") or ""


class OrdersController(Controller):
    path = "/orders"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="OrderListPage", name="orders.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Orders the actor can see, newest first; search by number or invoice title, filter by stage."""
        q = (request.query_params.get("q") or "").strip()
        status = (request.query_params.get("status") or "").strip()
        after = request.query_params.get("after") or None
        service = OrderService(db_session, actor)
        stages = await service.stages()
        problems: list[str] = []
        if status and status not in {key for key, _labels in stages}:
            problems.append(_("Unknown stage; showing every stage."))
            status = ""
        try:
            found = await service.page(
                order_conditions(status=status or None, search=q), first=20, after=after
            )
        except ValidationFailed:
            problems.append(_("Nothing matches these filters."))
            found = await service.page(first=20)
        names = await service.names(found.items)
        state = request.scope.get("state", {})
        ctx = page(
            request,
            actor,
            nav="orders",
            q=q,
            status=status,
            orders=found,
            names=names,
            problems=problems,
            spec=ORDER,
            stages=[(key, _label(labels, state.get("locale"))) for key, labels in stages],
        )
        return Template("orders/list.html", context=ctx)

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
            lines=lines,
            names=await service.names([order], lines),
            plan=await payments.plan(order.id),
            payments=await payments.payments(order.id),
            moves=[(key, _label(labels, locale)) for key, labels in await service.moves(order)],
            stage=stages.get(order.status, order.status),
            can_edit=actor.can(ORDERS_EDIT),
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
