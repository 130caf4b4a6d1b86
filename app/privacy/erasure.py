"""Erasure (PIPL art. 47) and the retention rule: anonymise a person while keeping their orders
and the statistics built on them.

What goes: the customer's name (→ 已删除客户-xxxx), gender, mobile, email, street address and
district, birthday, notes, tags, custom values and sensitive fields; each contact's name, title,
mobile and email; each address's recipient, phone and street; note texts and their attachments;
follow-up summaries and task texts. What stays: the customer row (id, kind, province and city,
source, stage, tier, owner, dates), orders and payments, consents (the evidence of what the person
agreed to), and the append-only audit log, whose snapshots are kept as the legally required
record of processing (docs/security.md says so).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses.models import Address
from app.audit import service as audit
from app.contacts.models import Contact
from app.customers import repository as customers_repo
from app.customers.models import Customer
from app.customers.service import CustomerService, index_customer
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.followups.models import FollowUp, Task
from app.kit.service import unit_of_work
from app.orders.models import Order
from app.privacy import sensitive
from app.privacy.entity import PRIVACY_MANAGE
from app.privacy.models import Erasure, PrivacySettings
from app.storage import UnsafePath, tenant_files
from app.timeline.models import CustomerNote
from app.timeline.notes import ATTACHMENTS_AREA
from app.workflows import service as workflows
from app.workflows.definition import StateCategory

log = logging.getLogger("dealercrm.privacy")

ERASED_TEXT = "（已删除）"
RETENTION_YEARS_MAX = 30
REPORT_LIMIT = 500


def erased_name(customer_id: uuid.UUID) -> str:
    return f"已删除客户-{customer_id.hex[:4]}"


def _require(actor: Actor) -> None:
    if not actor.can(PRIVACY_MANAGE):
        raise PermissionDenied(PRIVACY_MANAGE)


async def is_erased(session: AsyncSession, customer_id: uuid.UUID) -> bool:
    return await session.get(Erasure, customer_id) is not None


async def open_order_numbers(session: AsyncSession, customer_id: uuid.UUID) -> list[str]:
    """The customer's orders in a state of the tenant's order workflow that is still open."""
    definition = (await workflows.current(session, "order")).definition
    open_states = [s.key for s in definition.states if s.category == StateCategory.OPEN]
    return list(
        (
            await session.scalars(
                select(Order.number)
                .where(
                    Order.customer_id == customer_id,
                    Order.deleted_at.is_(None),
                    Order.status.in_(open_states),
                )
                .order_by(Order.number)
            )
        ).all()
    )


async def _anonymise(
    session: AsyncSession, actor: Actor, customer: Customer, reason: str, schema: str | None
) -> None:
    now = datetime.now(UTC)
    cid = customer.id
    customer.name = erased_name(cid)
    for column in ("gender", "mobile", "email", "district", "address_detail", "birthday", "notes"):
        setattr(customer, column, None)
    customer.custom = {}
    customer.version += 1
    customer.updated_at = now
    customer.updated_by = actor.user_id
    await customers_repo.replace_tags(session, cid, [])
    index_customer(customer, [])
    await session.execute(
        update(Contact)
        .where(Contact.customer_id == cid)
        .values(
            name="已删除", title=None, mobile=None, email=None, updated_at=now, version=Contact.version + 1
        )
    )
    await session.execute(
        update(Address)
        .where(Address.customer_id == cid)
        .values(recipient=None, phone=None, detail=ERASED_TEXT, updated_at=now, version=Address.version + 1)
    )
    notes = (await session.scalars(select(CustomerNote).where(CustomerNote.customer_id == cid))).all()
    files = tenant_files(schema, ATTACHMENTS_AREA) if schema else None
    for note in notes:
        for item in note.attachments or []:
            if files is not None and item.get("file"):
                try:
                    files.remove(str(item["file"]))
                except (UnsafePath, OSError):
                    log.warning("could not remove an erased customer's attachment")
        note.body = ERASED_TEXT
        note.attachments = []
        note.mentions = []
    await session.execute(update(FollowUp).where(FollowUp.customer_id == cid).values(summary=ERASED_TEXT))
    await session.execute(update(Task).where(Task.customer_id == cid).values(title=ERASED_TEXT, notes=None))
    await sensitive.forget_subject(session, actor, cid)
    session.add(Erasure(customer_id=cid, reason=reason, erased_at=now, erased_by=actor.user_id))
    audit.record(
        session,
        actor,
        entity="customer",
        entity_id=cid,
        action="erase",
        before=None,
        after={"reason": reason, "contacts": True, "addresses": True, "notes": len(notes)},
    )


async def erase_customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, schema: str | None = None
) -> Customer:
    """Anonymise a customer on the person's request. Refused while any of their orders is open
    (the order still needs a name and an address to be delivered), naming those orders."""
    _require(actor)
    async with unit_of_work(session):
        await CustomerService(session, actor).get(customer_id)  # scope: out of it reads like absent
        customer = await session.get(Customer, customer_id, with_for_update=True, populate_existing=True)
        assert customer is not None
        if await is_erased(session, customer_id):
            raise ValidationFailed(
                [FieldError("customerId", "already_erased", "this customer was already erased")]
            )
        if numbers := await open_order_numbers(session, customer_id):
            raise ValidationFailed(
                [
                    FieldError(
                        "customerId",
                        "open_orders",
                        f"has {len(numbers)} open order(s) ({', '.join(numbers[:5])}); complete or cancel "
                        "them first",
                    )
                ]
            )
        await _anonymise(session, actor, customer, "request", schema)
    return customer


# -- the retention rule ---------------------------------------------------------------------------


async def retention_years(session: AsyncSession) -> int | None:
    row = await session.get(PrivacySettings, 1)
    return row.retention_years if row else None


async def set_retention_years(session: AsyncSession, actor: Actor, years: Any) -> int | None:
    """Set (1 to 30) or clear (None, "") the number of inactive years after which customers are
    reported for anonymisation."""
    _require(actor)
    value: int | None
    if years in (None, ""):
        value = None
    else:
        try:
            value = int(years)
        except (TypeError, ValueError):
            value = -1
        if not 1 <= value <= RETENTION_YEARS_MAX:
            raise ValidationFailed(
                [
                    FieldError(
                        "years", "out_of_range", f"must be a whole number from 1 to {RETENTION_YEARS_MAX}"
                    )
                ]
            )
    async with unit_of_work(session):
        row = await session.get(PrivacySettings, 1, with_for_update=True)
        before = {"retention_years": row.retention_years if row else None}
        if row is None:
            row = PrivacySettings(id=1)
            session.add(row)
        row.retention_years = value
        row.updated_at = datetime.now(UTC)
        row.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            entity="privacy_settings",
            entity_id=1,
            action="update",
            before=before,
            after={"retention_years": value},
        )
    return value


@dataclass(frozen=True)
class Inactive:
    customer_id: uuid.UUID
    name: str
    last_activity: datetime


def _last_activity() -> Any:
    """A customer's last activity: its own last change, its newest order, follow-up and note."""
    newest_order = (
        select(func.max(Order.updated_at)).where(Order.customer_id == Customer.id).scalar_subquery()
    )
    newest_followup = (
        select(func.max(FollowUp.happened_at)).where(FollowUp.customer_id == Customer.id).scalar_subquery()
    )
    newest_note = (
        select(func.max(CustomerNote.created_at))
        .where(CustomerNote.customer_id == Customer.id)
        .scalar_subquery()
    )
    return func.greatest(Customer.updated_at, newest_order, newest_followup, newest_note)


