"""The stage card on a customer's page: where the customer is in the tenant's lifecycle, a button
per allowed move (HTMX), the refusal shown in place, and the latest moves."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import CUSTOMERS_EDIT
from app.customers import service as customers
from app.customers.entity import SPEC
from app.customers.models import Customer
from app.domain import Actor, ValidationFailed, VersionConflict
from app.i18n import gettext as _
from app.i18n import locale_var
from app.workflows import service as workflows
from app.workflows.errors import GuardFailed, NotAllowedTransition, refusal_text
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData
from web.templating import fmt_datetime

HISTORY_SHOWN = 5


async def _card(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    actor: Actor,
    customer: Customer,
    *,
    problem: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    current = await workflows.current(db_session, SPEC.key)
    locale = locale_var.get()
    definition = current.definition
    here = definition.state(customer.status)
    moves = [
        (state.key, state.label_in(locale), state.category)
        for move in definition.moves_from(customer.status)
        if (state := definition.state(move.target)) is not None
    ]
    history = await workflows.stage_history(db_session, SPEC, customer.id)

    def label(key: str | None) -> str:
        state = definition.state(key)
        return state.label_in(locale) if state else (key or "—")

    ctx = {
        "customer": customer,
        "stage": here.label_in(locale) if here else customer.status,
        "category": here.category if here else "open",
        "moves": moves,
        "can_move": actor.can(CUSTOMERS_EDIT) and customer.deleted_at is None,
        "problem": problem,
        "history": [
            {
                "from": label(h.from_state),
                "to": label(h.to_state),
                "who": h.actor_label.split(" <", 1)[0],
                "at": fmt_datetime(h.at),
                "note": h.note,
            }
            for h in history[:HISTORY_SHOWN]
        ],
        "more": max(0, len(history) - HISTORY_SHOWN),
    }
    return Template("workflows/_customer_stage.html", context=ctx, status_code=status, headers=headers or {})


class CustomerStageController(Controller):
    path = "/customers/{customer_id:uuid}/stage"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="CustomerStageCard", name="customers.stage")
    async def card(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, customer_id: uuid.UUID
    ) -> Template:
        """The stage card (loaded into the customer's page)."""
        customer = await customers.get_customer(db_session, actor, customer_id)
        return await _card(request, db_session, actor, customer)

    @post("/", operation_id="MoveCustomerStage", name="customers.move_stage")
    async def move(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        actor: Actor,
        customer_id: uuid.UUID,
        data: FormData,
    ) -> Template:
        """Move the customer to the chosen stage; a refusal says why, in the card."""
        version = int(data["version"]) if (data.get("version") or "").isdigit() else -1
        note = (data.get("note") or "").strip() or None
        try:
            moved = await customers.transition_customer(
                db_session, actor, customer_id, data.get("to") or "", version, note
            )
        except (NotAllowedTransition, GuardFailed, ValidationFailed, VersionConflict) as exc:
            await db_session.rollback()
            if isinstance(exc, NotAllowedTransition | GuardFailed):
                problem = refusal_text(exc)
            elif isinstance(exc, VersionConflict):
                problem = _("%(who)s changed this customer at %(when)s; the page now shows the latest.") % {
                    "who": exc.changed_by or _("Someone"),
                    "when": fmt_datetime(exc.changed_at),
                }
            else:
                problem = "; ".join(e.message for e in exc.errors)
            current = await customers.get_customer(db_session, actor, customer_id)
            return await _card(request, db_session, actor, current, problem=problem, status=422)
        target = (await workflows.current(db_session, SPEC.key)).definition.state(moved.status)
        stage = target.label_in(locale_var.get()) if target else moved.status
        toast = _("Moved to %(stage)s.") % {"stage": stage}
        # The page reloads its details (stage, version); the card comes back with it.
        trigger = {"toast": toast, "customers-changed": str(moved.id)}
        return await _card(request, db_session, actor, moved, headers={"HX-Trigger": json.dumps(trigger)})
