"""Contracts on the entity kit and their workflow (草拟 → 已签订 → 履行中 → 已到期 / 已终止).

Rules that are the contract's own: the customer must be one the actor can see, and the opportunity
or order it comes from must be that customer's; a contract cannot end before it starts; the
number is the dealer's own (unique among live contracts) or made up (HT-20261127-7F3A9C); a
contract is signed only once its signing date is known (the workflow's guard). A contract carries up
to ten files of 20 MB (``app.kit.attachments``, under the tenant's ``contracts`` folder). A new
contract may start from an opportunity or an order the actor can see: its customer and amount.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.domain import NotFound, ValidationFailed
from app.kit import attachments
from app.kit.attachments import AttachmentRule, Upload
from app.kit.conditions import search_conditions, state_condition
from app.kit.fields import LOCAL_TZ, Day, Errors, Fields, Ref, Text
from app.kit.numbers import Money
from app.kit.scope import OwnerScope
from app.kit.service import EntityService, json_ready
from app.opportunities import repository as repo
from app.opportunities.entity import CONTRACT
from app.opportunities.models import Contract, Opportunity
from app.orders.models import Order
from app.search.grams import build_document
from app.workflows import service as workflows

CONTRACT_FILES = attachments.declare(
    "contract", AttachmentRule(area="contracts", max_files=10, max_bytes=20 * 1024 * 1024)
)


def new_number() -> str:
    """HT-20261127-7F3A9C: the dealer's day (China time) and six random hex digits."""
    return f"HT-{datetime.now(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(3).upper()}"


