"""Follow-ups (a child of the customer, on its page) and tasks (owned by their assignee), declared
on the entity kit; only their own rules live here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from app.accounts import repository as accounts_repo
from app.contacts.models import Contact
from app.customers.models import Customer
from app.domain import FieldError, NotFound, ValidationFailed
from app.followups.fields import FollowUpChannel, FollowUpOutcome
from app.followups.models import FollowUp, Task
from app.followups.notices import TASK_ASSIGNED, TASK_ASSIGNED_TITLE
from app.kit.enums import N_
from app.kit.fields import LOCAL_TZ, Choice, Fields, Moment, Ref, Text
from app.kit.paging import Order, Page
from app.kit.registry import EntitySpec, register
from app.kit.scope import OwnerScope, ParentScope
from app.kit.service import Cleaned, EntityService, unit_of_work
from app.notifications.service import notify

TIME_ERRORS = {
    "in_the_past": N_("The time must not be in the past."),
    "invalid_datetime": N_("Enter a date and time."),
}

FOLLOW_UP = register(
    EntitySpec(
        key="follow_up",
        label=N_("Follow-up"),
        plural=N_("Follow-ups"),
        module="customers",
        model=FollowUp,
        fields={
            "customer_id": N_("Customer"),
            "contact_id": N_("Contact"),
            "channel": N_("Follow-up channel"),
            "outcome": N_("Outcome"),
            "summary": N_("What was said"),
            "happened_at": N_("When"),
            "next_at": N_("Next follow-up"),
            "owner_id": N_("Salesperson"),
        },
        choices={"channel": FollowUpChannel, "outcome": FollowUpOutcome},
        errors={**TIME_ERRORS, "unknown_contact": N_("Choose a contact of this customer.")},
        page="/customers/{customer_id}#follow-ups",
        parent="customer",
        parent_field="customer_id",
        slug="follow-ups",
        section_order=30,
        title=lambda record: (record.summary or "")[:20],
    )
)


def _same_minute(raw: Any, stored: datetime | None) -> bool:
    """A form posts the stored time back to the minute, in local time: that is no change."""
    if stored is None or not isinstance(raw, str) or not raw.strip():
        return False
    try:
        posted = datetime.fromisoformat(raw.strip())
    except ValueError:
        return False
    if posted.tzinfo is None:
        posted = posted.replace(tzinfo=LOCAL_TZ)
    return abs((posted - stored).total_seconds()) < 60


class TimedService(EntityService[Any]):
    """A future-only time checks only a changed value: an old record saved again keeps its past time."""

    future_fields: tuple[str, ...] = ()

    async def clean(self, raw: Mapping[str, Any], record: Any = None) -> Cleaned:
        if record is not None:
            unchanged = [
                f for f in self.future_fields if f in raw and _same_minute(raw[f], getattr(record, f))
            ]
            raw = {k: v for k, v in raw.items() if k not in unchanged}
        return await super().clean(raw, record)


class FollowUpService(TimedService):
    spec = FOLLOW_UP
    model = FollowUp
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "channel": Choice(required=True, enum=FollowUpChannel),
            "summary": Text(required=True, max_length=2000, multiline=True),
            "outcome": Choice(enum=FollowUpOutcome),
            "contact_id": Ref(),
            "happened_at": Moment(),
            "next_at": Moment(future_only=True),
        },
        defaults={"channel": FollowUpChannel.CALL.value},
    )
    scope = ParentScope(Customer, "customer_id", "customer")
    create_only = ("customer_id",)
    section_order_by = ("-happened_at", "-created_at")
    sort_fields = ("happened_at", "created_at", "updated_at")
    future_fields = ("next_at",)

    async def _check_contact(self, customer_id: uuid.UUID, contact_id: uuid.UUID | None) -> None:
        if contact_id is None:
            return
        found = await self.session.scalar(
            select(Contact.id).where(
                Contact.id == contact_id, Contact.customer_id == customer_id, Contact.deleted_at.is_(None)
            )
        )
        if found is None:
            raise ValidationFailed(
                [FieldError("contact_id", "unknown_contact", "is not a contact of this customer")]
            )

    async def listing(
        self, customer_id: uuid.UUID | None, *, first: int = 20, after: str | None = None
    ) -> Page[Any]:
        """Visible follow-ups, newest first; of one customer when ``customer_id`` is given."""
        conditions = [FollowUp.customer_id == customer_id] if customer_id is not None else []
        return await self.page(conditions, order=Order("happened_at"), first=first, after=after)

    async def options(self, name: str, parent_id: Any) -> list[tuple[str, str]] | None:
        if name != "contact_id":
            return None
        rows = await self.session.execute(
            select(Contact.id, Contact.name)
            .where(Contact.customer_id == parent_id, Contact.deleted_at.is_(None))
            .order_by(Contact.is_primary.desc(), Contact.created_at)
        )
        return [(str(contact_id), name) for contact_id, name in rows.all()]

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check_contact(values["customer_id"], values.get("contact_id"))
        values["owner_id"] = self.actor.user_id
        if values.get("happened_at") is None:
            values["happened_at"] = datetime.now(UTC)

    async def before_update(self, record: Any, values: dict[str, Any]) -> None:
        if "contact_id" in values:
            await self._check_contact(record.customer_id, values["contact_id"])
        if values.get("happened_at", record.happened_at) is None:
            values["happened_at"] = record.happened_at
        if "next_at" in values and values["next_at"] != record.next_at:
            # A new time is a new reminder; a cleared one is none.
            record.reminded_at = None
            record.next_done_at = None

    async def after_write(self, record: Any, values: dict[str, Any], *, creating: bool) -> None:
        if not creating:
            return
        # This follow-up is the one the customer's earlier ones planned: they leave the work list.
        await self.session.execute(
            update(FollowUp)
            .where(
                FollowUp.customer_id == record.customer_id,
                FollowUp.id != record.id,
                FollowUp.next_at.is_not(None),
                FollowUp.next_done_at.is_(None),
                FollowUp.happened_at <= record.happened_at,
            )
            .values(next_done_at=datetime.now(UTC))
        )


TASK = register(
    EntitySpec(
        key="task",
        label=N_("Task"),
        plural=N_("Tasks"),
        module="customers",
        model=Task,
        fields={
            "title": N_("Task"),
            "notes": N_("Notes"),
            "customer_id": N_("Customer"),
            "owner_id": N_("Assignee"),
            "due_at": N_("Due"),
            "done_at": N_("Done"),
        },
        errors={**TIME_ERRORS, "unknown_staff": N_("Choose an active staff member.")},
        page="/work#task-{id}",
        staff_fields=("owner_id", "done_by"),
        title=lambda record: record.title,
    )
)


class TaskService(TimedService):
    spec = TASK
    model = Task
    fields = Fields(
        {
            "title": Text(required=True, max_length=200),
            "due_at": Moment(required=True, future_only=True),
            "owner_id": Ref(),
            "customer_id": Ref(),
            "notes": Text(max_length=2000, multiline=True),
        }
    )
    scope = OwnerScope()
    sort_fields = ("due_at", "created_at", "updated_at")
    future_fields = ("due_at",)

    async def _check_assignee(self, values: dict[str, Any]) -> None:
        assignee = values.get("owner_id")
        if assignee is None:
            values["owner_id"] = self.actor.user_id
            return
        user = await accounts_repo.user_by_id(self.session, assignee)
        if user is None or not user.is_active:
            raise ValidationFailed([FieldError("owner_id", "unknown_staff", "is not an active staff member")])

    async def _check_customer(self, customer_id: uuid.UUID | None) -> None:
        if customer_id is None:
            return
        visible = await self.session.scalar(
            (await self._customers()).where(Customer.id == customer_id, Customer.deleted_at.is_(None))
        )
        if visible is None:
            raise ValidationFailed(
                [FieldError("customer_id", "unknown_customer", "is not a record you can see")]
            )

    async def _customers(self) -> Any:
        return select(Customer.id).where(OwnerScope().condition(Customer, await self.owners()))

    async def before_create(self, values: dict[str, Any]) -> None:
        await self._check_assignee(values)
        await self._check_customer(values.get("customer_id"))

    async def before_update(self, record: Any, values: dict[str, Any]) -> None:
        if "owner_id" in values:
            await self._check_assignee(values)
        if values.get("customer_id") not in (None, record.customer_id):
            await self._check_customer(values["customer_id"])
        if "due_at" in values and values["due_at"] != record.due_at:
            record.reminded_at = None

    async def after_write(self, record: Any, values: dict[str, Any], *, creating: bool) -> None:
        if record.owner_id != self.actor.user_id and (creating or "owner_id" in values):
            await notify(
                self.session,
                [record.owner_id],
                TASK_ASSIGNED,
                TASK_ASSIGNED_TITLE,
                params={"who": self.actor.name, "task": record.title},
                link="/work",
                dedupe_key=f"task:{record.id}:assigned:{record.owner_id}:{record.version}",
            )

    async def listing(
        self, *, open_only: bool = True, first: int = 20, after: str | None = None
    ) -> Page[Any]:
        """Visible tasks, soonest due first; only the open ones unless ``open_only`` is False."""
        conditions = [Task.done_at.is_(None)] if open_only else []
        return await self.page(conditions, order=Order("due_at", descending=False), first=first, after=after)

    async def options(self, name: str, parent_id: Any) -> list[tuple[str, str]] | None:
        """Forms offer the active staff as assignees (the customer is set from its page, or by the API)."""
        if name != "owner_id":
            return None
        people = await accounts_repo.list_users(self.session)
        return [(str(u.id), u.name) for u in people if u.is_active]

    async def complete(self, record_id: uuid.UUID, version: int) -> Task:
        """Mark a task done (given the version read); done twice is still done once."""
        self.require("edit")
        async with unit_of_work(self.session):
            record: Any = await self._load(record_id, for_update=True)
            if record.deleted_at is not None:
                raise NotFound(self.spec.key, record_id)
            await self._check_version(record, version)
            if record.done_at is not None:
                return record  # type: ignore[no-any-return]
            before = await self.snapshot(record)
            now = datetime.now(UTC)
            record.done_at, record.done_by = now, self.actor.user_id
            record.version += 1
            record.updated_at, record.updated_by = now, self.actor.user_id
            self._audit(record, "complete", before, await self.snapshot(record))
            self._emit(record, "completed")
        return record  # type: ignore[no-any-return]

    async def snapshot(self, record: Any) -> dict[str, Any]:
        data = await super().snapshot(record)
        data["done_at"] = record.done_at.isoformat() if record.done_at else None
        return data