async def retention_report(
    session: AsyncSession, actor: Actor, *, now: datetime | None = None
) -> tuple[int | None, list[Inactive]]:
    """The rule, and the customers it would anonymise: inactive for that many years, not erased yet,
    with no open order (oldest activity first, at most 500 per report)."""
    _require(actor)
    years = await retention_years(session)
    if years is None:
        return None, []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=round(365.25 * years))
    activity = _last_activity().label("last_activity")
    erased = select(Erasure.customer_id).where(Erasure.customer_id == Customer.id).exists()
    query = await CustomerService(session, actor).visible(
        select(Customer.id, Customer.name, activity)
        .where(~erased, activity < cutoff)
        .order_by(activity, Customer.id)
        .limit(REPORT_LIMIT)
    )
    rows = (await session.execute(query)).all()
    found = []
    for cid, name, last in rows:
        if not await open_order_numbers(session, cid):
            found.append(Inactive(cid, name, last))
    return years, found


async def apply_retention(
    session: AsyncSession,
    actor: Actor,
    customer_ids: list[uuid.UUID],
    *,
    schema: str | None = None,
    now: datetime | None = None,
) -> int:
    """Anonymise the confirmed customers of a retention report; each is checked again (a customer
    active since the report, erased meanwhile or with a new open order is left alone)."""
    _require(actor)
    _years, report = await retention_report(session, actor, now=now)
    await session.commit()
    still_due = {i.customer_id for i in report}
    done = 0
    for cid in customer_ids:
        if cid not in still_due:
            continue
        async with unit_of_work(session):
            customer = await session.get(Customer, cid, with_for_update=True)
            if customer is None or await is_erased(session, cid) or await open_order_numbers(session, cid):
                continue
            await _anonymise(session, actor, customer, "retention", schema)
        done += 1
    return done