class ContractService(EntityService[Contract]):
    spec = CONTRACT
    model = Contract
    fields = Fields(
        {
            "number": Text(max_length=40),
            "title": Text(required=True, max_length=120),
            "customer_id": Ref(required=True),
            "opportunity_id": Ref(),
            "order_id": Ref(),
            "amount": Money(required=True),
            "signed_on": Day(),
            "starts_on": Day(required=True),
            "ends_on": Day(),
            "note": Text(max_length=2000, multiline=True),
        }
    )
    scope = OwnerScope()
    sort_fields = ("created_at", "updated_at", "amount", "ends_on")

    def __init__(self, session: AsyncSession, actor: Any) -> None:
        super().__init__(session, actor)

    async def _check(self, values: dict[str, Any], record: Contract | None) -> None:
        errors = Errors()

        def now(name: str) -> Any:
            return values[name] if name in values else getattr(record, name, None)

        customer_id = now("customer_id")
        owners = await self.owners()
        if "customer_id" in values and customer_id is not None:
            visible = await self.session.scalar(
                select(Customer.id).where(
                    Customer.id == customer_id,
                    Customer.deleted_at.is_(None),
                    OwnerScope().condition(Customer, owners),
                )
            )
            if visible is None:
                errors.add("customer_id", "unknown_customer", "is not a customer you can see")
        for name, model, code in (
            ("opportunity_id", Opportunity, "unknown_opportunity"),
            ("order_id", Order, "unknown_order"),
        ):
            ref = values.get(name)
            if ref is None:
                continue
            found = await self.session.scalar(
                select(model.customer_id).where(
                    model.id == ref, model.deleted_at.is_(None), OwnerScope().condition(model, owners)
                )
            )
            if found is None or (customer_id is not None and found != customer_id):
                errors.add(name, code, "is not one of this customer's that you can see")
        starts, ends = now("starts_on"), now("ends_on")
        if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
            errors.add("ends_on", "ends_before_start", "a contract cannot end before it starts")
        number = values.get("number")
        if number:
            query = select(Contract.id).where(Contract.number == number, Contract.deleted_at.is_(None))
            if record is not None:
                query = query.where(Contract.id != record.id)
            if await self.session.scalar(query.limit(1)) is not None:
                errors.add("number", "duplicate_number", "another contract has this number")
        errors.raise_if_any()

    async def clean(self, raw: Mapping[str, Any], record: Any = None) -> Any:
        """The kit's checks, and when a field is bad, the contract's own rules on the fields that
        are good too (a negative amount and an end before the start are told at once)."""
        try:
            return await super().clean(raw, record)
        except ValidationFailed as exc:
            bad = {e.field.split(".")[0] for e in exc.errors}
            values = self.fields.collect(
                {k: v for k, v in raw.items() if k in self.fields.types},
                creating=record is None,
                errors=Errors(),
            )
            try:
                await self._check({k: v for k, v in values.items() if k not in bad}, record)
            except ValidationFailed as more:
                extra = [e for e in more.errors if e.field not in bad]
                raise ValidationFailed([*exc.errors, *extra]) from exc
            raise

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check(values, None)
        if not values.get("number"):
            values["number"] = new_number()
        values["owner_id"] = self.actor.user_id
        values["attachments"] = []

    async def before_update(self, record: Contract, values: dict[str, Any]) -> None:
        if "number" in values and not values["number"]:
            values.pop("number")
        await self._check(values, record)

    def index(self, record: Contract, extra_text: Sequence[str] = ()) -> None:
        doc = build_document([record.number, record.title, record.note, *extra_text])
        record.search_text, record.search_grams = doc.text, doc.grams

    async def snapshot(self, record: Contract) -> dict[str, Any]:
        data = {
            name: json_ready(getattr(record, name))
            for name in (
                "number", "title", "customer_id", "opportunity_id", "order_id", "status", "amount",
                "signed_on", "starts_on", "ends_on", "note", "owner_id",
            )
        }  # fmt: skip
        for key, value in sorted((record.custom or {}).items()):
            data[f"custom.{key}"] = value
        data["version"] = record.version
        return data

    async def statuses(self, locale: str) -> dict[str, str]:
        """Every status of the contract workflow: key → label in ``locale``."""
        workflow = await workflows.current(self.session, self.spec.key)
        return {s.key: s.label_in(locale) for s in workflow.definition.states}

    async def update(self, record_id: uuid.UUID, version: int, raw: Mapping[str, Any]) -> Contract:
        """Edit a contract; its status moves only through ``transition``."""
        return await super().update(record_id, version, {k: v for k, v in raw.items() if k != "status"})

    async def moves(self, contract: Contract, locale: str) -> list[tuple[str, str, str]]:
        """(status, label in ``locale``, category) of each status the contract may move to now."""
        workflow = await workflows.current(self.session, self.spec.key)
        found = []
        for move in workflow.definition.moves_from(contract.status):
            state = workflow.definition.state(move.target)
            if state is not None:
                found.append((state.key, state.label_in(locale), str(state.category)))
        return found

    async def linked(self, contracts: Sequence[Contract]) -> dict[uuid.UUID, str]:
        """Id → what a page shows of the customers, opportunities and orders the contracts name."""
        return await repo.contract_links(
            self.session,
            [c.customer_id for c in contracts],
            [c.opportunity_id for c in contracts if c.opportunity_id],
            [c.order_id for c in contracts if c.order_id],
        )

    async def customer_choices(self) -> list[tuple[uuid.UUID, str]]:
        """Customers the actor may make a contract with (the form's list), recently changed first."""
        return await repo.recent_customers(self.session, await self.owners())

    async def prefill(self, *, opportunity_id: Any = None, order_id: Any = None) -> dict[str, str]:
        """A new contract's form from an opportunity or an order the actor can see: its customer,
        amount and a title; nothing (an empty form) for one they cannot see or a bad id."""
        self.require("create")
        owners = await self.owners()
        for ref, model, name, title, permission in (
            (opportunity_id, Opportunity, "opportunity_id", Opportunity.name, "opportunities:read"),
            (order_id, Order, "order_id", Order.number, "orders:read"),
        ):
            if not self.actor.can(permission):
                continue
            try:
                record_id = uuid.UUID(str(ref)) if ref else None
            except ValueError:
                record_id = None
            if record_id is None:
                continue
            amount = Opportunity.amount if model is Opportunity else Order.total
            row = (
                await self.session.execute(
                    select(model.customer_id, amount, title).where(
                        model.id == record_id,
                        model.deleted_at.is_(None),
                        OwnerScope().condition(model, owners),
                    )
                )
            ).first()
            if row is not None:
                return {
                    "customer_id": str(row[0]),
                    "amount": str(row[1]),
                    "title": str(row[2])[:120],
                    name: str(record_id),
                }
        return {}

    # -- files (app.kit.attachments) -------------------------------------------------------------

    async def attach(
        self, schema: str, record_id: uuid.UUID, version: int, uploads: Sequence[Upload]
    ) -> Contract:
        """Add files to a contract, given the version the actor saw (an edit: audited)."""
        return await attachments.attach(self, schema, record_id, version, uploads)  # type: ignore[no-any-return]

    async def detach(self, schema: str, record_id: uuid.UUID, version: int, file: str) -> Contract:
        """Remove one file from a contract, given the version the actor saw."""
        return await attachments.detach(self, schema, record_id, version, file)  # type: ignore[no-any-return]

    async def files(self, record_id: uuid.UUID) -> list[dict[str, Any]]:
        """The files a live contract the actor can see carries (name, size, type), in upload order."""
        record = await self.get(record_id)
        if record.deleted_at is not None:
            raise NotFound(self.spec.key, record_id)
        return list(record.attachments or [])

    async def open_file(self, schema: str, record_id: uuid.UUID, index: int) -> tuple[dict[str, Any], Any]:
        """One file of a contract the actor can see, open for reading."""
        return await attachments.open_file(self, schema, record_id, index)


def contract_conditions(
    *,
    customer_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
    status: str | None = None,
    ends_before: date | None = None,
    search: str | None = None,
) -> list[ColumnElement[bool]]:
    """A contract list's filter as query conditions; bad values are field errors."""
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        conditions.append(Contract.customer_id == customer_id)
    if opportunity_id is not None:
        conditions.append(Contract.opportunity_id == opportunity_id)
    conditions += state_condition(Contract.status, status, "status")
    if ends_before is not None:
        conditions.append(Contract.ends_on <= ends_before)
    conditions += search_conditions(Contract, search)
    return conditions
