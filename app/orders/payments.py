"""Payments (回款): an order's payment plan (deposit, instalments, balance with due dates), the money
received by method, and what each customer still owes.

A payment never takes an order past what it owes unless it is marked as an overpayment; the order's
``paid`` moves in the same transaction as the payment row, under the order's row lock, so two
cashiers recording the last instalment at once cannot both take it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor
from app.events import service as events
from app.kit.fields import Choice, Day, Errors, Flag, Text
from app.kit.numbers import Money
from app.kit.service import unit_of_work
from app.orders import repository as repo
from app.orders.fields import PaymentMethod, PlanKind
from app.orders.models import Order, Payment, PaymentPlanLine
from app.orders.service import OrderService
from app.workflows import service as workflows
from app.workflows.definition import StateCategory

MAX_PLAN_LINES = 24


@dataclass(frozen=True)
class Receivable:
    customer_id: uuid.UUID
    customer_name: str
    total: Decimal
    paid: Decimal
    overdue: Decimal
    orders: int

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid


class PaymentService:
    """Payments against orders, for one actor on one session (the order's scope applies)."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.orders = OrderService(session, actor)

    async def _takes_payments(self, order: Order) -> bool:
        workflow = await workflows.current(self.session, self.orders.spec.key)
        state = workflow.definition.state(order.status)
        return state is not None and state.category != StateCategory.CANCELLED

    def _touch(self, order: Order) -> None:
        order.version += 1
        order.updated_at = datetime.now(UTC)
        order.updated_by = self.actor.user_id

    async def record_payment(self, order_id: uuid.UUID, raw: Mapping[str, Any]) -> Payment:
        """Money received against an order: amount, method, day received, reference, overpayment."""
        self.orders.require("edit")
        async with unit_of_work(self.session):
            order: Any = await self.orders._load(order_id, for_update=True)
            errors = Errors()
            amount = Money(required=True).clean(errors, "amount", raw.get("amount"))
            if amount is not None and amount <= 0:
                errors.add("amount", "out_of_range", "must be more than 0")
            method = Choice(required=True, enum=PaymentMethod).clean(errors, "method", raw.get("method"))
            received = Day(required=True, past_only=True).clean(
                errors, "received_on", raw.get("received_on") or date.today()
            )
            reference = Text(max_length=64).clean(errors, "reference", raw.get("reference"))
            note = Text(max_length=200).clean(errors, "note", raw.get("note"))
            over = Flag().clean(errors, "overpayment", raw.get("overpayment"))
            if order.deleted_at is not None or not await self._takes_payments(order):
                errors.add("order_id", "nothing_owed", "a cancelled or returned order takes no payments")
            elif amount is not None and amount > 0 and amount > order.total - order.paid and not over:
                owed = order.total - order.paid
                errors.add("amount", "overpayment", f"the order owes {owed}; mark it as an overpayment")
            errors.raise_if_any()
            assert amount is not None and method is not None and received is not None
            payment = Payment(
                order_id=order.id,
                customer_id=order.customer_id,
                amount=amount,
                method=method,
                received_on=received,
                reference=reference,
                overpayment=bool(over and amount > order.total - order.paid),
                note=note,
                created_by=self.actor.user_id,
            )
            self.session.add(payment)
            before = {"paid": str(order.paid), "version": order.version}
            order.paid = order.paid + amount
            self._touch(order)
            await self.session.flush()
            self.orders._audit(
                order,
                "payment",
                before,
                {
                    "paid": str(order.paid),
                    "amount": str(amount),
                    "method": method,
                    "received_on": received.isoformat(),
                    "overpayment": payment.overpayment,
                    "version": order.version,
                },
            )
            events.emit(
                self.session,
                "order.payment_recorded",
                {"id": str(order.id), "payment_id": str(payment.id), "amount": str(amount)},
            )
        return payment

    async def set_plan(self, order_id: uuid.UUID, version: int, raw_lines: Any) -> list[PaymentPlanLine]:
        """Replace an order's payment plan, given the version the caller read; the plan's amounts
        add up to the order total."""
        self.orders.require("edit")
        async with unit_of_work(self.session):
            order: Any = await self.orders._load(order_id, for_update=True)
            await self.orders._check_version(order, version)
            errors = Errors()
            if not isinstance(raw_lines, list | tuple) or not raw_lines:
                errors.add("plan", "required", "a plan needs at least one line")
                raw_lines = []
            elif len(raw_lines) > MAX_PLAN_LINES:
                errors.add("plan", "too_many", f"at most {MAX_PLAN_LINES} lines")
                raw_lines = []
            rows: list[PaymentPlanLine] = []
            for i, raw in enumerate(raw_lines):
                if not isinstance(raw, Mapping):
                    errors.add(f"plan.{i}", "invalid", "must be an object")
                    continue
                kind = Choice(required=True, enum=PlanKind).clean(errors, f"plan.{i}.kind", raw.get("kind"))
                due = Day(required=True).clean(errors, f"plan.{i}.due_on", raw.get("due_on"))
                amount = Money(required=True).clean(errors, f"plan.{i}.amount", raw.get("amount"))
                if amount is not None and amount <= 0:
                    errors.add(f"plan.{i}.amount", "out_of_range", "must be more than 0")
                if kind and due and amount:
                    rows.append(
                        PaymentPlanLine(order_id=order.id, position=i, kind=kind, due_on=due, amount=amount)
                    )
            if not errors.items and sum((r.amount for r in rows), Decimal(0)) != order.total:
                errors.add("plan", "plan_total", f"the plan must add up to the order total {order.total}")
            errors.raise_if_any()
            before = [
                [p.kind, p.due_on.isoformat(), str(p.amount)]
                for p in await repo.plan_of(self.session, order.id)
            ]
            await repo.replace_plan(self.session, order.id, rows)
            self._touch(order)
            after = [[p.kind, p.due_on.isoformat(), str(p.amount)] for p in rows]
            self.orders._audit(order, "plan", {"plan": before}, {"plan": after, "version": order.version})
        return rows

    async def plan(self, order_id: uuid.UUID) -> list[PaymentPlanLine]:
        await self.orders.get(order_id)
        return await repo.plan_of(self.session, order_id)

    async def payments(self, order_id: uuid.UUID) -> list[Payment]:
        await self.orders.get(order_id)
        return await repo.payments_of(self.session, order_id)

    async def receivables(self, today: date | None = None) -> list[Receivable]:
        """What each customer owes on orders approved and not cancelled or returned (the actor's
        scope), with what is overdue by the payment plans, the largest balance first."""
        self.orders.require("read")
        workflow = await workflows.current(self.session, self.orders.spec.key)
        first = workflow.definition.initial.key
        states = [
            s.key
            for s in workflow.definition.states
            if s.category != StateCategory.CANCELLED and s.key not in (first, "submitted")
        ]
        rows = await repo.receivables(self.session, await self.orders.owners(), states, today or date.today())
        return [Receivable(*row) for row in rows]


def owed(order: Order) -> Decimal:
    return max(order.total - order.paid, Decimal("0.00"))
